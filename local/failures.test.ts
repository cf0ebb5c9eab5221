/**
 * Both routes, end to end on the local stack, answer the same SageMaker
 * failure the same way (issue 12): the failures the model server can inject
 * (`fault-runtime-error`, `fault-status`), an endpoint it does not serve,
 * and the headers SageMaker would refuse. `/predict` gets its faults from a
 * form field, `/invocations` from X-Client-Id: both arrive as the custom
 * attributes the model server reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from './stack.ts';

const KEY = 'local-failures-test-key-000001';

/** Per-request faults (`fault-*` custom attributes): the model server takes them only when on. */
const FAULTS: Partial<LocalStackOptions> = { localFaults: true };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    modelPort: 0,
    apiKey: KEY,
    // `ghost` invokes an endpoint the model server does not serve.
    context: {
      stages: JSON.stringify([
        { stageName: 'dev' },
        { stageName: 'ghost', endpointName: 'no-such-endpoint' },
      ]),
    },
    ...FAULTS,
  });
}, 90_000);
afterAll(() => stack?.stop());

interface Call {
  readonly stage?: string;
  /** Custom attributes for the model server: a form field, or X-Client-Id. */
  readonly attribute?: readonly [string, string];
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a client sees of an error answer, minus what differs by nature (request id, part). */
async function answerOf(response: Response) {
  const body = (await response.json()) as Record<string, unknown>;
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    problem: {
      type: body.type,
      title: body.title,
      status: body.status,
      code: body.code,
      detail: body.detail,
    },
  };
}

async function viaPredict({ stage = 'dev', attribute, headers = {} }: Call) {
  const form = new FormData();
  form.append('image', new Blob([loadImage('small.jpg')], { type: 'image/jpeg' }), 'small.jpg');
  if (attribute !== undefined) form.append(...attribute);
  const response = await fetch(`${stack.url}/${stage}/predict`, {
    method: 'POST',
    body: form,
    headers: { 'x-api-key': KEY, ...headers },
  });
  return answerOf(response);
}

async function viaInvocations({ stage = 'dev', attribute, headers = {} }: Call) {
  const response = await fetch(`${stack.url}/${stage}/invocations`, {
    method: 'POST',
    body: loadImage('small.jpg'),
    headers: {
      'x-api-key': KEY,
      'Content-Type': 'image/jpeg',
      ...(attribute === undefined ? {} : { 'X-Client-Id': attribute.join('=') }),
      ...headers,
    },
  });
  return answerOf(response);
}

async function bothRoutes(call: Call) {
  return { predict: await viaPredict(call), invocations: await viaInvocations(call) };
}

const BUSY = 'The endpoint is busy or not ready; retry after 2 s.';
const REJECTED = 'SageMaker rejected the invocation; the request id identifies it in the logs.';
const FAILED = 'The endpoint failed; the request id identifies it in the logs.';

describe('SageMaker errors the model server injects (fault-runtime-error)', () => {
  it.each([
    { type: 'ValidationError', status: 502, code: 'ENDPOINT_REJECTED_REQUEST', detail: REJECTED },
    {
      type: 'ModelError',
      status: 502,
      code: 'MODEL_ERROR',
      detail: 'The model container answered with an error.',
    },
    { type: 'ModelNotReadyException', status: 503, code: 'ENDPOINT_UNAVAILABLE', detail: BUSY },
    { type: 'InternalFailure', status: 502, code: 'ENDPOINT_FAILURE', detail: FAILED },
    { type: 'ServiceUnavailable', status: 503, code: 'ENDPOINT_UNAVAILABLE', detail: BUSY },
    { type: 'InternalDependencyException', status: 502, code: 'ENDPOINT_FAILURE', detail: FAILED },
  ])('$type: $status $code on both routes', async ({ type, status, code, detail }) => {
    const { predict, invocations } = await bothRoutes({ attribute: ['fault-runtime-error', type] });
    expect(predict).toMatchObject({
      status,
      contentType: 'application/problem+json',
      retryAfter: status === 503 ? '2' : null,
      problem: { code, status, detail },
    });
    expect(invocations).toEqual(predict);
  });

  it('ThrottlingException: 503 with Retry-After on /predict; /invocations sees only its 400 and answers as for ValidationError', async () => {
    const { predict, invocations } = await bothRoutes({
      attribute: ['fault-runtime-error', 'ThrottlingException'],
    });
    expect(predict).toMatchObject({
      status: 503,
      retryAfter: '2',
      problem: { code: 'ENDPOINT_UNAVAILABLE', detail: BUSY },
    });
    // An integration response selects on SageMaker's status alone (issue 12, documented limit).
    expect(invocations).toMatchObject({
      status: 502,
      retryAfter: null,
      problem: { code: 'ENDPOINT_REJECTED_REQUEST', detail: REJECTED },
    });
  });
});

