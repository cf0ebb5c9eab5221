/**
 * Clients that are slow or refused (issue 14): headers or a body trickled,
 * a connection left silent, are cut with 408 problem+json; a request
 * without a key or route is answered before its body is read, so large
 * keyless uploads cost the gateway nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HEADERS_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  serverTimeouts,
  TIMEOUT_CHECK_INTERVAL_MS,
} from './client-errors.ts';
import { createGateway } from './gateway.ts';
import { localApiModel } from './template.ts';
import { type RunningGateway, startGateway, TEST_KEY } from './test/harness.ts';
import { openRaw, type RawResponse, readWithNodeClient, trickle } from './test/raw-http.ts';

const LIMITS = { headersTimeoutMs: 600, requestTimeoutMs: 1200, timeoutCheckIntervalMs: 100 };
/** The latest a cut may come: its limit, one check interval, and slack for a busy machine. */
const SLACK_MS = 1500;

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway(localApiModel(), undefined, undefined, LIMITS);
});
afterAll(() => gateway?.close());

function problemOf(response: RawResponse) {
  return {
    status: response.status,
    contentType: response.headers['content-type'],
    cors: response.headers['access-control-allow-origin'],
    connection: response.headers.connection,
    body: JSON.parse(response.body) as Record<string, unknown>,
  };
}

const PREDICT_HEAD = (headers: string) =>
  `POST /dev/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}\r\n`;

describe('the time limits', () => {
  it('cut a slow body, slow headers and a silent connection within 30 s by default', () => {
    const options = serverTimeouts();
    expect(options).toMatchObject({
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    });
    expect(HEADERS_TIMEOUT_MS + TIMEOUT_CHECK_INTERVAL_MS).toBeLessThanOrEqual(30_000);
    expect(REQUEST_TIMEOUT_MS + TIMEOUT_CHECK_INTERVAL_MS).toBeLessThanOrEqual(30_000);
    const server = createGateway({
      model: localApiModel(),
      apiKey: TEST_KEY,
      sagemakerUrl: 'http://127.0.0.1:9',
      handlerFor: () => {
        throw new Error('not used');
      },
    });
    expect([server.headersTimeout, server.requestTimeout]).toEqual([
      HEADERS_TIMEOUT_MS,
      REQUEST_TIMEOUT_MS,
    ]);
  });
});

