import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';
import { endpointArn } from './arns.ts';

/**
 * Who may call SageMaker InvokeEndpoint, and on what: the predict Lambda and
 * the role API Gateway assumes for `/invocations` get the same one statement.
 */

/** The ARNs of the named endpoints, each once (IAM matches them in lower case). */
export function endpointArns(scope: IConstruct, endpointNames: readonly string[]): string[] {
  return [...new Set(endpointNames)].map((name) => endpointArn(scope, name));
}

/** `sagemaker:InvokeEndpoint` on exactly these endpoints. */
export function invokeEndpointStatement(arns: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['sagemaker:InvokeEndpoint'],
    resources: [...arns],
  });
}

/**
 * The role (`InvocationsRole` under `scope`) that only API Gateway can
 * assume, granted `invoke` and nothing else: the passthrough route's
 * credentials.
 */
export function createInvocationsRole(scope: Construct, invoke: iam.PolicyStatement): iam.Role {
  const role = new iam.Role(scope, 'InvocationsRole', {
    assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
    description: 'Lets API Gateway call SageMaker InvokeEndpoint for POST /{stage}/invocations.',
  });
  role.addToPolicy(invoke);
  return role;
}
