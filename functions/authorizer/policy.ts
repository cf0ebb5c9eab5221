import type { APIGatewayAuthorizerResult } from 'aws-lambda';

/**
 * The IAM policy a Lambda authorizer returns. Its resource is the whole
 * stage (`<api id>/<stage>/*`), not the method called: API Gateway caches
 * the policy by token and applies it to every method the token calls on
 * the stage while cached, so a policy naming one method would refuse the
 * others (API Gateway developer guide, "Output from an API Gateway Lambda
 * authorizer").
 */
export function stagePolicy(
  principalId: string,
  effect: 'Allow' | 'Deny',
  methodArn: string,
  context?: Readonly<Record<string, string>>,
): APIGatewayAuthorizerResult {
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Action: 'execute-api:Invoke', Effect: effect, Resource: stageResource(methodArn) },
      ],
    },
    ...(context === undefined ? {} : { context: { ...context } }),
  };
}

/**
 * `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>`
 * -> `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/*`.
 */
export function stageResource(methodArn: string): string {
  const [api, stage] = methodArn.split('/');
  return stage === undefined ? methodArn : `${api}/${stage}/*`;
}
