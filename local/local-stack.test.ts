import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import FormDataPackage from 'form-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath, loadImage } from '../fixtures/index.ts';
import { createGateway } from './gateway.ts';
import { type LocalStack, startLocalStack } from './stack.ts';
import { localApiModel } from './template.ts';

const execFileAsync = promisify(execFile);
const KEY = 'local-integration-test-key-0001';
let stack: LocalStack;
const accessLog: string[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    modelPort: 0,
    apiKey: KEY,
    // The 504 case slows the model with a fault-latency-ms form field.
    localFaults: true,
    // A 2 s budget for the model, so a slowed model meets the deadline quickly.
    functionEnv: { DEADLINE_MARGIN_MS: String(23_000) },
    accessLog: (line) => accessLog.push(line),
  });
}, 90_000);
afterAll(() => stack?.stop());

const predictUrl = (stage = 'dev') => `${stack.url}/${stage}/predict`;

async function post(
  url: string,
  form: FormData,
  headers: Record<string, string> = { 'x-api-key': KEY },
) {
  const response = await fetch(url, { method: 'POST', body: form, headers });
  return { response, body: (await response.json()) as Record<string, unknown> };
}

function imageForm(...names: Array<Parameters<typeof loadImage>[0]>): FormData {
  const form = new FormData();
  for (const name of names)
    form.append('image', new Blob([loadImage(name)], { type: 'image/jpeg' }), name);
  return form;
}

type Predictions = Array<{ label: string; score: number }>;
const predictionsOf = (body: Record<string, unknown>) =>
  (body.results as Array<{ predictions: Predictions }>).map((r) => r.predictions);

