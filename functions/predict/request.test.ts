import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { attachRawBody } from '#shared/in-process-event.ts';
import { decodeBody, eventHeader, resolveRequestId } from './request.ts';

function event(fields: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent {
  return {
    headers: {},
    multiValueHeaders: {},
    body: null,
    isBase64Encoded: false,
    ...fields,
  } as APIGatewayProxyEvent;
}

describe('eventHeader', () => {
  it.each([
    {
      what: 'client casing in headers',
      e: event({ headers: { 'Content-Type': 'a' } }),
      expected: 'a',
    },
    {
      what: 'lower case lookup of upper case header',
      e: event({ headers: { 'CONTENT-TYPE': 'b' } }),
      expected: 'b',
    },
    {
      what: 'only in multiValueHeaders (last wins)',
      e: event({ headers: {}, multiValueHeaders: { 'content-type': ['x', 'c'] } }),
      expected: 'c',
    },
    {
      what: 'headers null',
      e: event({ headers: null as never, multiValueHeaders: { 'Content-type': ['d'] } }),
      expected: 'd',
    },
    {
      what: 'both null',
      e: event({ headers: null as never, multiValueHeaders: null as never }),
      expected: undefined,
    },
    { what: 'absent', e: event({ headers: { Other: 'x' } }), expected: undefined },
  ])('$what', ({ e, expected }) => {
    expect(eventHeader(e, 'content-type')).toBe(expected);
  });
});

describe('decodeBody', () => {
  it('decodes base64 bodies to their exact bytes', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x80]);
    expect(decodeBody(event({ body: bytes.toString('base64'), isBase64Encoded: true }))).toEqual(
      bytes,
    );
  });

  it('takes the bytes an in-process event carries, without reading its base64 body', () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x80]);
    const inProcess = attachRawBody(event({ isBase64Encoded: true }), bytes);
    let read = false;
    const body = Object.getOwnPropertyDescriptor(inProcess, 'body');
    Object.defineProperty(inProcess, 'body', {
      ...body,
      get: () => {
        read = true;
        return body?.get?.();
      },
    });
    expect(decodeBody(inProcess)).toBe(bytes);
    expect(read).toBe(false);
  });

  it('keeps a text-only body as UTF-8', () => {
    const text =
      '--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nこんにちは\r\n--b--\r\n';
    expect(decodeBody(event({ body: text })).toString('utf8')).toBe(text);
  });

  it.each([
    { what: 'U+FFFD left by a UTF-8 decode of image bytes', body: 'abc\uFFFD\uFFFDdef' },
    { what: 'a NUL byte', body: 'abc\u0000def' },
    { what: 'other C0 controls', body: 'abc\u0001def' },
  ])('refuses $what with BINARY_BODY_NOT_ENCODED', ({ body }) => {
    expect(() => decodeBody(event({ body }))).toThrowError(
      expect.objectContaining({ code: 'BINARY_BODY_NOT_ENCODED' }),
    );
  });

  it.each([{ body: null }, { body: '' }])('refuses a missing body ($body)', ({ body }) => {
    expect(() => decodeBody(event({ body }))).toThrowError(
      expect.objectContaining({ code: 'MALFORMED_MULTIPART', detail: 'The request has no body.' }),
    );
  });
});

describe('resolveRequestId', () => {
  it.each([
    { what: 'absent: the gateway id', value: undefined, expected: 'gw-id' },
    { what: 'one character', value: 'a', expected: 'a' },
    { what: '64 characters', value: 'r'.repeat(64), expected: 'r'.repeat(64) },
    { what: 'inner spaces and punctuation', value: 'job 42/step:1', expected: 'job 42/step:1' },
  ])('accepts $what', ({ value, expected }) => {
    expect(resolveRequestId(value, 'gw-id')).toBe(expected);
  });

  it.each([
    { what: '65 characters', value: 'r'.repeat(65) },
    { what: 'empty', value: '' },
    { what: 'leading space', value: ' abc' },
    { what: 'non-ASCII', value: 'idé' },
    { what: 'control character', value: 'a\tb' },
  ])('refuses $what', ({ value }) => {
    expect(() => resolveRequestId(value, 'gw-id')).toThrowError(
      expect.objectContaining({ code: 'INVALID_REQUEST_ID' }),
    );
  });
});
