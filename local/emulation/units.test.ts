import { describe, expect, it } from 'vitest';
import { rawBodyOf } from '#shared/in-process-event.ts';
import { buildProxyEvent, eventBytes } from './event.ts';
import { renderTemplate } from './mapping.ts';
import { firstAcceptedType, matchesMediaType } from './media-types.ts';
import { translateResult } from './result.ts';
import { periodStart, Quota, TokenBucket } from './throttle.ts';
import { sameKey } from './usage-plans.ts';

const BINARY = ['multipart/form-data', 'image/*'];

describe('matchesMediaType (binaryMediaTypes)', () => {
  it.each([
    { value: 'multipart/form-data; boundary=x', patterns: BINARY, expected: true },
    { value: 'Multipart/Form-Data; boundary=x', patterns: BINARY, expected: true },
    { value: 'image/png', patterns: BINARY, expected: true },
    { value: 'image/svg+xml', patterns: BINARY, expected: true },
    { value: 'application/json', patterns: BINARY, expected: false },
    { value: 'text/plain', patterns: ['*/*'], expected: true },
    { value: undefined, patterns: ['*/*'], expected: false },
    { value: 'imagepng', patterns: BINARY, expected: false },
    { value: 'image/png', patterns: ['image/jpeg'], expected: false },
  ])('$value against $patterns: $expected', ({ value, patterns, expected }) => {
    expect(matchesMediaType(value, patterns)).toBe(expected);
  });

  it.each([
    { accept: 'image/avif,image/webp,*/*', expected: 'image/avif' },
    { accept: ' application/json ', expected: 'application/json' },
    { accept: undefined, expected: undefined },
    { accept: '', expected: undefined },
  ])('first Accept type of $accept', ({ accept, expected }) => {
    expect(firstAcceptedType(accept)).toBe(expected);
  });
});

const EVENT_CONTEXT = {
  stage: 'dev',
  resourcePath: '/predict',
  stageVariables: { endpointName: 'e' },
  requestId: 'rid',
  requestTimeEpoch: 1,
  apiKey: 'k'.repeat(20),
  apiKeyId: 'key-1',
  binaryMediaTypes: BINARY,
};

describe('buildProxyEvent', () => {
  const context = EVENT_CONTEXT;
  const bytes = Buffer.from([0x2d, 0xff, 0x00, 0xd8]);
  /** What API Gateway adds to a request that carries none of them, from 127.0.0.1 at epoch 1 ms. */
  const ADDED_HEADERS = {
    Host: 'local.execute-api.us-east-1.amazonaws.com',
    'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000',
    'X-Forwarded-For': '127.0.0.1',
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };

  it('keeps client header casing, last value in headers, all in multiValueHeaders; query strings single and multi', () => {
    const event = buildProxyEvent(
      {
        method: 'POST',
        path: '/predict',
        query: new URLSearchParams('a=1&a=2&b=3'),
        rawHeaders: [
          'Content-Type',
          'multipart/form-data; boundary=x',
          'X-Thing',
          'one',
          'x-thing',
          'two',
        ],
        body: bytes,
        sourceIp: '127.0.0.1',
      },
      context,
    );
    // The client's headers, then those API Gateway adds (issue 12).
    expect(event.headers).toEqual({
      'Content-Type': 'multipart/form-data; boundary=x',
      'X-Thing': 'two',
      ...ADDED_HEADERS,
    });
    expect(event.multiValueHeaders).toEqual({
      'Content-Type': ['multipart/form-data; boundary=x'],
      'X-Thing': ['one', 'two'],
      ...Object.fromEntries(Object.entries(ADDED_HEADERS).map(([name, value]) => [name, [value]])),
    });
    expect(event.queryStringParameters).toEqual({ a: '2', b: '3' });
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], b: ['3'] });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
    expect(event.requestContext).toMatchObject({
      requestId: 'rid',
      stage: 'dev',
      resourcePath: '/predict',
      httpMethod: 'POST',
      path: '/dev/predict',
      requestTimeEpoch: 1,
      identity: { sourceIp: '127.0.0.1', apiKey: 'k'.repeat(20), apiKeyId: 'key-1' },
    });
    expect(event.stageVariables).toEqual({ endpointName: 'e' });
  });

  it('decodes a body whose type is not binary as UTF-8 text, destroying binary bytes as AWS does', () => {
    const event = buildProxyEvent(
      {
        method: 'POST',
        path: '/predict',
        query: new URLSearchParams(),
        rawHeaders: ['content-type', 'text/plain'],
        body: bytes,
        sourceIp: '::1',
      },
      context,
    );
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBe('-\uFFFD\u0000\uFFFD');
    expect(event.queryStringParameters).toBeNull();
  });
});