describe('the local stack, end to end with the real model', () => {
  it('curl -F, fetch + FormData and the form-data package give 200 and the same predictions', async () => {
    const curl = await execFileAsync('curl', [
      '-q',
      '-sS',
      '-H',
      `x-api-key: ${KEY}`,
      '-F',
      `image=@${imagePath('photo-2mp.jpg')}`,
      predictUrl(),
    ]);
    const viaCurl = JSON.parse(curl.stdout) as Record<string, unknown>;

    const viaFetch = await post(predictUrl(), imageForm('photo-2mp.jpg'));
    expect(viaFetch.response.status).toBe(200);

    const form = new FormDataPackage();
    form.append('image', loadImage('photo-2mp.jpg'), {
      filename: 'photo-2mp.jpg',
      contentType: 'image/jpeg',
    });
    const viaPackage = await fetch(predictUrl(), {
      method: 'POST',
      headers: { ...form.getHeaders(), 'x-api-key': KEY },
      body: form.getBuffer(),
    });
    expect(viaPackage.status).toBe(200);
    const packageBody = (await viaPackage.json()) as Record<string, unknown>;

    const [first] = predictionsOf(viaCurl);
    expect(first?.map((p) => p.label)).toEqual(['Neutral', 'Porn', 'Drawing', 'Sexy', 'Hentai']);
    expect(predictionsOf(viaFetch.body)).toEqual(predictionsOf(viaCurl));
    expect(predictionsOf(packageBody)).toEqual(predictionsOf(viaCurl));
    expect(viaCurl.endpoint).toEqual({ name: 'image-moderation', variant: 'AllTraffic' });
  });

  it('answers several images in one request, in upload order', async () => {
    const { response, body } = await post(
      predictUrl(),
      imageForm('small.jpg', 'photo-2mp.jpg', 'orientation-6.jpg'),
    );
    expect(response.status).toBe(200);
    expect((body.results as Array<{ filename: string }>).map((r) => r.filename)).toEqual([
      'small.jpg',
      'photo-2mp.jpg',
      'orientation-6.jpg',
    ]);
  });

  it.each([
    { what: 'no key', headers: {} as Record<string, string> },
    { what: 'a wrong key', headers: { 'x-api-key': 'not-the-key-0000000000000' } },
  ])('403 with $what, as problem+json with CORS headers', async ({ headers }) => {
    const { response, body } = await post(predictUrl(), imageForm('small.jpg'), headers);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(body).toMatchObject({
      code: 'INVALID_API_KEY',
      status: 403,
      requestId: response.headers.get('x-amzn-requestid'),
    });
  });

  it('403 MISSING_AUTHENTICATION_TOKEN for an unknown route, as deployed', async () => {
    const response = await fetch(`${stack.url}/dev/nothing-here`, { method: 'POST' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({
      code: 'MISSING_AUTHENTICATION_TOKEN',
      status: 403,
    });
  });

  it('answers the CORS preflight as the stack configures it', async () => {
    const response = await fetch(predictUrl(), {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'content-type,x-api-key,x-request-id,x-client-id',
    );
    expect(response.headers.get('access-control-allow-methods')).toBe('OPTIONS,POST');
  });

  it('400 BAD_REQUEST_PARAMETERS without a Content-Type (the request validator)', async () => {
    const response = await fetch(predictUrl(), { method: 'POST', headers: { 'x-api-key': KEY } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'BAD_REQUEST_PARAMETERS' });
  });

  it('413 in plain text over 10 MB; 413 REQUEST_TOO_LARGE over the 6 MB event', async () => {
    const huge = new FormData();
    huge.append('image', new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)]), 'huge.jpg');
    const over10 = await fetch(predictUrl(), {
      method: 'POST',
      body: huge,
      headers: { 'x-api-key': KEY },
    });
    expect(over10.status).toBe(413);
    expect(await over10.text()).toBe('HTTP content length exceeded 10485760 bytes.');

    const big = new FormData();
    big.append('image', new Blob([Buffer.alloc(5 * 1024 * 1024)]), 'big.jpg');
    const { response, body } = await post(predictUrl(), big);
    expect(response.status).toBe(413);
    expect(body).toMatchObject({ code: 'REQUEST_TOO_LARGE', status: 413 });
  });

  it.each([
    { what: 'JSON instead of multipart', status: 415, code: 'UNSUPPORTED_CONTENT_TYPE' },
    {
      what: 'a truncated JPEG',
      status: 422,
      code: 'IMAGE_UNDECODABLE',
      image: 'truncated.jpg' as const,
    },
    {
      what: 'the pixel bomb',
      status: 413,
      code: 'IMAGE_TOO_MANY_PIXELS',
      image: 'bomb.png' as const,
    },
  ])('$status $code for $what', async ({ status, code, image }) => {
    const response =
      image === undefined
        ? await fetch(predictUrl(), {
            method: 'POST',
            body: '{}',
            headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
          })
        : await fetch(predictUrl(), {
            method: 'POST',
            body: imageForm(image),
            headers: { 'x-api-key': KEY },
          });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code, status });
  });

  it('504 ENDPOINT_TIMEOUT when the model is slowed past the deadline', async () => {
    const form = imageForm('small.jpg');
    form.append('fault-latency-ms', '4000');
    const { response, body } = await post(predictUrl(), form);
    expect(response.status).toBe(504);
    expect(body).toMatchObject({ code: 'ENDPOINT_TIMEOUT', part: 'image[0]' });
  });

  it('the passthrough route sends the body to the model unchanged', async () => {
    const response = await fetch(`${stack.url}/dev/invocations`, {
      method: 'POST',
      body: loadImage('small.jpg'),
      headers: { 'x-api-key': KEY, 'Content-Type': 'image/jpeg' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
    const { predictions } = (await response.json()) as { predictions: Predictions };
    expect(predictions).toHaveLength(5);
  });

  it('429 THROTTLED after the burst, as problem+json with Retry-After', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(predictUrl('prod'), {
          method: 'POST',
          body: '{}',
          headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 415).length).toBeGreaterThanOrEqual(20);
    const throttled = responses.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    expect(await throttled[0]?.json()).toMatchObject({ code: 'THROTTLED', status: 429 });
    expect(throttled[0]?.headers.get('retry-after')).toBe('1');
  });

  it('writes one JSON access-log line per request, with the key id and never the key', () => {
    expect(accessLog.length).toBeGreaterThan(10);
    const line = JSON.parse(accessLog.find((l) => l.includes('"status":200')) ?? '{}') as Record<
      string,
      unknown
    >;
    expect(Object.keys(line)).toEqual([
      'requestId',
      'stage',
      'route',
      'status',
      'latencyMs',
      'apiKeyId',
    ]);
    expect(line.route).toMatch(/^POST \/dev\/(predict|invocations)$/);
    expect(accessLog.join('\n')).not.toContain(KEY);
  });
});

