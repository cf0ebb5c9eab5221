import { describe, expect, it } from 'vitest';
import { buildProxyEvent, extendedRequestIdOf, requestTimeClf, traceIdOf } from './event.ts';
import { responseHeaders } from './reply.ts';

const request = (rawHeaders: string[]) => ({
  method: 'POST',
  path: '/predict',
  query: new URLSearchParams(),
  rawHeaders,
  body: Buffer.from('{}'),
  sourceIp: '198.51.100.9',
});
const context = {
  stage: 'prod',
  resourcePath: '/predict',
  stageVariables: null,
  requestId: '6f1c2a9e-0d4b-4f7a-9c3e-5b8d2e1f0a11',
  requestTimeEpoch: Date.UTC(2026, 2, 4, 19, 5, 7, 250),
  apiKey: null,
  apiKeyId: null,
  binaryMediaTypes: [],
};

describe('the v1 event as API Gateway delivers it (issue 12)', () => {
  it('adds Host, X-Amzn-Trace-Id, X-Forwarded-For/-Port/-Proto to a request that has none', () => {
    const event = buildProxyEvent(request(['Content-Type', 'application/json']), {
      ...context,
      apiId: 'abc123',
      region: 'eu-west-1',
      traceId: 'Root=1-69a8824b-0123456789abcdef01234567',
    });
    expect(event.headers).toEqual({
      'Content-Type': 'application/json',
      Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
      'X-Amzn-Trace-Id': 'Root=1-69a8824b-0123456789abcdef01234567',
      'X-Forwarded-For': '198.51.100.9',
      'X-Forwarded-Port': '443',
      'X-Forwarded-Proto': 'https',
    });
    expect(event.multiValueHeaders['X-Forwarded-For']).toEqual(['198.51.100.9']);
  });

  it("keeps the client's Host and trace header, appends the source IP to its X-Forwarded-For, overrides port and protocol", () => {
    const event = buildProxyEvent(
      request([
        'host',
        '127.0.0.1:3000',
        'x-forwarded-for',
        '203.0.113.1',
        'X-Amzn-Trace-Id',
        'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa',
        'X-Forwarded-Proto',
        'http',
      ]),
      context,
    );
    expect(event.headers).toEqual({
      host: '127.0.0.1:3000',
      'x-forwarded-for': '203.0.113.1, 198.51.100.9',
      'X-Amzn-Trace-Id': 'Root=1-00000001-aaaaaaaaaaaaaaaaaaaaaaaa',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Port': '443',
    });
    expect(event.requestContext).toMatchObject({
      domainName: '127.0.0.1',
      domainPrefix: '127',
    });
  });

  it('carries requestTime (CLF), domainName, domainPrefix and extendedRequestId', () => {
    const event = buildProxyEvent(request(['Host', 'abc123.execute-api.us-east-1.amazonaws.com']), {
      ...context,
      extendedRequestId: 'OPwe_ErKvHcF5ZA=',
    });
    expect(event.requestContext).toMatchObject({
      requestTime: '04/Mar/2026:19:05:07 +0000',
      requestTimeEpoch: context.requestTimeEpoch,
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      extendedRequestId: 'OPwe_ErKvHcF5ZA=',
    });
  });

  it('derives the ids from the request id when none are given, so fixtures are reproducible', () => {
    const a = buildProxyEvent(request([]), context);
    const b = buildProxyEvent(request([]), context);
    expect(a).toEqual(b);
    expect(a.requestContext.extendedRequestId).toMatch(/^[A-Za-z0-9_-]{15}=$/);
    expect(a.headers['X-Amzn-Trace-Id']).toMatch(/^Root=1-69a88263-[0-9a-f]{24}$/);
  });
});

describe('the ids API Gateway generates', () => {
  it.each([
    { epoch: 0, expected: '01/Jan/1970:00:00:00 +0000' },
    { epoch: Date.UTC(2025, 11, 31, 23, 59, 59, 999), expected: '31/Dec/2025:23:59:59 +0000' },
  ])('requestTime of $epoch is $expected', ({ epoch, expected }) => {
    expect(requestTimeClf(epoch)).toBe(expected);
  });

  it('shapes x-amz-apigw-id and X-Amzn-Trace-Id as AWS does', () => {
    const bytes = Buffer.alloc(23, 0xfb);
    expect(extendedRequestIdOf(bytes)).toBe('-_v7-_v7-_v7-_s=');
    expect(traceIdOf(1_480_615_200_000, bytes.subarray(11))).toBe(
      'Root=1-58406520-fbfbfbfbfbfbfbfbfbfbfbfb',
    );
  });

  it('every response carries x-amzn-RequestId, x-amz-apigw-id and the trace id', () => {
    expect(
      responseHeaders({ status: 200, headers: [], body: Buffer.alloc(0) }, 'r-1', {
        extendedRequestId: 'OPwe_ErKvHcF5ZA=',
        traceId: 'Root=1-58406520-fbfbfbfbfbfbfbfbfbfbfbfb',
      }),
    ).toEqual({
      'Content-Length': '0',
      'x-amzn-RequestId': 'r-1',
      'x-amz-apigw-id': 'OPwe_ErKvHcF5ZA=',
      'X-Amzn-Trace-Id': 'Root=1-58406520-fbfbfbfbfbfbfbfbfbfbfbfb',
    });
  });

  it.each([
    {
      type: 'MISSING_AUTHENTICATION_TOKEN' as const,
      exception: 'MissingAuthenticationTokenException',
    },
    { type: 'INVALID_API_KEY' as const, exception: 'ForbiddenException' },
    { type: 'THROTTLED' as const, exception: 'TooManyRequestsException' },
    { type: 'QUOTA_EXCEEDED' as const, exception: 'LimitExceededException' },
    { type: 'BAD_REQUEST_PARAMETERS' as const, exception: 'BadRequestException' },
    { type: 'INTEGRATION_TIMEOUT' as const, exception: 'InternalServerErrorException' },
    { type: 'API_CONFIGURATION_ERROR' as const, exception: 'InternalServerErrorException' },
    { type: 'DEFAULT_5XX' as const, exception: 'InternalServerErrorException' },
  ])('x-amzn-ErrorType for $type is $exception', ({ type, exception }) => {
    const headers = responseHeaders(
      { status: 400, headers: [], body: Buffer.alloc(0), errorType: type },
      'r-1',
    );
    expect(headers['x-amzn-ErrorType']).toBe(exception);
  });
});
