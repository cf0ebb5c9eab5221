import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formDataPart, parseDisposition } from './content-disposition.ts';

/** busboy's own reader, the behaviour parseDisposition must match (a private module of busboy). */
const busboyUtils = createRequire(import.meta.url)('busboy/lib/utils.js') as {
  parseDisposition(
    value: string,
    decoder: (value: string, hint: number) => string | undefined,
  ): { type: string; params: Record<string, string> } | undefined;
  getDecoder(charset: string): (value: string, hint: number) => string | undefined;
};
const busboyRead = (value: string) =>
  busboyUtils.parseDisposition(value, busboyUtils.getDecoder('utf8'));

/** A header value as busboy receives it: one character per byte. */
const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('parseDisposition', () => {
  it.each([
    {
      what: 'a browser file part',
      source: 'form-data; name="image"; filename="cat.jpg"',
      expected: { name: 'image', filename: 'cat.jpg', hasFilename: true },
    },
    {
      what: 'a text field',
      source: 'form-data; name="note"',
      expected: { name: 'note', filename: undefined, hasFilename: false },
    },
    {
      what: 'token values, upper-case type and names',
      source: 'FORM-DATA; NAME=image; FILENAME=cat.jpg',
      expected: { name: 'image', filename: 'cat.jpg', hasFilename: true },
    },
    {
      what: 'an escaped quote and backslash',
      source: String.raw`form-data; name="image"; filename="a\"b\\c.jpg"`,
      expected: { name: 'image', filename: 'c.jpg', hasFilename: true },
    },
    {
      what: 'a Windows path (other backslashes stay)',
      source: String.raw`form-data; name="image"; filename="C:\photos\a.jpg"`,
      expected: { name: 'image', filename: 'a.jpg', hasFilename: true },
    },
    {
      what: 'UTF-8 bytes in a quoted value',
      source: latin1('form-data; name="image"; filename="写真.jpg"'),
      expected: { name: 'image', filename: '写真.jpg', hasFilename: true },
    },
    {
      what: 'RFC 8187 filename*, preferred to filename',
      source: `form-data; name="image"; filename="x.jpg"; filename*=UTF-8''%E5%86%99.jpg`,
      expected: { name: 'image', filename: '写.jpg', hasFilename: true },
    },
    {
      what: 'filename* in ISO-8859-1',
      source: `form-data; name="image"; filename*=iso-8859-1'fr'%E9t%E9.jpg`,
      expected: { name: 'image', filename: 'été.jpg', hasFilename: true },
    },
    {
      what: 'an empty filename (a browser file input with no file, or a nameless file)',
      source: 'form-data; name="image"; filename=""',
      expected: { name: 'image', filename: undefined, hasFilename: true },
    },
    {
      what: 'the first of a repeated parameter',
      source: 'form-data; name="a"; name="b"',
      expected: { name: 'a', filename: undefined, hasFilename: false },
    },
    {
      what: 'spaces and tabs around parameters',
      source: 'form-data ;\tname="a" ; filename="b.jpg"  ',
      expected: { name: 'a', filename: 'b.jpg', hasFilename: true },
    },
    {
      what: 'no name',
      source: 'form-data; filename="a.jpg"',
      expected: { name: undefined, filename: 'a.jpg', hasFilename: true },
    },
  ])('reads $what', ({ source, expected }) => {
    const parsed = parseDisposition(source);
    if ('reason' in parsed) throw new Error(parsed.reason);
    expect(parsed.type).toBe('form-data');
    expect(formDataPart(parsed.params)).toEqual(expected);
    expect(busboyRead(source)).toBeDefined();
  });

  it.each([
    {
      what: 'a quote inside a quoted value',
      source: 'form-data; name="image"; filename="a"b.jpg"',
      expected: 'text follows the closing quote of filename (escape a quote inside a value as \\")',
    },
    {
      what: 'text after the closing quote',
      source: 'form-data; name="image"; filename="a.jpg"x',
      expected: 'text follows the closing quote of filename (escape a quote inside a value as \\")',
    },
    {
      what: 'an invalid percent-encoding in filename*',
      source: `form-data; name="image"; filename*=UTF-8''%ZZ.jpg`,
      expected: 'filename* has an invalid percent-encoding "%ZZ"',
    },
    {
      what: 'an unknown charset in filename*',
      source: `form-data; name="image"; filename*=x-klingon''a.jpg`,
      expected: 'filename* names the charset "x-klingon", which is not supported',
    },
    {
      what: "a charset outside busboy's table, even one TextDecoder knows",
      source: `form-data; name="image"; filename*=Shift_JIS''%8E%CA.jpg`,
      expected: 'filename* names the charset "Shift_JIS", which is not supported',
    },
    {
      what: 'filename* without its language quote',
      source: `form-data; name="image"; filename*=UTF-8'a.jpg`,
      expected: "filename* is not charset'language'percent-encoded-value",
    },
    {
      what: 'an empty filename*',
      source: `form-data; name="image"; filename*=UTF-8''`,
      expected: "filename* is not charset'language'percent-encoded-value",
    },
    {
      what: 'a trailing semicolon',
      source: 'form-data; name="image";',
      expected: 'it ends with ";" and no parameter after it',
    },
    {
      what: 'an unterminated quote',
      source: 'form-data; name="image',
      expected: 'the quoted value of name has no closing quote',
    },
    {
      what: 'a control character in a quoted value',
      source: 'form-data; name="im\x01age"',
      expected: 'the quoted value of name holds a control character',
    },
    {
      what: 'a parameter without a value',
      source: 'form-data; name=',
      expected: 'parameter "name" has no value',
    },
    {
      what: 'a parameter without =',
      source: 'form-data; name',
      expected: 'parameter "name" has no "="',
    },
    {
      what: 'a comma instead of a semicolon',
      source: 'form-data, name="a"',
      expected: 'the type "form-data" is followed by ", name=\\"a\\""',
    },
    { what: 'an empty header', source: '', expected: 'it is empty' },
  ])('refuses $what', ({ source, expected }) => {
    expect(parseDisposition(source)).toMatchObject({ reason: expected });
    expect(busboyRead(source)).toBeUndefined();
  });

  it('keeps the name when a later parameter is at fault', () => {
    const parsed = parseDisposition('form-data; name="image"; filename="a"b.jpg"');
    expect('reason' in parsed && parsed.params.get('name')).toBe('image');
  });

  it('accepts and reads exactly what busboy does (the parser delivers what busboy reads)', () => {
    // Values built from the pieces that matter: separators, quotes,
    // escapes, percent signs, charsets and bytes over 0x7F.
    const piece = fc.constantFrom(
      'form-data',
      ';',
      ' ',
      '\t',
      '=',
      '"',
      '\\',
      "'",
      '%',
      '%E9',
      '%zz',
      '*',
      'name',
      'filename',
      'filename*',
      'utf-8',
      'iso-8859-1',
      'x-klingon',
      'shift_jis',
      'utf-16le',
      'latin1',
      'a.jpg',
      ',',
      '/',
      '\x01',
      '\xe9',
      '\xe5\x86\x99',
    );
    const value = fc.array(piece, { maxLength: 14 }).map((pieces) => pieces.join(''));
    const wellFormed = fc
      .tuple(
        fc.constantFrom('name', 'filename', 'filename*', 'NAME', 'x'),
        fc.constantFrom('"a.jpg"', 'a.jpg', "utf-8''a%E9.jpg", '"a\\"b"', '""', '"\xe9"'),
      )
      .map(([name, v]) => `form-data; ${name}=${v}`);
    fc.assert(
      fc.property(fc.oneof(value, wellFormed), (source) => {
        const ours = parseDisposition(source);
        const theirs = busboyRead(source);
        if (theirs === undefined) {
          expect('reason' in ours).toBe(true);
          return;
        }
        if ('reason' in ours) throw new Error(`${JSON.stringify(source)}: ${ours.reason}`);
        expect(ours.type).toBe(theirs.type);
        expect(Object.fromEntries(ours.params)).toEqual({ ...theirs.params });
      }),
      { numRuns: 3000 },
    );
  });
});
