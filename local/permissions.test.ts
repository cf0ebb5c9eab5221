/**
 * The local gateway refuses what AWS would refuse (issue 12): a Lambda
 * permission that does not cover the stage, method and path, and a
 * passthrough role whose policy does not allow sagemaker:InvokeEndpoint on
 * the stage's endpoint. Each case is a variant of the synthesised template,
 * as a mistaken stack would deploy it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiModel } from './emulation/api-model.ts';
import { selectIntegrationResponse } from './emulation/integration-response.ts';
import {
  editPassthroughPolicy,
  idsOf,
  passthroughRoleId,
  type SageMakerStandIn,
  startGateway,
  startSageMakerStandIn,
  TEST_KEY,
  type Template,
  template,
  withLambdaPermission,
  withoutInvokeEndpoint,
  withoutLambdaPermissions,
} from './test/harness.ts';

/** Two stages, so a permission scoped to one can be seen refusing the other. */
const CONTEXT = { stages: 'dev,prod' };

async function predict(t: Template, stage: string) {
  const gateway = await startGateway(t);
  try {
    const response = await fetch(`${gateway.url}/${stage}/predict`, {
      method: 'POST',
      body: '{}',
      headers: { 'x-api-key': TEST_KEY, 'Content-Type': 'application/json' },
    });
    return {
      status: response.status,
      errorType: response.headers.get('x-amzn-errortype'),
      body: (await response.json()) as Record<string, unknown>,
      invoked: gateway.events.length,
    };
  } finally {
    await gateway.close();
  }
}

describe('Lambda permissions (AWS::Lambda::Permission)', () => {
  it('without one, POST /predict answers 500 as deployed ("Invalid permissions on Lambda function") and the function never runs', async () => {
    const result = await predict(withoutLambdaPermissions(template(CONTEXT)), 'dev');
    expect(result).toMatchObject({
      status: 500,
      errorType: 'InternalServerErrorException',
      body: { code: 'INTERNAL_ERROR', status: 500 },
      invoked: 0,
    });
  });

  it.each([
    { source: 'dev/POST/predict', stage: 'dev', allowed: true },
    { source: 'dev/POST/predict', stage: 'prod', allowed: false },
    { source: '*/POST/predict', stage: 'prod', allowed: true },
    { source: '*/*/*', stage: 'prod', allowed: true },
    { source: '*', stage: 'dev', allowed: true },
    { source: 'prod/POST/pred?ct', stage: 'prod', allowed: true },
    { source: 'dev/GET/predict', stage: 'dev', allowed: false },
    { source: '*/POST/invocations', stage: 'dev', allowed: false },
    { source: 'DEV/POST/predict', stage: 'dev', allowed: false },
  ])(
    'SourceArn …/$source lets POST /$stage/predict through: $allowed',
    async ({ source, stage, allowed }) => {
      const result = await predict(withLambdaPermission(template(CONTEXT), source), stage);
      expect([result.status, result.invoked]).toEqual(allowed ? [200, 1] : [500, 0]);
    },
  );

  it.each([
    { what: 'another principal', overrides: { Principal: 'events.amazonaws.com' } },
    { what: 'another action', overrides: { Action: 'lambda:GetFunction' } },
    { what: 'another account', overrides: { SourceAccount: '111111111111' } },
  ])('a permission for $what does not let API Gateway in', async ({ overrides }) => {
    const t = withLambdaPermission(template(CONTEXT), '*/POST/predict', overrides);
    expect((await predict(t, 'dev')).status).toBe(500);
  });

  it.each(['dev', 'prod'])(
    'reads the permissions the stack synthesises: POST /%s/predict reaches the function',
    async (stage) => {
      const t = template(CONTEXT);
      expect(idsOf(t, 'AWS::Lambda::Permission').length).toBeGreaterThan(0);
      expect(await predict(t, stage)).toMatchObject({ status: 200, invoked: 1 });
    },
  );
});

