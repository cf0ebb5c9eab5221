import { describe, expect, it } from 'vitest';
import { API_GATEWAY_MAX_REQUEST_BYTES } from '#shared/aws-facts.ts';
import type { GatewayResponse } from './api-model.ts';
import {
  fallback4xxReply,
  GATEWAY_RESPONSE_DEFAULTS,
  gatewayReply,
  payloadTooLargeReply,
} from './gateway-responses.ts';
import type { MappingContext } from './mapping.ts';
import type { GatewayResponseType } from './reply.ts';

const mapping: MappingContext = {
  requestId: 'r-1',
  stage: 'dev',
  resourcePath: '/predict',
  httpMethod: 'POST',
  sourceIp: '127.0.0.1',
  apiKeyId: 'key-1',
  errorMessage: '',
  errorResponseType: '',
};
const noHeader = () => undefined;

const problem = (type: string, statusCode: number | undefined): GatewayResponse => ({
  type,
  statusCode,
  responseParameters: {
    'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
    'gatewayresponse.header.Content-Type': "'application/problem+json'",
    'gatewayresponse.header.X-Origin': 'method.request.header.Origin',
    'gatewayresponse.header.X-Absent': 'method.request.header.X-Absent',
    'method.response.header.Ignored': "'no'",
  },
  responseTemplates: {
    'application/json':
      '{"detail":$context.error.messageString,"type":"$context.error.responseType","key":"$context.identity.apiKeyId"}',
  },
});

describe('gatewayReply without a gateway response in the template', () => {
  it.each(
    Object.entries(GATEWAY_RESPONSE_DEFAULTS) as Array<
      [GatewayResponseType, { status: number; message: string }]
    >,
  )('%s: AWS default status and {"message"}', (type, { status, message }) => {
    const reply = gatewayReply(new Map(), { fault: type }, mapping, noHeader);
    expect(reply).toEqual({
      status,
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from(JSON.stringify({ message })),
      errorType: type,
    });
  });
});

describe('gatewayReply restyled by the template', () => {
  it('applies the type own response: status, header mappings, template with $context.error', () => {
    const responses = new Map([['INVALID_API_KEY', problem('INVALID_API_KEY', 403)]]);
    const reply = gatewayReply(responses, { fault: 'INVALID_API_KEY' }, mapping, (name) =>
      name === 'Origin' ? 'http://localhost:5173' : undefined,
    );
    expect(reply.status).toBe(403);
    expect(reply.errorType).toBe('INVALID_API_KEY');
    expect(reply.headers).toEqual([
      ['Access-Control-Allow-Origin', '*'],
      ['Content-Type', 'application/problem+json'],
      ['X-Origin', 'http://localhost:5173'],
    ]);
    expect(JSON.parse(reply.body.toString())).toEqual({
      detail: 'Forbidden',
      type: 'INVALID_API_KEY',
      key: 'key-1',
    });
  });

  it.each([
    { fault: 'THROTTLED' as const, fallback: 'DEFAULT_4XX', status: 429 },
    { fault: 'BAD_REQUEST_PARAMETERS' as const, fallback: 'DEFAULT_4XX', status: 400 },
    { fault: 'INTEGRATION_TIMEOUT' as const, fallback: 'DEFAULT_5XX', status: 504 },
    { fault: 'DEFAULT_5XX' as const, fallback: 'DEFAULT_5XX', status: 502 },
  ])('$fault falls back to $fallback, keeping status $status when it sets none', (row) => {
    const responses = new Map([
      ['DEFAULT_4XX', problem('DEFAULT_4XX', undefined)],
      ['DEFAULT_5XX', problem('DEFAULT_5XX', undefined)],
    ]);
    const reply = gatewayReply(responses, { fault: row.fault }, mapping, noHeader);
    expect(reply.status).toBe(row.status);
    expect(JSON.parse(reply.body.toString())).toMatchObject({ type: row.fault });
  });

  it('a fault message replaces the default one, quoted as JSON by messageString', () => {
    const responses = new Map([['DEFAULT_4XX', problem('DEFAULT_4XX', 400)]]);
    const reply = gatewayReply(
      responses,
      { fault: 'BAD_REQUEST_PARAMETERS', message: 'Missing required request parameters: [a "b"]' },
      mapping,
      noHeader,
    );
    expect(JSON.parse(reply.body.toString())).toMatchObject({
      detail: 'Missing required request parameters: [a "b"]',
    });
  });

  it('adds Content-Type: application/json when no mapping sets one, and {"message"} without a template', () => {
    const responses = new Map<string, GatewayResponse>([
      [
        'THROTTLED',
        {
          type: 'THROTTLED',
          statusCode: undefined,
          responseParameters: { 'gatewayresponse.header.Retry-After': "'1'" },
          responseTemplates: {},
        },
      ],
    ]);
    const reply = gatewayReply(responses, { fault: 'THROTTLED' }, mapping, noHeader);
    expect(reply).toEqual({
      status: 429,
      headers: [
        ['Retry-After', '1'],
        ['Content-Type', 'application/json'],
      ],
      body: Buffer.from('{"message":"Too Many Requests"}'),
      errorType: 'THROTTLED',
    });
  });
});

it('answers a request over the payload limit in plain text, naming the limit', () => {
  expect(payloadTooLargeReply()).toEqual({
    status: 413,
    headers: [['Content-Type', 'text/plain']],
    body: Buffer.from(`HTTP content length exceeded ${API_GATEWAY_MAX_REQUEST_BYTES} bytes.`),
    errorType: 'REQUEST_TOO_LARGE',
  });
});

describe('fallback4xxReply (client errors API Gateway has no type for)', () => {
  it('renders DEFAULT_4XX with the given status and message, and no response type', () => {
    const responses = new Map([['DEFAULT_4XX', problem('DEFAULT_4XX', undefined)]]);
    const reply = fallback4xxReply(responses, 408, 'Too slow.', mapping, (name) =>
      name === 'Origin' ? 'http://localhost:5173' : undefined,
    );
    expect(reply).toEqual({
      status: 408,
      headers: [
        ['Access-Control-Allow-Origin', '*'],
        ['Content-Type', 'application/problem+json'],
        ['X-Origin', 'http://localhost:5173'],
      ],
      body: Buffer.from('{"detail":"Too slow.","type":"DEFAULT_4XX","key":"key-1"}'),
    });
  });

  it('keeps a status the template sets, as API Gateway would', () => {
    const responses = new Map([['DEFAULT_4XX', problem('DEFAULT_4XX', 400)]]);
    expect(fallback4xxReply(responses, 431, 'Too large.', mapping, noHeader).status).toBe(400);
  });

  it('without DEFAULT_4XX in the template: the status and {"message"}', () => {
    expect(fallback4xxReply(new Map(), 431, 'Too large.', mapping, noHeader)).toEqual({
      status: 431,
      headers: [['Content-Type', 'application/json']],
      body: Buffer.from('{"message":"Too large."}'),
    });
  });
});
