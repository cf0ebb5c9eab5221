/**
 * CDK feature flags, set in code rather than cdk.json so an in-process
 * synth (tests, the local gateway) builds exactly what `npm run synth` does.
 * Only the flags that touch the resources this app creates; each is one of
 * aws-cdk-lib's recommended values (its recommended-feature-flags.json).
 */
export const FEATURE_FLAGS = {
  // No account-wide CloudWatch role unless asked: ImageInferenceApi sets
  // RestApi cloudWatchRole itself, from context apiGatewayAccountRole.
  '@aws-cdk/aws-apigateway:disableCloudWatchRole': true,
  '@aws-cdk/aws-apigateway:requestValidatorUniqueId': true,
  '@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId': true,
  // Access log destinations name the log group ARN without a trailing `:*`.
  '@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
  '@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages': true,
  '@aws-cdk/core:checkSecretUsage': true,
} as const;