describe("the passthrough role's policy (sagemaker:InvokeEndpoint)", () => {
  let sagemaker: SageMakerStandIn;
  beforeAll(async () => {
    sagemaker = await startSageMakerStandIn();
  });
  afterAll(() => sagemaker.close());

  async function invocations(t: Template) {
    const before = sagemaker.received.length;
    const gateway = await startGateway(t, sagemaker.url);
    try {
      const response = await fetch(`${gateway.url}/dev/invocations`, {
        method: 'POST',
        body: Buffer.from([0xff, 0xd8, 0xff]),
        headers: { 'x-api-key': TEST_KEY, 'Content-Type': 'image/jpeg' },
      });
      await response.arrayBuffer();
      return { status: response.status, called: sagemaker.received.length - before };
    } finally {
      await gateway.close();
    }
  }

  /** The method status the template's integration responses give SageMaker's 403 AccessDeniedException. */
  function statusFor403(t: Template): number {
    const route = readApiModel(t).routes.find(
      (r) => r.path === '/invocations' && r.method === 'POST',
    );
    if (route?.integration.type !== 'AWS') throw new Error('no AWS integration on /invocations');
    return selectIntegrationResponse(route.integration.responses, 403)?.statusCode ?? 0;
  }

  it('as synthesised, allows the stage endpoint and the call reaches SageMaker', async () => {
    expect(await invocations(template())).toEqual({ status: 200, called: 1 });
  });

  it('without the statement, SageMaker refuses with 403 AccessDeniedException, mapped by the integration responses', async () => {
    const t = withoutInvokeEndpoint(template());
    expect(await invocations(t)).toEqual({ status: statusFor403(t), called: 0 });
    expect(statusFor403(t)).toBeGreaterThanOrEqual(400);
  });

  it.each([
    {
      what: 'another endpoint',
      statement: { Resource: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/other' },
      allowed: false,
    },
    {
      what: 'the endpoint name as written, not lower-cased',
      stageEndpoint: 'Image-Moderation',
      statement: { Resource: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/Image-Moderation' },
      allowed: false,
    },
    {
      what: 'a mixed-case stage variable against the lower-cased ARN',
      stageEndpoint: 'Image-Moderation',
      statement: { Resource: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/image-moderation' },
      allowed: true,
    },
    {
      what: 'a wildcard',
      statement: { Resource: 'arn:aws:sagemaker:*:*:endpoint/*' },
      allowed: true,
    },
    { what: 'another action', statement: { Action: 'sagemaker:DescribeEndpoint' }, allowed: false },
    {
      what: 'a conditional allow',
      statement: { Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
      allowed: false,
    },
  ])('a statement for $what: allowed $allowed', async ({ statement, stageEndpoint, allowed }) => {
    const t = editPassthroughPolicy(template(), () => [
      {
        Effect: 'Allow',
        Action: 'sagemaker:InvokeEndpoint',
        Resource: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/image-moderation',
        ...statement,
      },
    ]);
    if (stageEndpoint !== undefined) {
      for (const id of idsOf(t, 'AWS::ApiGateway::Stage')) {
        (t.Resources[id]?.Properties.Variables as Record<string, string>).endpointName =
          stageEndpoint;
      }
    }
    const result = await invocations(t);
    expect(result).toEqual(
      allowed ? { status: 200, called: 1 } : { status: statusFor403(t), called: 0 },
    );
  });

  it('an explicit Deny wins over the Allow', async () => {
    const t = editPassthroughPolicy(template(), (statements) => [
      ...statements,
      { Effect: 'Deny', Action: 'sagemaker:*', Resource: '*' },
    ]);
    expect(await invocations(t)).toEqual({ status: statusFor403(t), called: 0 });
  });

  it('a role API Gateway cannot assume is an API configuration error (500)', async () => {
    const t = template();
    const role = t.Resources[passthroughRoleId(t)]?.Properties as Record<string, unknown>;
    role.AssumeRolePolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
        },
      ],
    };
    expect(await invocations(t)).toEqual({ status: 500, called: 0 });
  });
});
