import { describe, expect, it } from 'vitest';
import type { IntegrationResponse } from './api-model.ts';
import { integrationPath, integrationRequestHeaders } from './integration-request.ts';
import {
  integrationReply,
  type MockRequest,
  mockReply,
  selectIntegrationResponse,
} from './integration-response.ts';
import type { MappingContext } from './mapping.ts';
import { isFault } from './reply.ts';

const mapping: MappingContext = {
  requestId: 'r-1',
  stage: 'dev',
  resourcePath: '/invocations',
  httpMethod: 'POST',
  sourceIp: '127.0.0.1',
  apiKeyId: 'key-1',
  errorMessage: '',
  errorResponseType: '',
};
const headersOf =
  (headers: Record<string, string>) =>
  (name: string): string | undefined =>
    headers[name.toLowerCase()];

const response = (
  selectionPattern: string | undefined,
  statusCode: number,
  extra: Partial<IntegrationResponse> = {},
): IntegrationResponse => ({
  selectionPattern:
    selectionPattern === undefined ? undefined : new RegExp(`^(?:${selectionPattern})$`),
  statusCode,
  responseParameters: {},
  responseTemplates: {},
  ...extra,
});

describe('integration request', () => {
  it.each([
    {
      path: `endpoints/\${stageVariables.endpointName}/invocations`,
      expected: 'endpoints/image-moderation/invocations',
    },
    {
      path: 'endpoints/{stageVariables.endpointName}/invocations',
      expected: 'endpoints/image-moderation/invocations',
    },
    { path: 'a/{stageVariables.odd}/b', expected: 'a/x%2Fy%20z/b' },
    { path: 'a/{stageVariables.unset}/b', expected: 'a//b' },
  ])('$path -> $expected', ({ path, expected }) => {
    expect(integrationPath(path, { endpointName: 'image-moderation', odd: 'x/y z' })).toBe(
      expected,
    );
  });

  it('maps integration.request.header.* from the method request; absent sources send nothing', () => {
    const headers = integrationRequestHeaders(
      {
        'integration.request.header.Content-Type': 'method.request.header.Content-Type',
        'integration.request.header.Accept': 'method.request.header.Accept',
        'integration.request.header.X-Amzn-SageMaker-Inference-Id': 'context.requestId',
        'integration.request.header.X-Fixed': "'yes'",
        'integration.request.querystring.q': "'ignored'",
      },
      mapping,
      headersOf({ 'content-type': 'image/jpeg' }),
    );
    expect(headers).toEqual({
      'Content-Type': 'image/jpeg',
      'X-Amzn-SageMaker-Inference-Id': 'r-1',
      'X-Fixed': 'yes',
    });
  });
});

