import { describe, expect, it } from 'vitest';
import type { GatewayError } from './errors.ts';
import { multipartBoundary } from './multipart-boundary.ts';

describe('multipartBoundary', () => {
  it.each([
    {
      what: 'curl',
      header: 'multipart/form-data; boundary=------------------------d74496d66958873e',
      boundary: '------------------------d74496d66958873e',
    },
    {
      what: 'Chromium',
      header: 'multipart/form-data; boundary=----WebKitFormBoundaryAbC0dEf1GhI2jKl3',
      boundary: '----WebKitFormBoundaryAbC0dEf1GhI2jKl3',
    },
    {
      what: 'quoted with every RFC 2046 character',
      header: `multipart/form-data; boundary="a b'()+_,-./:=?z"`,
      boundary: "a b'()+_,-./:=?z",
    },
    {
      what: 'bare with non-token RFC 2046 characters',
      header: 'multipart/form-data; boundary=abc/def:ghi=jk?l(m)n,o',
      boundary: 'abc/def:ghi=jk?l(m)n,o',
    },
    {
      what: 'charset before the boundary',
      header: 'multipart/form-data; charset=utf-8; boundary=xyz',
      boundary: 'xyz',
    },
    {
      what: 'charset after the boundary',
      header: 'multipart/form-data; boundary=xyz; charset=UTF-8',
      boundary: 'xyz',
    },
    {
      what: 'upper-case type and parameter',
      header: 'Multipart/Form-Data; BOUNDARY=xyz',
      boundary: 'xyz',
    },
    { what: 'no space after ;', header: 'multipart/form-data;boundary="q"', boundary: 'q' },
    {
      what: 'quoted with a semicolon-looking param before',
      header: 'multipart/form-data; x="a;boundary=no"; boundary=yes',
      boundary: 'yes',
    },
    {
      what: '70 characters',
      header: `multipart/form-data; boundary=${'b'.repeat(70)}`,
      boundary: 'b'.repeat(70),
    },
  ])('finds the boundary: $what', ({ header, boundary }) => {
    expect(multipartBoundary(header)).toBe(boundary);
  });

  it.each([
    { what: 'missing header', header: undefined, code: 'UNSUPPORTED_CONTENT_TYPE' },
    { what: 'empty header', header: ' ', code: 'UNSUPPORTED_CONTENT_TYPE' },
    { what: 'JSON', header: 'application/json', code: 'UNSUPPORTED_CONTENT_TYPE' },
    {
      what: 'urlencoded form',
      header: 'application/x-www-form-urlencoded',
      code: 'UNSUPPORTED_CONTENT_TYPE',
    },
    { what: 'raw image', header: 'image/jpeg', code: 'UNSUPPORTED_CONTENT_TYPE' },
    { what: 'no boundary', header: 'multipart/form-data', code: 'MALFORMED_MULTIPART' },
    {
      what: 'empty boundary',
      header: 'multipart/form-data; boundary=',
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: '71 characters',
      header: `multipart/form-data; boundary=${'b'.repeat(71)}`,
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'trailing space inside quotes',
      header: 'multipart/form-data; boundary="ab "',
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'forbidden character',
      header: 'multipart/form-data; boundary=a@b',
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'unterminated quote',
      header: 'multipart/form-data; boundary="abc',
      code: 'MALFORMED_MULTIPART',
    },
  ])('refuses $what with $code', ({ header, code }) => {
    expect(() => multipartBoundary(header)).toThrowError(
      expect.objectContaining({ code }) as unknown as GatewayError,
    );
  });

  it.each([
    { header: 'image/jpeg', named: '"image/jpeg"' },
    { header: ';;;===', named: '";;;==="' },
  ])(
    'names the media type sent, or the whole header when it has none: $header',
    ({ header, named }) => {
      expect(() => multipartBoundary(header)).toThrowError(
        `The request Content-Type is ${named}; send multipart/form-data.`,
      );
    },
  );
});
