import { describe, expect, it } from 'vitest';
import { lambdaContext } from '../../local/emulation/lambda-context.ts';
import { callHandler, expectProblemIn, handlerHarness } from '../../testing/handler-harness.ts';
import { handlerWith, localRuntimeClient } from '../../testing/predict-handler.ts';
import { predictionsReply, sagemakerError } from '../../testing/sagemaker-stub.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';
import { createHandler, handler as deployedHandler } from './handler.ts';

// The 5xx side of the error table: SageMaker's errors, the deadline, an
// unreachable endpoint and an invalid configuration, with nothing leaked.

const { stub, expectProblem } = handlerHarness();

const small = () => imagePart('small.jpg');

describe('SageMaker failures', () => {
  it.each([
    {
      what: 'ModelError',
      reply: sagemakerError('ModelError', 424, {
        OriginalStatusCode: 500,
        OriginalMessage: 'secret stack trace',
      }),
      status: 502,
      code: 'MODEL_ERROR',
      detail: 'The model container answered with status 500.',
    },
    {
      what: 'ValidationError',
      reply: sagemakerError('ValidationError', 400, {
        message: 'Endpoint x of account 123456789012 not found.',
      }),
      status: 502,
      code: 'ENDPOINT_REJECTED_REQUEST',
      detail: 'SageMaker rejected the invocation; the request id identifies it in the logs.',
    },
    {
      what: 'InternalFailure',
      reply: sagemakerError('InternalFailure', 500),
      status: 502,
      code: 'ENDPOINT_FAILURE',
      detail: 'The endpoint failed; the request id identifies it in the logs.',
    },
    {
      what: 'a non-JSON answer',
      reply: { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'cat' },
      status: 502,
      code: 'BAD_MODEL_OUTPUT',
      detail: 'The model answered with something that is not JSON.',
    },
    {
      what: 'ModelNotReadyException, every attempt',
      reply: sagemakerError('ModelNotReadyException', 429),
      status: 503,
      code: 'ENDPOINT_UNAVAILABLE',
      detail: 'The endpoint is busy or not ready; retry after 2 s.',
    },
  ])('$what: $status $code', async ({ reply, status, code, detail }) => {
    stub.behaviour = () => reply;
    const { result, body } = await expectProblem(uploadEvent([small()]), {
      status,
      code,
      detail,
      part: 'image[0]',
    });
    expect(result.body).not.toContain('secret');
    expect(result.body).not.toContain('123456789012');
    expect(result.headers?.['Retry-After']).toBe(status === 503 ? '2' : undefined);
    expect(body.part).toBe('image[0]');
  });

  it('a model slower than the deadline: 504 well before the Lambda would be killed', async () => {
    stub.behaviour = () => ({
      ...predictionsReply([{ label: 'late', score: 1 }]),
      delayMs: 5000,
    });
    await expectProblem(
      uploadEvent([small()]),
      { status: 504, code: 'ENDPOINT_TIMEOUT', part: 'image[0]' },
      { DEADLINE_MARGIN_MS: '1000' },
      2500,
    );
  });

  it('an unreachable endpoint: 503', async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const unreachable = handlerWith({}, localRuntimeClient('http://127.0.0.1:9'));
    expectProblemIn(await callHandler(unreachable, uploadEvent([small()])), {
      status: 503,
      code: 'ENDPOINT_UNAVAILABLE',
      part: 'image[0]',
    });
  });

  it('the deployed handler loads its configuration on the first request, not at import', async () => {
    // This test process sets no SAGEMAKER_ENDPOINT_NAME: importing the
    // module above did not fail, and every request answers the same 500.
    expect(process.env.SAGEMAKER_ENDPOINT_NAME).toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const result = await deployedHandler(uploadEvent([small()]), lambdaContext());
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
      expect(result.body).not.toContain('SAGEMAKER_ENDPOINT_NAME');
    }
  });

  it('an invalid configuration: 500 with nothing leaked, and CORS still unset', async () => {
    const handler = createHandler(() => {
      throw new Error('Environment variable MAX_FILES must be ...');
    });
    const result = await handler(uploadEvent([small()]), lambdaContext());
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body)).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
    expect(result.body).not.toContain('MAX_FILES');
  });
});
