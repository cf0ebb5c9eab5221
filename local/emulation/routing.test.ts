import { describe, expect, it } from 'vitest';
import type { Route, Stage } from './api-model.ts';
import type { MappingContext } from './mapping.ts';
import { responseHeaders } from './reply.ts';
import { type RequestScope, routeScope } from './request-scope.ts';
import { findRoute, splitStagePath, validateRequestParameters } from './routing.ts';

const predict: Route = {
  path: '/predict',
  method: 'POST',
  apiKeyRequired: true,
  requiredHeaders: ['content-type', 'x-thing'],
  integration: { type: 'AWS_PROXY', functionId: 'Fn' },
};
const preflight: Route = {
  path: '/predict',
  method: 'OPTIONS',
  apiKeyRequired: false,
  requiredHeaders: [],
  integration: { type: 'MOCK', responses: [] },
};

describe('route matching', () => {
  it.each([
    { pathname: '/dev/predict', stageName: 'dev', resourcePath: '/predict' },
    { pathname: '/dev/a/b', stageName: 'dev', resourcePath: '/a/b' },
    { pathname: '/dev', stageName: 'dev', resourcePath: '/' },
    { pathname: '/dev/', stageName: 'dev', resourcePath: '/' },
    { pathname: '/', stageName: '', resourcePath: '/' },
  ])('$pathname: stage "$stageName", resource $resourcePath', ({ pathname, ...expected }) => {
    expect(splitStagePath(pathname)).toEqual(expected);
  });

  it('matches path and method exactly', () => {
    const routes = [predict, preflight];
    expect(findRoute(routes, '/predict', 'POST')).toBe(predict);
    expect(findRoute(routes, '/predict', 'OPTIONS')).toBe(preflight);
    expect(findRoute(routes, '/predict', 'GET')).toBeUndefined();
    expect(findRoute(routes, '/Predict', 'POST')).toBeUndefined();
  });
});

describe('the request validator', () => {
  it('names every required header missing, in order', () => {
    expect(validateRequestParameters(predict, () => undefined)).toEqual({
      fault: 'BAD_REQUEST_PARAMETERS',
      message: 'Missing required request parameters: [content-type, x-thing]',
    });
    expect(
      validateRequestParameters(predict, (name) => (name === 'x-thing' ? '1' : undefined)),
    ).toEqual({
      fault: 'BAD_REQUEST_PARAMETERS',
      message: 'Missing required request parameters: [content-type]',
    });
  });

  it('passes a request with every required header (an empty value counts)', () => {
    expect(validateRequestParameters(predict, () => '')).toBeUndefined();
  });
});

describe('the request scope', () => {
  const mapping: MappingContext = {
    requestId: 'r-1',
    stage: 'dev',
    resourcePath: '/predict',
    httpMethod: 'POST',
    sourceIp: '127.0.0.1',
    apiKeyId: '',
    errorMessage: '',
    errorResponseType: '',
  };
  const request: RequestScope = {
    method: 'POST',
    url: new URL('http://localhost/dev/predict'),
    rawHeaders: [],
    header: () => undefined,
    requestTime: 1,
    mapping,
  };
  const stage: Stage = { name: 'dev', variables: {}, throttle: undefined };

  it('keeps the mapping when no key was matched', () => {
    const scope = routeScope(request, stage, preflight, {
      admitted: true,
      apiKey: null,
      apiKeyId: '',
    });
    expect(scope).toMatchObject({ stage, route: preflight, apiKey: null, requestTime: 1 });
    expect(scope.mapping).toBe(mapping);
  });

  it('carries the matched key id in a new mapping, the arrival one untouched', () => {
    const admitted = routeScope(request, stage, predict, {
      admitted: true,
      apiKey: 'k',
      apiKeyId: 'Key1',
    });
    expect(admitted.apiKey).toBe('k');
    expect(admitted.mapping).toEqual({ ...mapping, apiKeyId: 'Key1' });
    expect(mapping.apiKeyId).toBe('');
    const throttled = routeScope(request, stage, predict, {
      admitted: false,
      refusal: 'THROTTLED',
      apiKeyId: 'Key1',
    });
    expect(throttled.apiKey).toBeNull();
    expect(throttled.mapping.apiKeyId).toBe('Key1');
  });
});

describe('responseHeaders', () => {
  it('groups a repeated name, adds the request id, and the error type on gateway errors', () => {
    expect(
      responseHeaders(
        {
          status: 429,
          headers: [
            ['Set-Cookie', 'a=1'],
            ['Retry-After', '1'],
            ['Set-Cookie', 'b=2'],
            ['Set-Cookie', 'c=3'],
          ],
          body: Buffer.alloc(0),
          errorType: 'THROTTLED',
        },
        'r-1',
      ),
    ).toEqual({
      'Set-Cookie': ['a=1', 'b=2', 'c=3'],
      'Retry-After': '1',
      'Content-Length': '0',
      'x-amzn-RequestId': 'r-1',
      // The exception name AWS sends, not the gateway response type (issue 12).
      'x-amzn-ErrorType': 'TooManyRequestsException',
    });
    expect(responseHeaders({ status: 200, headers: [], body: Buffer.alloc(0) }, 'r-2')).toEqual({
      'Content-Length': '0',
      'x-amzn-RequestId': 'r-2',
    });
  });

  it("sends the body's own length, not an integration's, and none on 204 or 304", () => {
    const body = Buffer.from('{"ok":true}');
    const claimed = [
      ['content-length', '999'] as const,
      ['Content-Type', 'application/json'] as const,
    ];
    expect(responseHeaders({ status: 200, headers: claimed, body }, 'r-3')).toEqual({
      'Content-Type': 'application/json',
      'Content-Length': '11',
      'x-amzn-RequestId': 'r-3',
    });
    for (const status of [204, 304]) {
      expect(
        responseHeaders(
          { status, headers: [['Content-Length', '0']], body: Buffer.alloc(0) },
          'r-4',
        ),
      ).toEqual({ 'x-amzn-RequestId': 'r-4' });
    }
  });
});
