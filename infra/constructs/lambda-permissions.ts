import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** A stage, and the scope its per-stage resources live in. */
export interface StageWithScope {
  readonly scope: Construct;
  readonly stage: apigw.Stage;
}

/**
 * Lets every stage of `method`'s API invoke `fn` through that method.
 *
 * CDK's LambdaIntegration adds one permission, scoped to the RestApi's own
 * stage (the first): the others would fail with "Invalid permissions on
 * Lambda function" (aws-cdk issue 3983). So each further stage gets its
 * own, in its scope (`ApiPermission.<METHOD>.<path>`), with the SourceArn
 * `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`:
 * one stage, one method, one path, the least a Lambda resource-based policy
 * can allow API Gateway (API Gateway developer guide, "Control access for
 * invoking an API"; AWS Lambda developer guide, "Invoking a Lambda function
 * using an Amazon API Gateway endpoint"). The stage is named by reference,
 * as CDK names the first, so a permission exists only for a stage that does.
 */
export function allowEveryStageToInvoke(
  fn: lambda.IFunction,
  method: apigw.Method,
  stages: readonly StageWithScope[],
): void {
  const path = method.resource.path;
  const id = `ApiPermission.${method.httpMethod}${path.replace(/\//g, '.')}`;
  for (const { scope, stage } of stages) {
    // The integration's own permission already covers the RestApi's stage.
    if (stage === method.api.deploymentStage) continue;
    fn.addPermission(id, {
      principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      scope,
      sourceArn: method.api.arnForExecuteApi(method.httpMethod, path, stage.stageName),
    });
  }
}