describe('integration response', () => {
  const responses = [
    response('4\\d{2}', 400, {
      responseParameters: { 'method.response.header.Content-Type': "'application/problem+json'" },
      responseTemplates: { 'application/json': '{"requestId":"$context.requestId"}' },
    }),
    response('5\\d{2}', 502),
    response(undefined, 200, {
      responseParameters: {
        'method.response.header.Content-Type': 'integration.response.header.Content-Type',
        'method.response.header.X-Variant':
          'integration.response.header.X-Amzn-Invoked-Production-Variant',
        'method.response.header.X-Missing': 'integration.response.header.X-Missing',
      },
    }),
  ];

  it.each([
    { status: 424, expected: 400 },
    { status: 503, expected: 502 },
    { status: 200, expected: 200 },
    { status: 302, expected: 200 },
    { status: 4000, expected: 200 },
  ])('selects by the whole status code: $status -> $expected', ({ status, expected }) => {
    expect(selectIntegrationResponse(responses, status)?.statusCode).toBe(expected);
  });

  it('is undefined when no pattern matches and there is no default', () => {
    expect(selectIntegrationResponse([response('5\\d{2}', 502)], 200)).toBeUndefined();
  });

  it('passes the body through and maps headers from the integration response', () => {
    const body = Buffer.from([0, 255, 1]);
    const reply = integrationReply(
      responses,
      {
        status: 200,
        header: headersOf({
          'content-type': 'application/json',
          'x-amzn-invoked-production-variant': 'AllTraffic',
        }),
        body,
      },
      mapping,
      headersOf({}),
    );
    expect(reply).toEqual({
      status: 200,
      headers: [
        ['Content-Type', 'application/json'],
        ['X-Variant', 'AllTraffic'],
      ],
      body,
    });
  });

  it('renders the template instead of the body when there is one', () => {
    const reply = integrationReply(
      responses,
      { status: 404, header: headersOf({}), body: Buffer.from('{"ErrorCode":"x"}') },
      mapping,
      headersOf({}),
    );
    expect(reply).toEqual({
      status: 400,
      headers: [['Content-Type', 'application/problem+json']],
      body: Buffer.from('{"requestId":"r-1"}'),
    });
  });

  it('is a DEFAULT_5XX fault when no integration response applies', () => {
    expect(
      integrationReply(
        [response('5\\d{2}', 502)],
        { status: 200, header: headersOf({}), body: Buffer.alloc(0) },
        mapping,
        headersOf({}),
      ),
    ).toEqual({ fault: 'DEFAULT_5XX' });
  });

  it('a MOCK answers its first integration response, or 200 with nothing', () => {
    const preflight = response(undefined, 204, {
      responseParameters: {
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.Vary': 'method.request.header.Origin',
      },
    });
    expect(mockReply([preflight], mapping, headersOf({ origin: 'http://a' }))).toEqual({
      status: 204,
      headers: [
        ['Access-Control-Allow-Origin', '*'],
        ['Vary', 'http://a'],
      ],
      body: Buffer.alloc(0),
    });
    expect(mockReply([], mapping, headersOf({}))).toEqual({
      status: 200,
      headers: [],
      body: Buffer.alloc(0),
    });
  });
});

describe('a MOCK integration with its request template (the CORS preflight)', () => {
  /** The multiple-origin template CDK's addCorsPreflight renders (aws-apigateway cors.ts). */
  const corsTemplate = [
    '#set($origin = $input.params().header.get("Origin"))',
    '#if($origin == "")',
    '  #set($origin = $input.params().header.get("origin"))',
    '#end',
    '#if($origin == "https://b.example")',
    '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
    '#end',
  ].join('\n');
  const preflight = response(undefined, 204, {
    responseParameters: {
      'method.response.header.Access-Control-Allow-Origin': "'https://a.example'",
      'method.response.header.Vary': "'Origin'",
    },
    responseTemplates: { 'application/json': corsTemplate },
  });
  const request = (overrides: Partial<MockRequest> = {}): MockRequest => ({
    requestTemplates: { 'application/json': '{ statusCode: 200 }' },
    contentType: undefined,
    accept: undefined,
    binaryMediaTypes: ['multipart/form-data', 'image/*'],
    ...overrides,
  });
  const allowOrigin = (origin: string, overrides?: Partial<MockRequest>) => {
    const reply = mockReply([preflight], mapping, headersOf({ origin }), request(overrides));
    return isFault(reply)
      ? reply
      : [reply.status, reply.headers.find(([n]) => n === 'Access-Control-Allow-Origin')?.[1]];
  };

  it.each([
    { origin: 'https://a.example', expected: [204, 'https://a.example'] },
    { origin: 'https://b.example', expected: [204, 'https://b.example'] },
    { origin: 'https://evil.example', expected: [204, 'https://a.example'] },
  ])('echoes $origin only when the template allows it', ({ origin, expected }) => {
    expect(allowOrigin(origin)).toEqual(expected);
  });

  it('selects the integration response by the status the request template asks for', () => {
    const teapot = response('418', 418);
    expect(
      mockReply(
        [teapot, preflight],
        mapping,
        headersOf({}),
        request({
          requestTemplates: { 'application/json': '{"statusCode": 418}' },
        }),
      ),
    ).toMatchObject({ status: 418 });
  });

  it('answers 500 when */* makes the preflight binary, unless the mock converts it to text (aws-cdk issue 18297)', () => {
    expect(allowOrigin('https://a.example', { binaryMediaTypes: ['*/*'] })).toEqual({
      fault: 'API_CONFIGURATION_ERROR',
    });
    expect(
      allowOrigin('https://a.example', {
        binaryMediaTypes: ['*/*'],
        contentHandling: 'CONVERT_TO_TEXT',
      }),
    ).toEqual([204, 'https://a.example']);
  });
});
