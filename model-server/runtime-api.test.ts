/**
 * Contract tests: the real SageMakerRuntimeClient against the local Runtime
 * API. Each answer must deserialise into the exception class AWS's would.
 */
import {
  InternalDependencyException,
  InternalFailure,
  InvokeEndpointCommand,
  type InvokeEndpointCommandInput,
  ModelError,
  ModelNotReadyException,
  type SageMakerRuntimeClient,
  SageMakerRuntimeServiceException,
  ServiceUnavailable,
  ValidationError,
} from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAGEMAKER_MAX_BODY_BYTES } from '#shared/aws-facts.ts';
import type { ModelServer } from './server.ts';
import { jpeg, png } from './test/images.ts';
import { runtimeClient, startTestServer } from './test/server.ts';

const ENDPOINT = 'image-moderation';
const LOGS =
  'See https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEventViewer:group=/aws/sagemaker/Endpoints/image-moderation in account 000000000000 for more information.';
const LOG_STREAM_ARN =
  'arn:aws:logs:eu-west-1:000000000000:log-group:/aws/sagemaker/Endpoints/image-moderation';

let server: ModelServer;
let client: SageMakerRuntimeClient;
let grey: Buffer;

beforeAll(async () => {
  server = await startTestServer({
    // Per-request faults on: the failure cases are provoked with them.
    LOCAL_FAULTS: 'on',
    LOCAL_ENDPOINT_NAMES: `${ENDPOINT},second-endpoint`,
    // Short, so the timeout case answers in 2 s, yet long enough that 24
    // parallel invocations on a busy 2-core machine all finish within it.
    INVOCATION_TIMEOUT_MS: '2000',
  });
  await server.loaded;
  client = runtimeClient(server.url, 'eu-west-1');
  grey = await jpeg('grey');
});

afterAll(async () => {
  client.destroy();
  await server.close(0);
});

function invoke(input: Partial<InvokeEndpointCommandInput> = {}) {
  return client.send(
    new InvokeEndpointCommand({
      EndpointName: ENDPOINT,
      ContentType: 'image/jpeg',
      Accept: 'application/json',
      Body: grey,
      ...input,
    }),
  );
}

async function failure(input: Partial<InvokeEndpointCommandInput>) {
  try {
    await invoke(input);
  } catch (error) {
    return error as SageMakerRuntimeServiceException & Record<string, unknown>;
  }
  throw new Error('The invocation succeeded');
}

function labels(body: Uint8Array): string[] {
  const { predictions } = JSON.parse(Buffer.from(body).toString('utf8')) as {
    predictions: Array<{ label: string; score: number }>;
  };
  return predictions.map((p) => p.label);
}

