/**
 * Who the local API is in AWS's terms: partition, region, account and API
 * id. The template's `Ref`s to pseudo parameters and to the RestApi resolve
 * to these values, so ARNs in policies and the ARNs of calls the local
 * gateway makes are written the same way and can be compared.
 */

export interface AwsIdentity {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** The RestApi's id (`Ref` of the `AWS::ApiGateway::RestApi`). */
  readonly apiId: string;
}

/** The local identity: obviously fake account, the default region. */
export const LOCAL_AWS: AwsIdentity = Object.freeze({
  partition: 'aws',
  region: 'us-east-1',
  accountId: '000000000000',
  apiId: 'local',
});

/**
 * The value CloudFormation gives a pseudo parameter, or undefined for
 * another name. Source: CloudFormation user guide, "Pseudo parameters reference".
 */
export function pseudoParameter(name: string, identity: AwsIdentity): string | undefined {
  switch (name) {
    case 'AWS::Partition':
      return identity.partition;
    case 'AWS::Region':
      return identity.region;
    case 'AWS::AccountId':
      return identity.accountId;
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    default:
      return undefined;
  }
}

/**
 * The ARN of a method call as API Gateway presents it to Lambda's resource
 * policy: `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`,
 * the resource path without its leading slash. Source: API Gateway developer
 * guide, "Control access to a REST API with IAM permissions" (execute-api
 * resource format).
 */
export function executeApiArn(
  identity: AwsIdentity,
  stage: string,
  method: string,
  resourcePath: string,
): string {
  return `arn:${identity.partition}:execute-api:${identity.region}:${identity.accountId}:${identity.apiId}/${stage}/${method}/${resourcePath.replace(/^\//, '')}`;
}

/**
 * A SageMaker endpoint's ARN as IAM evaluates InvokeEndpoint against it:
 * SageMaker writes endpoint names in lower case in ARNs, whatever the case
 * the endpoint was created with (observed; the stack's policies name
 * endpoints the same way).
 */
export function sageMakerEndpointArn(identity: AwsIdentity, endpointName: string): string {
  return `arn:${identity.partition}:sagemaker:${identity.region}:${identity.accountId}:endpoint/${endpointName.toLowerCase()}`;
}

/** The ARN a template's `Fn::GetAtt [fn, Arn]` stands for, with the logical id as the name. */
export function lambdaFunctionArn(identity: AwsIdentity, functionId: string): string {
  return `arn:${identity.partition}:lambda:${identity.region}:${identity.accountId}:function:${functionId}`;
}

/** The ARN a template's `Fn::GetAtt [role, Arn]` stands for, with the logical id as the name. */
export function roleArn(identity: AwsIdentity, roleId: string): string {
  return `arn:${identity.partition}:iam::${identity.accountId}:role/${roleId}`;
}