describe('slow and silent clients', () => {
  it('headers trickled a byte at a time: 408 problem+json once the headers timeout passes', async () => {
    const connection = await openRaw(gateway.url);
    void trickle(
      connection,
      PREDICT_HEAD(`x-api-key: ${TEST_KEY}\r\nX-Slow: ${'s'.repeat(200)}\r\n`),
      20,
    );
    const response = await connection.response();
    expect(connection.elapsed()).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
    expect(problemOf(response)).toEqual({
      status: 408,
      contentType: 'application/problem+json',
      cors: '*',
      connection: 'close',
      body: {
        type: 'urn:image-inference-gateway:error:REQUEST_REJECTED',
        title: 'Request rejected by API Gateway',
        detail: 'The request headers did not arrive within 0.6 s.',
        code: 'REQUEST_REJECTED',
        requestId: response.headers['x-amzn-requestid'],
      },
    });
    // Written by hand on the socket: framed once, so Node's client reads it.
    expect(await readWithNodeClient(response.raw)).toEqual({ status: 408, body: response.body });
    await connection.closed();
  });

  it('a connection that sends nothing: 408, then closed', async () => {
    const connection = await openRaw(gateway.url);
    const response = await connection.response();
    expect(response.status).toBe(408);
    expect(await connection.closed()).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
  });

  it('a body trickled a byte at a time: 408 problem+json once the request timeout passes, and the function never runs', async () => {
    const before = gateway.events.length;
    const connection = await openRaw(gateway.url);
    await connection.write(
      PREDICT_HEAD(
        `x-api-key: ${TEST_KEY}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000\r\n`,
      ),
    );
    void trickle(connection, 'b'.repeat(1000), 20);
    const response = await connection.response();
    expect(connection.elapsed()).toBeLessThan(LIMITS.requestTimeoutMs + SLACK_MS);
    expect(problemOf(response)).toMatchObject({
      status: 408,
      contentType: 'application/problem+json',
      cors: '*',
      body: {
        code: 'REQUEST_REJECTED',
        detail: 'The request did not arrive in full within 1.2 s.',
      },
    });
    await connection.closed();
    expect(gateway.events.length).toBe(before);
  });

  it('a body that stops halfway: 408 too', async () => {
    const connection = await openRaw(gateway.url);
    await connection.write(
      PREDICT_HEAD(
        `x-api-key: ${TEST_KEY}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n`,
      ),
    );
    await connection.write(Buffer.alloc(50_000));
    const response = await connection.response();
    expect(response.status).toBe(408);
    expect(connection.elapsed()).toBeLessThan(LIMITS.requestTimeoutMs + SLACK_MS);
  });

  it('a request that arrives in time is not cut while the gateway works on it', async () => {
    const slow = await startGateway(
      localApiModel(),
      undefined,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, LIMITS.requestTimeoutMs + 500));
        return { statusCode: 200, body: '{}' };
      },
      LIMITS,
    );
    try {
      const response = await fetch(`${slow.url}/dev/predict`, {
        method: 'POST',
        headers: { 'x-api-key': TEST_KEY, 'Content-Type': 'multipart/form-data; boundary=x' },
        body: '--x--',
      });
      expect(response.status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});

describe('a request refused before its body is read', () => {
  const NEARLY_10_MB = 9_900_000;
  const FIRST_CHUNK = 64 * 1024;

  /** Sends the head and one 64 KiB chunk of a 9.9 MB upload, then waits for the answer. */
  async function startUpload(path: string, headers: string) {
    const connection = await openRaw(gateway.url);
    await connection.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: ${NEARLY_10_MB}\r\n${headers}\r\n`,
    );
    await connection.write(Buffer.alloc(FIRST_CHUNK));
    return connection;
  }

  it('40 concurrent 9.9 MB uploads without a key: each gets its 403 after 64 KiB of its body', async () => {
    const connections = await Promise.all(
      Array.from({ length: 40 }, () => startUpload('/dev/predict', '')),
    );
    const responses = await Promise.all(connections.map((c) => c.response()));
    for (const [i, response] of responses.entries()) {
      expect(problemOf(response)).toMatchObject({
        status: 403,
        contentType: 'application/problem+json',
        body: { code: 'INVALID_API_KEY' },
      });
      expect(connections[i]?.written()).toBeLessThan(FIRST_CHUNK + 1024);
    }
    for (const connection of connections) connection.socket.destroy();
  });

  it('a wrong key, and a route that does not exist, are answered the same way', async () => {
    const wrongKey = await startUpload('/dev/predict', 'x-api-key: not-the-key-000000000000\r\n');
    expect(problemOf(await wrongKey.response()).body).toMatchObject({ code: 'INVALID_API_KEY' });
    const noRoute = await startUpload('/dev/nothing-here', `x-api-key: ${TEST_KEY}\r\n`);
    expect(problemOf(await noRoute.response()).body).toMatchObject({
      code: 'MISSING_AUTHENTICATION_TOKEN',
    });
    for (const connection of [wrongKey, noRoute]) connection.socket.destroy();
  });

  it('a declared length over 10 MB: the plain-text 413 at once', async () => {
    const connection = await openRaw(gateway.url);
    await connection.write(
      PREDICT_HEAD(`x-api-key: ${TEST_KEY}\r\nContent-Length: ${10 * 1024 * 1024 + 1}\r\n`),
    );
    const response = await connection.response();
    expect([response.status, response.body]).toEqual([
      413,
      'HTTP content length exceeded 10485760 bytes.',
    ]);
    connection.socket.destroy();
  });

  it('Expect: 100-continue: a keyless upload gets its 403 and no 100 Continue; with the key, 100 Continue then the answer', async () => {
    const keyless = await openRaw(gateway.url);
    await keyless.write(
      PREDICT_HEAD(
        'Expect: 100-continue\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 5\r\n',
      ),
    );
    const refused = await keyless.response();
    expect(refused.status).toBe(403);
    expect(refused.raw).not.toContain('100 Continue');
    keyless.socket.destroy();

    const keyed = await openRaw(gateway.url);
    await keyed.write(
      PREDICT_HEAD(
        `x-api-key: ${TEST_KEY}\r\nExpect: 100-continue\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 5\r\n`,
      ),
    );
    await new Promise((resolve) => keyed.socket.once('data', resolve));
    await keyed.write('--x--');
    const answered = await keyed.response();
    expect(answered.raw.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    expect(answered.status).toBe(200);
    keyed.socket.destroy();
  });
});
