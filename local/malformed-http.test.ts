/**
 * Requests Node's HTTP parser refuses (issue 14) get problem+json with the
 * CORS headers and request id of the gateway's other errors, through the
 * stack's DEFAULT_4XX gateway response, instead of a bare 400 or 431.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localApiModel } from './template.ts';
import { type RunningGateway, startGateway, TEST_KEY } from './test/harness.ts';
import { openRaw, readWithNodeClient } from './test/raw-http.ts';

let gateway: RunningGateway;
beforeAll(async () => {
  gateway = await startGateway(localApiModel());
});
afterAll(() => gateway?.close());

/** Sends `request` as is; the answer, and whether the connection was closed after it. */
async function send(request: string) {
  const connection = await openRaw(gateway.url);
  await connection.write(request);
  const response = await connection.response();
  await connection.closed();
  return response;
}

const PREDICT = (headers: string, body = '') =>
  `POST /dev/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${TEST_KEY}\r\n${headers}\r\n${body}`;

describe('malformed HTTP', () => {
  it.each([
    {
      what: 'a control byte in a header value',
      request: PREDICT('X-Client-Id: a\u0001b\r\n'),
      status: 400,
      detail: 'The request is not valid HTTP/1.1: Invalid header value char.',
    },
    {
      what: 'a bad chunk size',
      request: PREDICT(
        'Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n',
        'zz\r\n--x--\r\n0\r\n\r\n',
      ),
      status: 400,
      detail: 'The request is not valid HTTP/1.1: Invalid character in chunk size.',
    },
    {
      what: 'no Host header',
      request: `GET /dev/predict HTTP/1.1\r\nx-api-key: ${TEST_KEY}\r\n\r\n`,
      status: 400,
      detail: 'An HTTP/1.1 request must carry a Host header.',
    },
    {
      what: 'headers over 16 KiB',
      request: PREDICT(`X-Big: ${'b'.repeat(20_000)}\r\n`),
      status: 431,
      detail: 'The request headers are too large.',
    },
    {
      what: 'a CONNECT request (Node would destroy its socket unanswered)',
      request: 'CONNECT /dev/predict HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
      status: 400,
      detail: 'The CONNECT method is not supported: this is an API, not a proxy.',
    },
    {
      what: 'a request line that is not HTTP',
      request: 'HELLO\r\n\r\n',
      status: 400,
      detail: 'The request is not valid HTTP/1.1: Invalid method encountered.',
    },
  ])('$what: $status problem+json with CORS headers', async ({ request, status, detail }) => {
    const response = await send(request);
    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-request-id,retry-after',
    });
    expect(JSON.parse(response.body)).toEqual({
      type: 'urn:image-inference-gateway:error:REQUEST_REJECTED',
      title: 'Request rejected by API Gateway',
      detail,
      code: 'REQUEST_REJECTED',
      requestId: response.headers['x-amzn-requestid'],
    });
    // One Content-Length: Node's client (and undici's fetch) refuse a repeated one.
    expect(response.raw.match(/^content-length:/gim)).toHaveLength(1);
    expect(await readWithNodeClient(response.raw)).toEqual({ status, body: response.body });
  });

  it('an HTTP/1.0 request without Host is still routed (its domain is the execute-api one)', async () => {
    const before = gateway.events.length;
    const response = await send(
      `POST /dev/predict HTTP/1.0\r\nx-api-key: ${TEST_KEY}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 5\r\n\r\n--x--`,
    );
    expect(response.status).toBe(200);
    expect(gateway.events.length).toBe(before + 1);
    expect(gateway.events.at(-1)?.requestContext.domainName).toMatch(/\.execute-api\./);
  });

  it('garbage pipelined after a complete request: that request is answered, then the 400', async () => {
    const connection = await openRaw(gateway.url);
    await connection.write(
      `${PREDICT('Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5\r\n', '--x--')}\u0000garbage\r\n\r\n`,
    );
    expect((await connection.response()).status).toBe(200);
    await connection.closed();
    const { raw } = await connection.response();
    const second = raw.slice(raw.indexOf('HTTP/1.1', 1));
    expect(second).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(second).toContain('"code":"REQUEST_REJECTED"');
  });
});
