/**
 * The two tables of the API Gateway developer guide, "Content type
 * conversions in API Gateway", row by row.
 */
import { describe, expect, it } from 'vitest';
import type { ContentHandling } from './api-model.ts';
import {
  integrationRequestPayload,
  methodResponsePayload,
  NOT_BASE64,
} from './content-handling.ts';

const BINARY_TYPES = ['image/*'];
/** Bytes that are not valid UTF-8: a text reading replaces them. */
const BYTES = Buffer.from([0xff, 0xd8, 0x41]);
const AS_TEXT = Buffer.from(BYTES.toString('utf8'), 'utf8');
const B64 = Buffer.from(BYTES.toString('base64'), 'latin1');
const TEXT = Buffer.from('aGk=');
const TEXT_DECODED = Buffer.from('hi');

describe('request payloads', () => {
  it.each([
    // binaryMediaTypes undefined: every payload is text
    { types: [], type: 'image/png', handling: undefined, body: BYTES, expected: AS_TEXT },
    {
      types: [],
      type: 'text/plain',
      handling: 'CONVERT_TO_BINARY',
      body: TEXT,
      expected: TEXT_DECODED,
    },
    { types: [], type: 'image/png', handling: 'CONVERT_TO_TEXT', body: BYTES, expected: AS_TEXT },
    // a text type against a set list
    { types: BINARY_TYPES, type: 'text/plain', handling: undefined, body: TEXT, expected: TEXT },
    {
      types: BINARY_TYPES,
      type: 'text/plain',
      handling: 'CONVERT_TO_BINARY',
      body: TEXT,
      expected: TEXT_DECODED,
    },
    {
      types: BINARY_TYPES,
      type: 'text/plain',
      handling: 'CONVERT_TO_TEXT',
      body: TEXT,
      expected: TEXT,
    },
    {
      types: BINARY_TYPES,
      type: 'application/octet-stream',
      handling: undefined,
      body: BYTES,
      expected: AS_TEXT,
    },
    // a binary type
    { types: BINARY_TYPES, type: 'image/png', handling: undefined, body: BYTES, expected: BYTES },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      handling: 'CONVERT_TO_BINARY',
      body: BYTES,
      expected: BYTES,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      handling: 'CONVERT_TO_TEXT',
      body: BYTES,
      expected: B64,
    },
    // text that is not base64 cannot become binary: an API configuration error
    {
      types: [],
      type: 'text/plain',
      handling: 'CONVERT_TO_BINARY',
      body: BYTES,
      expected: NOT_BASE64,
    },
  ])('$type, types $types, $handling', ({ types, type, handling, body, expected }) => {
    expect(integrationRequestPayload(body, type, types, handling as ContentHandling)).toEqual(
      expected,
    );
  });
});

describe('response payloads', () => {
  it.each([
    // binaryMediaTypes undefined
    {
      types: [],
      type: 'image/png',
      accept: 'image/png',
      handling: undefined,
      body: BYTES,
      expected: AS_TEXT,
    },
    {
      types: [],
      type: 'text/plain',
      accept: '*/*',
      handling: 'CONVERT_TO_BINARY',
      body: TEXT,
      expected: TEXT_DECODED,
    },
    {
      types: [],
      type: 'image/png',
      accept: '*/*',
      handling: 'CONVERT_TO_TEXT',
      body: BYTES,
      expected: AS_TEXT,
    },
    // text payload, text Accept
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: '*/*',
      handling: undefined,
      body: TEXT,
      expected: TEXT,
    },
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: '*/*',
      handling: 'CONVERT_TO_BINARY',
      body: TEXT,
      expected: TEXT_DECODED,
    },
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: '*/*',
      handling: 'CONVERT_TO_TEXT',
      body: TEXT,
      expected: TEXT,
    },
    // text payload, binary Accept
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: 'image/png',
      handling: undefined,
      body: TEXT,
      expected: TEXT_DECODED,
    },
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: 'image/png',
      handling: 'CONVERT_TO_BINARY',
      body: TEXT,
      expected: TEXT_DECODED,
    },
    {
      types: BINARY_TYPES,
      type: 'application/json',
      accept: 'image/png',
      handling: 'CONVERT_TO_TEXT',
      body: TEXT,
      expected: TEXT,
    },
    // binary payload, text Accept
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'application/json',
      handling: undefined,
      body: BYTES,
      expected: B64,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'application/json',
      handling: 'CONVERT_TO_BINARY',
      body: BYTES,
      expected: BYTES,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'application/json',
      handling: 'CONVERT_TO_TEXT',
      body: BYTES,
      expected: B64,
    },
    // binary payload, binary Accept (only the first Accept type counts)
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'image/webp,*/*',
      handling: undefined,
      body: BYTES,
      expected: BYTES,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'image/webp',
      handling: 'CONVERT_TO_BINARY',
      body: BYTES,
      expected: BYTES,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: 'image/webp',
      handling: 'CONVERT_TO_TEXT',
      body: BYTES,
      expected: B64,
    },
    {
      types: BINARY_TYPES,
      type: 'image/png',
      accept: '*/*,image/webp',
      handling: undefined,
      body: BYTES,
      expected: B64,
    },
  ])(
    '$type to Accept $accept, types $types, $handling',
    ({ types, type, accept, handling, body, expected }) => {
      expect(methodResponsePayload(body, type, accept, types, handling as ContentHandling)).toEqual(
        expected,
      );
    },
  );
});