describe('InvokeEndpoint through the SDK', () => {
  it('answers the predictions with content type and invoked variant', async () => {
    const output = await invoke();
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(output.ContentType).toBe('application/json');
    expect(output.InvokedProductionVariant).toBe('AllTraffic');
    expect(labels(output.Body).sort()).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
  });

  it('serves every configured endpoint name with the same model', async () => {
    const first = await invoke();
    const second = await invoke({ EndpointName: 'second-endpoint' });
    expect(Buffer.from(second.Body).toString()).toBe(Buffer.from(first.Body).toString());
  });

  it('accepts the variant it reports as TargetVariant', async () => {
    const output = await invoke({ TargetVariant: 'AllTraffic' });
    expect(output.InvokedProductionVariant).toBe('AllTraffic');
  });

  it.each([
    {
      what: 'an inference id over 64 characters, before the endpoint is looked up',
      input: { EndpointName: 'missing-endpoint', InferenceId: 'r'.repeat(65) },
      message: `1 validation error detected: Value '${'r'.repeat(65)}' at 'inferenceId' failed to satisfy constraint: Member must have length less than or equal to 64`,
    },
    {
      what: 'an inference id with a tab, and custom attributes over 1024 characters',
      input: { InferenceId: 'a\tb', CustomAttributes: 'c'.repeat(1025) },
      message: String.raw`2 validation errors detected: Value 'a${'\t'}b' at 'inferenceId' failed to satisfy constraint: Member must satisfy regular expression pattern: \A\S[\p{Print}]*\z; Value at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 1024`,
    },
    {
      what: 'an unknown endpoint',
      input: { EndpointName: 'missing-endpoint' },
      message: 'Endpoint missing-endpoint of account 000000000000 not found.',
    },
    {
      what: 'a target model on a single-model endpoint',
      input: { TargetModel: 'model-a.tar.gz' },
      message:
        'Endpoint image-moderation is not a multi-model endpoint and does not support target model header.',
    },
    {
      what: 'an unknown target variant',
      input: { TargetVariant: 'blue' },
      message: 'Variant blue does not exist for endpoint image-moderation of account 000000000000.',
    },
  ])('raises ValidationError (400) for $what', async ({ input, message }) => {
    const error = await failure(input);
    expect(error).toBeInstanceOf(ValidationError);
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual([
      'ValidationError',
      400,
      message,
    ]);
  });

  it.each([
    {
      what: 'a content type the model does not take',
      input: { ContentType: 'text/plain', Body: Buffer.from('hello') },
      status: 415,
      original: JSON.stringify({
        message:
          'Content-Type "text/plain" is not supported; send one of image/jpeg, image/png, image/webp, image/gif, image/avif, image/tiff, image/heic, application/x-image, multipart/form-data, application/json, application/x-npy (images in the field "image").',
      }),
    },
    {
      what: 'bytes that are not an image',
      input: { Body: Buffer.from('not an image at all') },
      status: 400,
      original: JSON.stringify({ message: 'The body is not an image that can be decoded.' }),
    },
    {
      what: 'a model failure (fault-status=500)',
      input: { CustomAttributes: 'fault-status=500' },
      status: 500,
      original: JSON.stringify({ message: 'Injected fault: status 500' }),
    },
    {
      what: 'a malformed fault attribute',
      input: { CustomAttributes: 'fault-status=abc' },
      status: 400,
      original: JSON.stringify({
        message:
          'Custom attribute fault-status must be an HTTP status from 200 to 599, but received "abc"',
      }),
    },
  ])('raises ModelError (424) carrying the container status for $what', async (row) => {
    const error = await failure(row.input);
    expect(error).toBeInstanceOf(ModelError);
    const kind = row.status < 500 ? 'client' : 'server';
    expect({
      name: error.name,
      status: error.$metadata.httpStatusCode,
      message: error.message,
      OriginalStatusCode: error.OriginalStatusCode,
      OriginalMessage: error.OriginalMessage,
      LogStreamArn: error.LogStreamArn,
    }).toEqual({
      name: 'ModelError',
      status: 424,
      message: `Received ${kind} error (${row.status}) from primary with message "${row.original}". ${LOGS}`,
      OriginalStatusCode: row.status,
      OriginalMessage: row.original,
      LogStreamArn: LOG_STREAM_ARN,
    });
  });

  it.each([
    {
      what: 'does not answer in time (fault-latency-ms past the timeout)',
      attributes: 'fault-latency-ms=5000',
      original:
        'Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.',
    },
    {
      what: 'crashes (fault-crash=drop)',
      attributes: 'fault-crash=drop',
      original:
        'Amazon SageMaker could not get a response from the image-moderation endpoint. This can occur when CPU or memory utilization is high. To check your utilization, see Amazon CloudWatch. To fix this problem, use an instance type with more CPU capacity or memory.',
    },
  ])('raises ModelError with status 0 when the container $what', async (row) => {
    const error = await failure({ CustomAttributes: row.attributes });
    expect(error).toBeInstanceOf(ModelError);
    expect([
      error.$metadata.httpStatusCode,
      error.OriginalStatusCode,
      error.OriginalMessage,
    ]).toEqual([424, 0, row.original]);
    expect(error.message).toBe(
      `Received server error (0) from primary with message "${row.original}". ${LOGS}`,
    );
  });

  it.each([
    { name: 'ModelNotReadyException', type: ModelNotReadyException, status: 429 },
    { name: 'ServiceUnavailable', type: ServiceUnavailable, status: 503 },
    { name: 'InternalFailure', type: InternalFailure, status: 500 },
    { name: 'InternalDependencyException', type: InternalDependencyException, status: 530 },
    { name: 'ValidationError', type: ValidationError, status: 400 },
    { name: 'ThrottlingException', type: SageMakerRuntimeServiceException, status: 400 },
  ])('raises $name ($status) for fault-runtime-error=$name', async ({ name, type, status }) => {
    const error = await failure({ CustomAttributes: `client-id=abc;fault-runtime-error=${name}` });
    expect(error).toBeInstanceOf(type);
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual([
      name,
      status,
      `Injected fault: ${name}`,
    ]);
  });

  it('refuses a body over 6 MB as AWS does (413, no error type)', async () => {
    const error = await failure({ Body: Buffer.alloc(SAGEMAKER_MAX_BODY_BYTES + 1) });
    // With no error type, the JS SDK names the exception "Unknown" (boto3 says "(413)").
    expect(error).toBeInstanceOf(SageMakerRuntimeServiceException);
    expect([error.name, error.$metadata.httpStatusCode, error.message]).toEqual([
      'Unknown',
      413,
      'HTTP content length exceeded 6291456 bytes.',
    ]);
  });

  it('takes a body of exactly 6 MB to the container', async () => {
    const error = await failure({ Body: Buffer.alloc(SAGEMAKER_MAX_BODY_BYTES) });
    expect([error.name, error.OriginalStatusCode]).toEqual(['ModelError', 400]);
  });

  it('answers every one of many parallel requests', async () => {
    const [gradient, noise] = await Promise.all([png('gradient'), png('noise')]);
    const bodies = Array.from({ length: 24 }, (_, i) => [grey, gradient, noise][i % 3] as Buffer);
    const outputs = await Promise.all(
      bodies.map((Body, i) =>
        invoke({ Body, ContentType: i % 3 === 0 ? 'image/jpeg' : 'image/png' }),
      ),
    );
    const answers = outputs.map((output) => {
      const { predictions } = JSON.parse(Buffer.from(output.Body).toString()) as {
        predictions: Array<{ label: string; score: number }>;
      };
      return Object.fromEntries(predictions.map(({ label, score }) => [label, score]));
    });
    expect(outputs.map((output) => output.$metadata.httpStatusCode)).toEqual(Array(24).fill(200));
    // Batching must not mix images up: equal inputs, equal answers. A run of
    // two images and a run of one use different kernels, so scores may differ
    // in their last float32 digits: compare within 1e-5, far below any
    // difference between the three images.
    const distance = (a: Record<string, number>, b: Record<string, number>) =>
      Math.max(...Object.keys(a).map((label) => Math.abs((a[label] ?? 0) - (b[label] ?? 0))));
    for (let i = 3; i < 24; i++) {
      expect(distance(answers[i] ?? {}, answers[i % 3] ?? {}), `request ${i}`).toBeLessThan(1e-5);
    }
    for (const [a, b] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      expect(distance(answers[a] ?? {}, answers[b] ?? {})).toBeGreaterThan(1e-3);
    }
  });
});

describe('the Runtime API over plain HTTP', () => {
  it('refuses a request without an Authorization header as AWS does', async () => {
    const response = await fetch(`${server.url}/endpoints/${ENDPOINT}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'image/jpeg' },
      body: grey,
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'MissingAuthenticationTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/',
    );
    expect(await response.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('sets x-amzn-errortype and a request id on errors', async () => {
    const response = await fetch(`${server.url}/endpoints/nope/invocations`, {
      method: 'POST',
      headers: {
        Authorization:
          'AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-northeast-1/sagemaker/aws4_request',
      },
      body: grey,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe(
      'ValidationError:http://internal.amazon.com/coral/com.amazon.sagemaker/',
    );
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      message: 'Endpoint nope of account 000000000000 not found.',
    });
  });
});