describe('the local gateway against other backends', () => {
  let echo: Server;
  let echoUrl: string;
  beforeAll(async () => {
    echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(200, {
          // The request's own type: a binary media type comes back as bytes
          // only when it is one and the client accepts it first (issue 12).
          'Content-Type': req.headers['content-type'] ?? 'application/octet-stream',
          'X-Amzn-Invoked-Production-Variant': 'Echo',
        });
        res.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  async function gateway(overrides: { binaryMediaTypes?: string[] }) {
    const model = localApiModel();
    const server = createGateway({
      model: { ...model, ...overrides },
      apiKey: KEY,
      sagemakerUrl: echoUrl,
      handlerFor: () => {
        throw new Error('not used');
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  it('a file holding every byte value crosses the passthrough route with the same sha256', async () => {
    const { server, url } = await gateway({});
    try {
      const bytes = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
      const response = await fetch(`${url}/dev/invocations`, {
        method: 'POST',
        body: bytes,
        headers: { 'x-api-key': KEY, 'Content-Type': 'image/png', Accept: 'image/png' },
      });
      expect(response.status).toBe(200);
      const echoed = Buffer.from(await response.arrayBuffer());
      expect(createHash('sha256').update(echoed).digest('hex')).toBe(
        createHash('sha256').update(bytes).digest('hex'),
      );
    } finally {
      server.close();
    }
  });

  it('a wrong binaryMediaTypes corrupts the upload locally exactly as deployed: 400 BINARY_BODY_NOT_ENCODED', async () => {
    const model = localApiModel();
    const { createHandler } = await import('#predict/handler.ts');
    const { loadConfig } = await import('#predict/config.ts');
    const server = createGateway({
      model: { ...model, binaryMediaTypes: ['image/png'] },
      apiKey: KEY,
      sagemakerUrl: echoUrl,
      handlerFor: (fn) => {
        const config = loadConfig(fn.environment);
        return createHandler(() => ({
          config,
          client: { send: () => Promise.reject(new Error('unused')) },
        }));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const response = await fetch(`${url}/dev/predict`, {
        method: 'POST',
        body: imageForm('small.jpg'),
        headers: { 'x-api-key': KEY },
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'BINARY_BODY_NOT_ENCODED' });
    } finally {
      server.close();
    }
  });
});

describe('the local gateway around a Lambda that misbehaves', () => {
  async function withHandler(
    handler: (event: unknown) => Promise<unknown>,
    integrationTimeoutMs?: number,
  ) {
    const model = localApiModel();
    const server = createGateway({
      model,
      apiKey: KEY,
      sagemakerUrl: 'http://127.0.0.1:9',
      handlerFor: () => handler as never,
      limits: { integrationTimeoutMs },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev/predict`;
    try {
      return await fetch(url, {
        method: 'POST',
        body: imageForm('small.jpg'),
        headers: { 'x-api-key': KEY, Accept: 'image/png' },
      });
    } finally {
      server.close();
    }
  }

  it.each([
    { what: 'throws', handler: () => Promise.reject(new Error('boom')) },
    { what: 'returns no statusCode', handler: () => Promise.resolve({ body: 'x' }) },
    {
      what: 'returns invalid base64',
      handler: () => Promise.resolve({ statusCode: 200, body: '%%', isBase64Encoded: true }),
    },
    {
      what: 'returns over 6 MB',
      handler: () => Promise.resolve({ statusCode: 200, body: 'x'.repeat(6 * 1024 * 1024 + 1) }),
    },
  ])('502 INTEGRATION_FAILURE through DEFAULT_5XX when the Lambda $what', async ({ handler }) => {
    // AWS answers these with 502 through DEFAULT_5XX, which the stack restyles.
    const response = await withHandler(handler);
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      code: 'INTEGRATION_FAILURE',
      status: 502,
      detail:
        'API Gateway got no valid answer from its backend (it failed or returned an invalid result); the request id identifies the request in the logs.',
    });
  });

  it('504 ENDPOINT_TIMEOUT (INTEGRATION_TIMEOUT) when the Lambda outlives the integration timeout', async () => {
    const response = await withHandler(
      () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200 }), 2000)),
      200,
    );
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ code: 'ENDPOINT_TIMEOUT', status: 504 });
  });

  it('decodes a base64 body when the first Accept type is a binary media type', async () => {
    const response = await withHandler(() =>
      Promise.resolve({
        statusCode: 200,
        headers: { 'Content-Type': 'image/png' },
        body: Buffer.from([0, 255, 1]).toString('base64'),
        isBase64Encoded: true,
      }),
    );
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 255, 1]));
  });
});

describe('shutdown', () => {
  it('stops the API and the model server process', async () => {
    const other = await startLocalStack({ port: 0, modelPort: 0, apiKey: KEY });
    await other.stop();
    expect(other.model.exitCode === 0 || other.model.signalCode === 'SIGTERM').toBe(true);
    await expect(fetch(`${other.url}/dev/predict`)).rejects.toThrow();
  }, 60_000);
});
