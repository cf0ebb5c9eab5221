import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localRuntimeClient } from '../../testing/predict-handler.ts';
import {
  predictionsReply,
  SageMakerStub,
  type StubReply,
  sagemakerError,
} from '../../testing/sagemaker-stub.ts';
import {
  deadlineFrom,
  type Invocation,
  invokeEndpoint,
  mapInvokeError,
  type RuntimeClient,
} from './invoke.ts';

const stub = new SageMakerStub();
let client: RuntimeClient;

const invocation: Invocation = {
  endpointName: 'my-endpoint',
  targetVariant: 'blue',
  payload: { body: Buffer.from([1, 2, 3]), contentType: 'image/jpeg' },
  customAttributes: 'client-id=a',
  inferenceId: 'req-7',
};
const policy = { maxAttempts: 3, retryAfterSeconds: 2, baseDelayMs: 5 };

beforeAll(async () => {
  client = localRuntimeClient(await stub.start());
});
afterAll(() => stub.stop());
beforeEach(() => stub.reset());

describe('invokeEndpoint against a real HTTP stand-in', () => {
  it('sends the body and SageMaker headers, and returns body, type and variant', async () => {
    stub.behaviour = () => predictionsReply([{ label: 'cat', score: 1 }], 'blue');
    const result = await invokeEndpoint(client, invocation, deadlineFrom(5000, 0), policy);
    expect(Buffer.from(result.body).toString()).toBe('{"predictions":[{"label":"cat","score":1}]}');
    expect(result.variant).toBe('blue');
    expect(result.contentType).toBe('application/json');
    const [received] = stub.received;
    expect(received?.endpointName).toBe('my-endpoint');
    expect(received?.body).toEqual(Buffer.from([1, 2, 3]));
    expect(received?.headers).toMatchObject({
      'content-type': 'image/jpeg',
      accept: 'application/json',
      'x-amzn-sagemaker-custom-attributes': 'client-id=a',
      'x-amzn-sagemaker-inference-id': 'req-7',
      'x-amzn-sagemaker-target-variant': 'blue',
    });
    expect(received?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDLOCALTESTING\/\d{8}\/us-east-1\/sagemaker\/aws4_request/,
    );
  });

  it.each([
    { what: 'ModelNotReadyException', reply: sagemakerError('ModelNotReadyException', 429) },
    { what: 'ServiceUnavailable', reply: sagemakerError('ServiceUnavailable', 503) },
    { what: 'ThrottlingException', reply: sagemakerError('ThrottlingException', 400) },
  ])('retries $what and succeeds on the third attempt', async ({ reply }) => {
    stub.behaviour = (_request, index) =>
      index < 2 ? reply : predictionsReply([{ label: 'ok', score: 1 }]);
    const result = await invokeEndpoint(client, invocation, deadlineFrom(5000, 0), policy);
    expect(stub.received).toHaveLength(3);
    expect(result.variant).toBe('AllTraffic');
  });

  it('gives up after maxAttempts with ENDPOINT_UNAVAILABLE and Retry-After', async () => {
    stub.behaviour = () => sagemakerError('ServiceUnavailable', 503);
    await expect(
      invokeEndpoint(client, invocation, deadlineFrom(5000, 0), policy),
    ).rejects.toMatchObject({
      code: 'ENDPOINT_UNAVAILABLE',
      status: 503,
      retryAfterSeconds: 2,
    });
    expect(stub.received).toHaveLength(3);
  });

  it.each([
    {
      what: 'ModelError',
      reply: sagemakerError('ModelError', 424, {
        OriginalStatusCode: 500,
        OriginalMessage: 'boom',
      }),
    },
    { what: 'ValidationError', reply: sagemakerError('ValidationError', 400) },
    { what: 'InternalFailure', reply: sagemakerError('InternalFailure', 500) },
  ])('never retries $what', async ({ reply }) => {
    stub.behaviour = () => reply;
    await expect(
      invokeEndpoint(client, invocation, deadlineFrom(5000, 0), policy),
    ).rejects.toBeDefined();
    expect(stub.received).toHaveLength(1);
  });

  // SageMaker documents no 404; a runtime URL that is not SageMaker's
  // answers one, mostly with a body the SDK cannot read as SageMaker's.
  const notFound: Array<{ what: string; source: StubReply }> = [
    { what: 'no body', source: { status: 404, body: '' } },
    { what: 'plain text', source: { status: 404, body: 'Not Found' } },
    {
      what: 'an HTML page',
      source: { status: 404, headers: { 'Content-Type': 'text/html' }, body: '<h1>Not Found</h1>' },
    },
    {
      what: 'JSON with an error type the table does not list',
      source: {
        status: 404,
        headers: { 'Content-Type': 'application/json', 'x-amzn-errortype': 'ResourceNotFound' },
        body: '{"message":"no such route"}',
      },
    },
  ];
  it.each(notFound)(
    'maps a 404 with $what to ENDPOINT_REJECTED_REQUEST, once',
    async ({ source }) => {
      stub.behaviour = () => source;
      await expect(
        invokeEndpoint(client, invocation, deadlineFrom(5000, 0), policy),
      ).rejects.toMatchObject({
        code: 'ENDPOINT_REJECTED_REQUEST',
        status: 502,
        detail:
          'The SageMaker Runtime URL has no such endpoint (404); the request id identifies it in the logs.',
      });
      expect(stub.received).toHaveLength(1);
    },
  );

  it('aborts a slow model at the deadline with ENDPOINT_TIMEOUT', async () => {
    stub.behaviour = () => ({ ...predictionsReply([{ label: 'late', score: 1 }]), delayMs: 3000 });
    const started = Date.now();
    await expect(
      invokeEndpoint(client, invocation, deadlineFrom(400, 100), policy),
    ).rejects.toMatchObject({
      code: 'ENDPOINT_TIMEOUT',
      detail: 'The model did not answer within 0.3 s.',
    });
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('does not retry past the deadline', async () => {
    stub.behaviour = () => sagemakerError('ServiceUnavailable', 503);
    await expect(
      // The backoff (5 s) outlasts the deadline (1 s, ample for one call on a busy machine).
      invokeEndpoint(client, invocation, deadlineFrom(1000, 0), { ...policy, baseDelayMs: 5000 }),
    ).rejects.toMatchObject({ code: 'ENDPOINT_UNAVAILABLE' });
    expect(stub.received).toHaveLength(1);
  });
});

describe('mapInvokeError', () => {
  it.each([
    {
      error: Object.assign(new Error('m'), {
        name: 'ModelError',
        OriginalStatusCode: 418,
        $metadata: { httpStatusCode: 424 },
      }),
      expected: {
        code: 'MODEL_ERROR',
        status: 502,
        detail: 'The model container answered with status 418.',
      },
    },
    {
      error: Object.assign(new Error('Endpoint x of account 1 not found.'), {
        name: 'ValidationError',
        $metadata: { httpStatusCode: 400 },
      }),
      expected: {
        code: 'ENDPOINT_REJECTED_REQUEST',
        status: 502,
        detail: 'SageMaker rejected the invocation; the request id identifies it in the logs.',
      },
    },
    {
      error: Object.assign(new Error('m'), {
        name: 'ModelNotReadyException',
        $metadata: { httpStatusCode: 429 },
      }),
      expected: { code: 'ENDPOINT_UNAVAILABLE', status: 503, retryAfterSeconds: 2 },
    },
    {
      error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      expected: { code: 'ENDPOINT_UNAVAILABLE', status: 503 },
    },
    {
      // SageMaker's 413 has no error type; /invocations answers it the same way (issue 12).
      error: Object.assign(new Error('UnknownError'), {
        name: 'Unknown',
        $metadata: { httpStatusCode: 413 },
      }),
      expected: {
        code: 'REQUEST_TOO_LARGE',
        status: 413,
        detail:
          'SageMaker accepts at most 6291456 bytes per invocation (4194304 on serverless endpoints).',
      },
    },
    {
      error: Object.assign(new Error('m'), {
        name: 'InternalFailure',
        $metadata: { httpStatusCode: 500 },
      }),
      expected: { code: 'ENDPOINT_FAILURE', status: 502 },
    },
    {
      error: Object.assign(new Error('m'), {
        name: 'InternalDependencyException',
        $metadata: { httpStatusCode: 530 },
      }),
      expected: { code: 'ENDPOINT_FAILURE', status: 502 },
    },
    { error: new TypeError('x is undefined'), expected: { code: 'INTERNAL_ERROR', status: 500 } },
  ])('maps $expected.code', ({ error, expected }) => {
    expect(mapInvokeError(error, 2)).toMatchObject(expected);
  });

  /** An SDK service exception as the client raises it. */
  function serviceError(name: string, status: number, fields: Record<string, unknown> = {}) {
    return Object.assign(new Error(`${name} from SageMaker`), {
      name,
      $metadata: { httpStatusCode: status },
      ...fields,
    });
  }

  it.each([
    {
      what: 'ThrottlingException (400) by its type, not its status',
      error: serviceError('ThrottlingException', 400),
      expected: {
        code: 'ENDPOINT_UNAVAILABLE',
        status: 503,
        retryAfterSeconds: 2,
        detail: 'The endpoint is busy or not ready; retry after 2 s.',
      },
    },
    {
      what: 'TooManyRequestsException (429) by its status',
      error: serviceError('TooManyRequestsException', 429),
      expected: { code: 'ENDPOINT_UNAVAILABLE', status: 503, retryAfterSeconds: 2 },
    },
    {
      what: 'AccessDeniedException: the gateway may not invoke the endpoint',
      error: serviceError('AccessDeniedException', 403),
      expected: {
        code: 'INTERNAL_ERROR',
        status: 500,
        retryAfterSeconds: undefined,
        detail:
          'The gateway is not allowed to invoke this endpoint; the request id identifies it in the logs.',
      },
    },
    {
      what: "a ModelError with the container's 4xx message",
      error: serviceError('ModelError', 424, {
        OriginalStatusCode: 415,
        OriginalMessage: 'Content type image/bmp is not served.',
      }),
      expected: {
        code: 'MODEL_ERROR',
        status: 502,
        detail:
          'The model container answered with status 415: Content type image/bmp is not served.',
      },
    },
    {
      what: "a ModelError with the container's 5xx message, which stays out",
      error: serviceError('ModelError', 424, {
        OriginalStatusCode: 503,
        OriginalMessage: 'secret stack trace',
      }),
      expected: {
        code: 'MODEL_ERROR',
        status: 502,
        retryAfterSeconds: undefined,
        detail: 'The model container answered with status 503.',
      },
    },
    {
      what: 'a connection reset',
      error: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      expected: { code: 'ENDPOINT_UNAVAILABLE', status: 503, retryAfterSeconds: 2 },
    },
    {
      what: 'a DNS failure',
      error: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
      expected: { code: 'ENDPOINT_FAILURE', status: 502, retryAfterSeconds: undefined },
    },
    {
      what: 'an error type the table does not list, by its status class',
      error: serviceError('SomethingNewException', 409),
      expected: { code: 'ENDPOINT_REJECTED_REQUEST', status: 502 },
    },
  ])('maps $what', ({ error, expected }) => {
    expect(mapInvokeError(error, 2)).toMatchObject(expected);
  });
});
