import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { readAuthorizers, type TokenAuthorizer, TokenAuthorizers } from './authorizers.ts';
import { LOCAL_AWS } from './aws-identity.ts';
import type { AccessModel } from './permissions.ts';

const AUTHORIZER: TokenAuthorizer = {
  id: 'Authorizer',
  functionId: 'Fn',
  identityHeader: 'authorization',
  validationExpression: /^Bearer \S+$/,
  ttlSeconds: 300,
};
const STAGE_ARN = 'arn:aws:execute-api:us-east-1:000000000000:local/dev/*';

function policy(effect: 'Allow' | 'Deny', resource = STAGE_ARN): APIGatewayAuthorizerResult {
  return {
    principalId: 'user-1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
    },
  };
}

/** What CDK's TokenAuthorizer grants: API Gateway may invoke the function as this authorizer. */
const PERMITTED: AccessModel = {
  identity: LOCAL_AWS,
  roles: new Map(),
  lambdaPermissions: [
    {
      functionId: 'Fn',
      action: 'lambda:InvokeFunction',
      principal: 'apigateway.amazonaws.com',
      sourceArn: 'arn:aws:execute-api:us-east-1:000000000000:local/authorizers/Authorizer',
      sourceAccount: undefined,
    },
  ],
};

/** Authorizers whose one function answers `answer`, counting calls, on a clock the test moves. */
function setup(
  answer: (token: string) => APIGatewayAuthorizerResult | Error,
  access: AccessModel = PERMITTED,
) {
  let now = 0;
  const calls: string[] = [];
  const authorizers = new TokenAuthorizers(
    access,
    () => async (event) => {
      calls.push(event.methodArn);
      const result = answer(event.authorizationToken);
      if (result instanceof Error) throw result;
      return result;
    },
    () => now,
  );
  const decide = (
    token: string | undefined,
    path = '/predict',
    authorizer = AUTHORIZER,
    stage = 'dev',
  ) => authorizers.authorize(authorizer, { stage, method: 'POST', resourcePath: path, token });
  return { decide, calls, advance: (ms: number) => (now += ms) };
}

describe('a TOKEN authorizer', () => {
  it.each([
    ['no token', undefined],
    ['an empty token', ''],
    ['a token the validation expression refuses', 'Basic abc'],
  ])('answers UNAUTHORIZED without calling the function for %s', async (_what, token) => {
    const { decide, calls } = setup(() => policy('Allow'));
    expect(await decide(token)).toEqual({ authorized: false, fault: { fault: 'UNAUTHORIZED' } });
    expect(calls).toEqual([]);
  });

  it('passes the method ARN and lets an Allow for the stage through', async () => {
    const { decide, calls } = setup(() => policy('Allow'));
    expect(await decide('Bearer good')).toEqual({
      authorized: true,
      context: { principalId: 'user-1' },
    });
    expect(calls).toEqual(['arn:aws:execute-api:us-east-1:000000000000:local/dev/POST/predict']);
  });

  it.each([
    ['a Deny', () => policy('Deny'), { fault: 'ACCESS_DENIED' }],
    [
      'an Allow for another method only',
      () => policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/dev/GET/x'),
      { fault: 'ACCESS_DENIED' },
    ],
    ['Unauthorized thrown', () => new Error('Unauthorized'), { fault: 'UNAUTHORIZED' }],
    ['another error thrown', () => new Error('boom'), { fault: 'AUTHORIZER_CONFIGURATION_ERROR' }],
    [
      'no policy',
      () => ({ principalId: 'x' }) as APIGatewayAuthorizerResult,
      { fault: 'AUTHORIZER_CONFIGURATION_ERROR' },
    ],
  ])('maps %s as API Gateway does', async (_what, answer, fault) => {
    const { decide } = setup(answer);
    expect(await decide('Bearer t')).toEqual({ authorized: false, fault });
  });

  it('answers AUTHORIZER_CONFIGURATION_ERROR when API Gateway may not invoke the function', async () => {
    const { decide, calls } = setup(() => policy('Allow'), { ...PERMITTED, lambdaPermissions: [] });
    expect(await decide('Bearer t')).toEqual({
      authorized: false,
      fault: { fault: 'AUTHORIZER_CONFIGURATION_ERROR' },
    });
    expect(calls).toEqual([]);
  });
});

describe('the authorizer cache', () => {
  it('keeps a policy per token for the TTL, for every method of the stage', async () => {
    const { decide, calls, advance } = setup(() => policy('Allow'));
    await decide('Bearer a');
    await decide('Bearer a', '/invocations');
    advance(299_999);
    await decide('Bearer a');
    expect(calls).toHaveLength(1);
    await decide('Bearer b');
    expect(calls).toHaveLength(2);
    advance(1);
    await decide('Bearer a');
    expect(calls).toHaveLength(3);
  });

  it("is a stage's: a token's first call on another stage calls the function again", async () => {
    const { decide, calls } = setup(() =>
      policy('Allow', 'arn:aws:execute-api:us-east-1:000000000000:local/*/POST/*'),
    );
    for (const stage of ['prod', 'dev', 'prod', 'dev']) {
      expect(await decide('Bearer a', '/predict', AUTHORIZER, stage)).toMatchObject({
        authorized: true,
      });
    }
    expect(calls).toEqual([
      'arn:aws:execute-api:us-east-1:000000000000:local/prod/POST/predict',
      'arn:aws:execute-api:us-east-1:000000000000:local/dev/POST/predict',
    ]);
  });

  it('caches a Deny too, and not a thrown Unauthorized', async () => {
    const denied = setup(() => policy('Deny'));
    await denied.decide('Bearer d');
    expect(await denied.decide('Bearer d')).toMatchObject({ fault: { fault: 'ACCESS_DENIED' } });
    expect(denied.calls).toHaveLength(1);
    const thrown = setup(() => new Error('Unauthorized'));
    await thrown.decide('Bearer u');
    await thrown.decide('Bearer u');
    expect(thrown.calls).toHaveLength(2);
  });

  it('is off with a TTL of 0', async () => {
    const { decide, calls } = setup(() => policy('Allow'));
    const uncached = { ...AUTHORIZER, ttlSeconds: 0 };
    await decide('Bearer a', '/predict', uncached);
    await decide('Bearer a', '/predict', uncached);
    expect(calls).toHaveLength(2);
  });
});

describe('readAuthorizers', () => {
  it('reads a TOKEN authorizer from the template', () => {
    const template = {
      Resources: {
        Auth: {
          Type: 'AWS::ApiGateway::Authorizer',
          Properties: {
            Type: 'TOKEN',
            IdentitySource: 'method.request.header.Authorization',
            IdentityValidationExpression: '^Bearer .+$',
            AuthorizerResultTtlInSeconds: 60,
            AuthorizerUri: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':apigateway:',
                  { Ref: 'AWS::Region' },
                  ':lambda:path/2015-03-31/functions/',
                  { 'Fn::GetAtt': ['AuthFn', 'Arn'] },
                  '/invocations',
                ],
              ],
            },
          },
        },
      },
    };
    expect(readAuthorizers(template).get('Auth')).toEqual({
      id: 'Auth',
      functionId: 'AuthFn',
      identityHeader: 'authorization',
      validationExpression: /^Bearer .+$/,
      ttlSeconds: 60,
    });
  });
});