describe('buildProxyEvent with a binary body (in-process, shared/in-process-event.ts)', () => {
  const build = (body: Buffer) =>
    buildProxyEvent(
      {
        method: 'POST',
        path: '/predict',
        query: new URLSearchParams(),
        rawHeaders: ['Content-Type', 'multipart/form-data; boundary=x'],
        body,
        sourceIp: '::1',
      },
      EVENT_CONTEXT,
    );

  it('carries the bytes its base64 body encodes, and measures the same as its JSON', () => {
    const body = Buffer.from([0xff, 0x00, 0x41, 0x80, 0x0d]);
    const event = build(body);
    expect(rawBodyOf(event)).toBe(body);
    expect(eventBytes(event)).toBe(Buffer.byteLength(JSON.stringify(event)));
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body as string, 'base64')).toEqual(body);
  });

  it('has no bytes beside an empty body (null, not base64)', () => {
    const event = build(Buffer.alloc(0));
    expect(event.body).toBeNull();
    expect(event.isBase64Encoded).toBe(false);
    expect(rawBodyOf(event)).toBeUndefined();
  });
});

describe('eventBytes', () => {
  it.each([
    { body: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), isBase64Encoded: true },
    { body: 'text with "quotes", \\ and \n newlines and 日本', isBase64Encoded: false },
    { body: null, isBase64Encoded: false },
  ])('equals the JSON size of the whole event ($isBase64Encoded)', ({ body, isBase64Encoded }) => {
    const event = {
      ...(JSON.parse('{"headers":{"a":"b"},"requestContext":{"x":1}}') as object),
      body,
      isBase64Encoded,
    } as never;
    expect(eventBytes(event)).toBe(Buffer.byteLength(JSON.stringify(event)));
  });
});

describe('translateResult', () => {
  it('merges headers and multiValueHeaders', () => {
    const result = translateResult(
      {
        statusCode: 201,
        headers: { A: '1', B: '2' },
        multiValueHeaders: { b: ['x', 'y'] },
        body: 'hi',
      },
      undefined,
      BINARY,
    );
    expect(result).toEqual({
      statusCode: 201,
      headers: [
        ['A', '1'],
        ['b', 'x'],
        ['b', 'y'],
      ],
      body: Buffer.from('hi'),
    });
  });

  it('decodes base64 only when the first Accept type is binary', () => {
    const body = Buffer.from([1, 2, 3]).toString('base64');
    const result = { statusCode: 200, body, isBase64Encoded: true };
    expect(translateResult(result, 'image/png, */*', BINARY)).toMatchObject({
      body: Buffer.from([1, 2, 3]),
    });
    expect(translateResult(result, 'application/json, image/png', BINARY)).toMatchObject({
      body: Buffer.from(body),
    });
  });

  it.each([
    { result: null, invalid: 'not an object' },
    { result: { body: 'x' }, invalid: 'statusCode is not an integer from 100 to 599' },
    { result: { statusCode: '200' }, invalid: 'statusCode is not an integer from 100 to 599' },
    { result: { statusCode: 200, body: { a: 1 } }, invalid: 'body is not a string' },
    {
      result: { statusCode: 200, headers: { a: { b: 1 } } },
      invalid: 'a header value is not a string',
    },
    {
      result: { statusCode: 200, body: '%%%', isBase64Encoded: true },
      invalid: 'body is not valid base64',
    },
    {
      result: { statusCode: 200, body: 'x'.repeat(6 * 1024 * 1024) },
      invalid: 'response payload over 6 MB',
    },
  ])('refuses $invalid', ({ result, invalid }) => {
    expect(translateResult(result, undefined, BINARY)).toEqual({ invalid });
  });
});

describe('throttle and quota', () => {
  it('a token bucket allows the burst, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now += 100; // one token at 10/s
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('a quota counts per UTC period and resets with the next', () => {
    let now = Date.UTC(2026, 10, 24, 23, 59);
    const quota = new Quota(2, 'DAY', () => now);
    expect([quota.take(), quota.take(), quota.take()]).toEqual([true, true, false]);
    now = Date.UTC(2026, 10, 25, 0, 1);
    expect(quota.take()).toBe(true);
  });

  it.each([
    { period: 'DAY' as const, expected: Date.UTC(2026, 10, 26) },
    { period: 'WEEK' as const, expected: Date.UTC(2026, 10, 23) },
    { period: 'MONTH' as const, expected: Date.UTC(2026, 10, 1) },
  ])('periodStart $period', ({ period, expected }) => {
    expect(periodStart(period, Date.UTC(2026, 10, 26, 15))).toBe(expected);
  });
});

describe('mapping templates and keys', () => {
  it('renders $context variables, messageString as a JSON string', () => {
    const context = {
      requestId: 'r-1',
      stage: 'dev',
      resourcePath: '/predict',
      httpMethod: 'POST',
      sourceIp: '127.0.0.1',
      apiKeyId: 'k',
      errorMessage: 'Say "hi"',
      errorResponseType: 'DEFAULT_4XX',
    };
    expect(
      renderTemplate(
        '{"d":$context.error.messageString,"id":"$context.requestId","x":"$context.unknown"}',
        context,
      ),
    ).toBe('{"d":"Say \\"hi\\"","id":"r-1","x":""}');
  });

  it('compares keys exactly', () => {
    expect(sameKey('a'.repeat(20), 'a'.repeat(20))).toBe(true);
    expect(sameKey('a'.repeat(20), `${'a'.repeat(19)}b`)).toBe(false);
    expect(sameKey('a'.repeat(21), 'a'.repeat(20))).toBe(false);
  });
});
