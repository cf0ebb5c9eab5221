/**
 * The SageMaker container contract over HTTP: /ping readiness, /invocations
 * for every input format, error statuses with JSON messages, modes.
 */
import { InvokeEndpointCommand, ModelNotReadyException } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAGEMAKER_MAX_BODY_BYTES } from '#shared/aws-facts.ts';
import { loadImage } from '../fixtures/index.ts';
import { Classifier } from './classifier.ts';
import { readClassifierConfig } from './model-config.ts';
import { DEFAULT_MODEL_CONFIG } from './paths.ts';
import type { ModelServer } from './server.ts';
import { jpeg, multipartBody, png, webp } from './test/images.ts';
import { deferred, runtimeClient, startTestServer } from './test/server.ts';

const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** sharp reports AVIF as `heif`; the server must still take it. */
const avif = loadImage('image.avif');

type Predictions = Array<{ label: string; score: number }>;

function post(server: ModelServer, body: Uint8Array | string, headers: Record<string, string>) {
  return fetch(`${server.url}/invocations`, { method: 'POST', headers, body });
}

function checkPredictions(predictions: Predictions): void {
  expect(predictions.map((p) => p.label).sort()).toEqual(LABELS);
  const scores = predictions.map((p) => p.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
}

describe('a loaded server (local mode)', () => {
  let server: ModelServer;
  let images: Record<'jpeg' | 'png' | 'webp', Buffer>;

  beforeAll(async () => {
    // Per-request faults on: some cases below provoke failures with them.
    server = await startTestServer({ LOCAL_FAULTS: 'on' });
    await server.loaded;
    images = {
      jpeg: await jpeg('gradient'),
      png: await png('gradient'),
      webp: await webp('gradient'),
    };
  });
  afterAll(() => server.close(0));

  it('binds 127.0.0.1 and answers /ping 200 once the model is loaded', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.url}/ping`);
    expect([response.status, await response.json()]).toEqual([
      200,
      { status: 'ready', model: 'nsfwjs-mobilenet-v2' },
    ]);
  });

  it.each([
    { type: 'image/jpeg', format: 'jpeg' },
    { type: 'image/png', format: 'png' },
    { type: 'image/webp', format: 'webp' },
    { type: 'application/x-image', format: 'png' },
  ] as const)('classifies a $format body sent as $type', async ({ type, format }) => {
    const response = await post(server, images[format], { 'Content-Type': type });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('server-timing')).toMatch(
      /^decode;dur=\d+\.\d\d, inference;dur=\d+\.\d\d$/,
    );
    const { predictions } = (await response.json()) as { predictions: Predictions };
    checkPredictions(predictions);
  });

  it.each([
    { how: 'as application/x-image', body: () => ({ body: avif, type: 'application/x-image' }) },
    { how: 'as image/avif, its own type', body: () => ({ body: avif, type: 'image/avif' }) },
    {
      how: 'in a multipart form',
      body: () => {
        const form = multipartBody([avif]);
        return { body: form.body, type: form.contentType };
      },
    },
  ])('classifies an AVIF sent $how (identified from its bytes, not as HEIF)', async ({ body }) => {
    const { body: payload, type } = body();
    const response = await post(server, payload, { 'Content-Type': type });
    expect([response.status, response.headers.get('content-type')]).toEqual([
      200,
      'application/json',
    ]);
    const { predictions } = (await response.json()) as { predictions: Predictions };
    checkPredictions(predictions);
  });

  it('answers one flat list for a multipart body with one image, as for the raw image', async () => {
    const form = multipartBody([images.jpeg]);
    const fromForm = await post(server, form.body, { 'Content-Type': form.contentType });
    const fromRaw = await post(server, images.jpeg, { 'Content-Type': 'image/jpeg' });
    expect(fromForm.status).toBe(200);
    expect(await fromForm.json()).toEqual(await fromRaw.json());
  });

  it('answers one list per image for several multipart images and for JSON instances', async () => {
    const single = (await (
      await post(server, images.jpeg, { 'Content-Type': 'image/jpeg' })
    ).json()) as { predictions: Predictions };
    const other = (await (
      await post(server, images.png, { 'Content-Type': 'image/png' })
    ).json()) as { predictions: Predictions };
    const form = multipartBody([images.jpeg, images.png]);
    const fromForm = await post(server, form.body, { 'Content-Type': form.contentType });
    const json = JSON.stringify({
      instances: [{ b64: images.png.toString('base64') }, { b64: images.jpeg.toString('base64') }],
    });
    const fromJson = await post(server, json, { 'Content-Type': 'application/json' });
    expect(await fromForm.json()).toEqual({
      predictions: [single.predictions, other.predictions],
    });
    expect(await fromJson.json()).toEqual({
      predictions: [other.predictions, single.predictions],
    });
  });

  it.each([
    {
      what: 'an unsupported content type',
      headers: { 'Content-Type': 'text/csv' },
      body: 'a,b',
      status: 415,
      message:
        'Content-Type "text/csv" is not supported; send one of image/jpeg, image/png, image/webp, image/gif, image/avif, image/tiff, image/heic, application/x-image, multipart/form-data, application/json, application/x-npy (images in the field "image").',
    },
    {
      what: 'an empty image body',
      headers: { 'Content-Type': 'image/jpeg' },
      body: '',
      status: 400,
      message: 'The body is empty.',
    },
    {
      what: 'bytes that are not an image',
      headers: { 'Content-Type': 'image/png' },
      body: 'definitely not a png',
      status: 400,
      message: 'The body is not an image that can be decoded.',
    },
    {
      what: 'malformed JSON',
      headers: { 'Content-Type': 'application/json' },
      body: '{"instances": [',
      status: 400,
      message: 'The body is not valid JSON.',
    },
    {
      what: 'JSON without instances',
      headers: { 'Content-Type': 'application/json' },
      body: '{"inputs": []}',
      status: 400,
      message:
        'The JSON body must be {"instances": [{"b64": "<base64 image>"}, ...]} with at least one instance.',
    },
    {
      what: 'an instance without b64',
      headers: { 'Content-Type': 'application/json' },
      body: '{"instances": [{"url": "http://example.com/a.jpg"}]}',
      status: 400,
      message: 'instances[0] must be an object with a "b64" string.',
    },
    {
      what: 'an instance that is not base64',
      headers: { 'Content-Type': 'application/json' },
      body: '{"instances": [{"b64": "***"}]}',
      status: 400,
      message: 'instances[0].b64 is not base64.',
    },
    {
      what: 'more instances than the batch limit',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ instances: Array(17).fill({ b64: 'AAAA' }) }),
      status: 413,
      message: 'The body has 17 instances, more than the limit of 16.',
    },
    {
      what: 'a multipart body without an image',
      headers: { 'Content-Type': 'multipart/form-data; boundary=b' },
      body: '--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--b--\r\n',
      status: 400,
      message: 'The upload has no image; send one or more files in the field "image".',
    },
    {
      what: 'an Accept the model cannot produce',
      headers: { 'Content-Type': 'image/jpeg', Accept: 'text/csv' },
      body: 'x',
      status: 406,
      message: 'Accept "text/csv" cannot be served; this model answers application/json.',
    },
  ])(
    'answers $status with a JSON message for $what',
    async ({ headers, body, status, message }) => {
      const response = await post(server, body, headers as Record<string, string>);
      expect([
        response.status,
        response.headers.get('content-type'),
        await response.json(),
      ]).toEqual([status, 'application/json', { message }]);
    },
  );

  it('answers 413 for a body over 6 MB without reading it', async () => {
    const response = await post(server, Buffer.alloc(SAGEMAKER_MAX_BODY_BYTES + 1), {
      'Content-Type': 'image/jpeg',
    });
    expect([response.status, await response.json()]).toEqual([
      413,
      { message: 'The body is larger than the limit of 6291456 bytes.' },
    ]);
  });

  it('applies per-request faults in local mode', async () => {
    const response = await post(server, images.jpeg, {
      'Content-Type': 'image/jpeg',
      'X-Amzn-SageMaker-Custom-Attributes': 'fault-status=503',
    });
    expect([response.status, await response.json()]).toEqual([
      503,
      { message: 'Injected fault: status 503' },
    ]);
  });

  it('drops the connection for fault-crash=drop', async () => {
    await expect(
      post(server, images.jpeg, {
        'Content-Type': 'image/jpeg',
        'X-Amzn-SageMaker-Custom-Attributes': 'fault-crash=drop',
      }),
    ).rejects.toThrow('fetch failed');
  });

  it.each([
    { method: 'POST', path: '/ping', status: 405, message: 'Use GET' },
    { method: 'GET', path: '/invocations', status: 405, message: 'Use POST' },
    { method: 'GET', path: '/models', status: 404, message: 'No route for GET /models' },
  ])('answers $status to $method $path', async ({ method, path, status, message }) => {
    const response = await fetch(`${server.url}${path}`, { method });
    expect([response.status, await response.json()]).toEqual([status, { message }]);
  });
});

describe('a server whose model is still loading', () => {
  it('fails /ping and refuses invocations until the model is loaded', async () => {
    const release = deferred<void>();
    const server = await startTestServer(
      {},
      {
        loadModel: async (path) => {
          await release.promise;
          return Classifier.load(await readClassifierConfig(path), { threads: 0 });
        },
      },
    );
    const client = runtimeClient(server.url);
    try {
      const ping = await fetch(`${server.url}/ping`);
      expect([ping.status, await ping.json()]).toEqual([503, { status: 'loading' }]);
      const direct = await post(server, 'x', { 'Content-Type': 'image/jpeg' });
      expect([direct.status, await direct.json()]).toEqual([
        503,
        { message: 'The model is not loaded yet; retry shortly.' },
      ]);
      const error = await client
        .send(
          new InvokeEndpointCommand({
            EndpointName: 'image-moderation',
            ContentType: 'image/jpeg',
            Body: await jpeg('grey'),
          }),
        )
        .then(
          () => undefined,
          (e: unknown) => e as ModelNotReadyException,
        );
      expect(error).toBeInstanceOf(ModelNotReadyException);
      expect([error?.$metadata.httpStatusCode, error?.message]).toEqual([
        429,
        'Model for endpoint image-moderation is not ready yet. Wait and try your request again.',
      ]);

      release.resolve();
      await server.loaded;
      expect((await fetch(`${server.url}/ping`)).status).toBe(200);
    } finally {
      client.destroy();
      await server.close(0);
    }
  });

  it('keeps failing /ping when the model cannot be loaded', async () => {
    const server = await startTestServer({ MODEL_CONFIG: '/nonexistent/classifier.json' });
    try {
      await server.loaded;
      const ping = await fetch(`${server.url}/ping`);
      expect([ping.status, await ping.json(), server.host.status]).toEqual([
        503,
        { status: 'failed' },
        'failed',
      ]);
    } finally {
      await server.close(0);
    }
  });
});

describe('a server with a slow /ping (FAULT_PING_DELAY_MS)', () => {
  it('does not answer /ping within the 2 s timeout of SageMaker health checks', async () => {
    const server = await startTestServer({ FAULT_PING_DELAY_MS: '600000' });
    try {
      await server.loaded;
      const ping = fetch(`${server.url}/ping`, { signal: AbortSignal.timeout(2000) });
      await expect(ping).rejects.toThrow('The operation was aborted due to timeout');
    } finally {
      await server.close(0);
    }
  });
});

describe('container mode', () => {
  let server: ModelServer;

  beforeAll(async () => {
    server = await startTestServer({
      MODEL_SERVER_MODE: 'container',
      MODEL_CONFIG: DEFAULT_MODEL_CONFIG,
    });
    await server.loaded;
  });
  afterAll(() => server.close(0));

  it('serves no Runtime API route', async () => {
    const response = await fetch(`${server.url}/endpoints/image-moderation/invocations`, {
      method: 'POST',
      headers: { Authorization: 'x' },
      body: 'x',
    });
    expect(response.status).toBe(404);
  });

  it('applies faults from the environment', async () => {
    const faulty = await startTestServer({
      MODEL_SERVER_MODE: 'container',
      FAULT_STATUS: '500',
      FAULT_LATENCY_MS: '1',
    });
    try {
      await faulty.loaded;
      const response = await post(faulty, await jpeg('grey'), { 'Content-Type': 'image/jpeg' });
      expect([response.status, await response.json()]).toEqual([
        500,
        { message: 'Injected fault: status 500' },
      ]);
    } finally {
      await faulty.close(0);
    }
  });

  it('ignores per-request fault attributes', async () => {
    const response = await post(server, await jpeg('grey'), {
      'Content-Type': 'image/jpeg',
      'X-Amzn-SageMaker-Custom-Attributes': 'fault-status=500;fault-crash=exit',
    });
    expect(response.status).toBe(200);
  });
});