describe("the model container's own errors (fault-status)", () => {
  it.each([
    {
      fault: '418',
      detail:
        'The model container answered with status 418: {"message":"Injected fault: status 418"}',
    },
    { fault: '503', detail: 'The model container answered with status 503.' },
  ])(
    'status $fault: 502 MODEL_ERROR with the same detail on both routes',
    async ({ fault, detail }) => {
      const { predict, invocations } = await bothRoutes({ attribute: ['fault-status', fault] });
      expect(predict).toMatchObject({ status: 502, problem: { code: 'MODEL_ERROR', detail } });
      expect(invocations).toEqual(predict);
    },
  );
});

describe('an endpoint the model server does not serve', () => {
  it('502 ENDPOINT_REJECTED_REQUEST on both routes', async () => {
    const { predict, invocations } = await bothRoutes({ stage: 'ghost' });
    expect(predict).toMatchObject({
      status: 502,
      problem: { code: 'ENDPOINT_REJECTED_REQUEST', detail: REJECTED },
    });
    expect(invocations).toEqual(predict);
  });
});

describe('headers SageMaker would refuse', () => {
  it('an X-Request-Id of 65 characters: 400 INVALID_REQUEST_ID on both routes', async () => {
    const { predict, invocations } = await bothRoutes({
      headers: { 'X-Request-Id': 'r'.repeat(65) },
    });
    expect(predict).toMatchObject({
      status: 400,
      problem: {
        code: 'INVALID_REQUEST_ID',
        detail:
          'X-Request-Id must be 1 to 64 printable ASCII characters, not starting with a space.',
      },
    });
    expect(invocations).toEqual(predict);
  });

  it('an X-Client-Id over 1024 characters: 400 CUSTOM_ATTRIBUTES_TOO_LONG on both routes', async () => {
    const { predict, invocations } = await bothRoutes({
      headers: { 'X-Client-Id': 'c'.repeat(1025) },
    });
    const tooLong = { status: 400, problem: { code: 'CUSTOM_ATTRIBUTES_TOO_LONG', status: 400 } };
    expect(predict).toMatchObject(tooLong);
    expect(invocations).toMatchObject(tooLong);
    // The rules differ by route: /predict encodes `client-id=...` with the text fields.
    expect(predict.problem.detail).toBe(
      'The text fields and X-Client-Id encode to 1035 characters of custom attributes; SageMaker allows 1024.',
    );
    expect(invocations.problem.detail).toBe(
      'X-Client-Id has 1025 characters; SageMaker allows 1024 characters of custom attributes.',
    );
  });

  it('valid headers still reach the model on /invocations', async () => {
    const response = await fetch(`${stack.url}/dev/invocations`, {
      method: 'POST',
      body: loadImage('small.jpg'),
      headers: {
        'x-api-key': KEY,
        'Content-Type': 'image/jpeg',
        'X-Request-Id': 'r'.repeat(64),
        'X-Client-Id': 'c'.repeat(1024),
      },
    });
    expect(response.status).toBe(200);
  });
});
