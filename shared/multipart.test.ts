import { describe, expect, it } from 'vitest';
import { buildMultipart, loadImage } from '../fixtures/index.ts';
import { type MultipartLimits, parseMultipart, type Upload } from './multipart.ts';
import { DEFAULTS } from './predict-env.ts';

const B = 'b0undary';
const limits: MultipartLimits = {
  maxFiles: DEFAULTS.maxFiles,
  maxFileBytes: DEFAULTS.maxFileBytes,
  maxFields: DEFAULTS.maxFields,
  maxFieldBytes: DEFAULTS.maxFieldBytes,
  maxParts: DEFAULTS.maxParts,
  maxPartHeaderPairs: DEFAULTS.maxPartHeaderPairs,
};
const jpeg = loadImage('small.jpg');
const file = (name: string, filename: string, bytes = jpeg) => ({
  name,
  filename,
  contentType: 'image/jpeg',
  bytes,
});

/** One part, headers given as written (CRLF added), opened by `--B` plus `after`. */
const rawPart = (headers: readonly string[], bytes: Buffer = jpeg, after = '') =>
  Buffer.concat([
    Buffer.from(`--${B}${after}\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n`),
    bytes,
    Buffer.from('\r\n'),
  ]);
const imageHeader = (params: string) => `Content-Disposition: form-data; name="image"${params}`;
const good = () => rawPart([imageHeader('; filename="ok.jpg"'), 'Content-Type: image/jpeg']);
const close = Buffer.from(`--${B}--\r\n`);
const body = (...parts: Buffer[]) => Buffer.concat([...parts, close]);
const images = (upload: Upload) =>
  upload.images.map(({ part, filename, bytes }) => ({ part, filename, bytes: bytes.length }));

describe('parseMultipart', () => {
  it('returns images in upload order with their bytes, and text fields', async () => {
    const other = loadImage('alpha.png');
    const upload = await parseMultipart(
      buildMultipart(
        [file('image', 'a.jpg'), { name: 'note', value: 'héllo' }, file('image', 'b.png', other)],
        B,
      ),
      B,
      limits,
    );
    expect(upload.fields).toEqual([{ name: 'note', value: 'héllo' }]);
    expect(upload.images.map(({ part, field, filename }) => ({ part, field, filename }))).toEqual([
      { part: 'image[0]', field: 'image', filename: 'a.jpg' },
      { part: 'image[1]', field: 'image', filename: 'b.png' },
    ]);
    expect(upload.images[0]?.bytes.equals(jpeg)).toBe(true);
    expect(upload.images[1]?.bytes.equals(other)).toBe(true);
  });

  it.each([
    {
      what: 'a preamble and an epilogue',
      body: Buffer.concat([
        Buffer.from('preamble\r\n'),
        buildMultipart([file('image', 'a.jpg')], B),
        Buffer.from('epilogue'),
      ]),
      images: 1,
    },
    {
      what: 'a file name with a path (browsers on Windows)',
      body: buildMultipart([file('image', 'C:\\photos\\a.jpg')], B),
      images: 1,
      filename: 'a.jpg',
    },
    {
      what: 'RFC 5987 filename*',
      body: Buffer.concat([
        Buffer.from(
          `--${B}\r\nContent-Disposition: form-data; name="image"; filename*=UTF-8''%E5%86%99%E7%9C%9F.jpg\r\n\r\n`,
        ),
        jpeg,
        Buffer.from(`\r\n--${B}--\r\n`),
      ]),
      images: 1,
      filename: '写真.jpg',
    },
    {
      what: 'a file without a declared type',
      body: buildMultipart([{ name: 'image', filename: 'a', contentType: '', bytes: jpeg }], B),
      images: 1,
      filename: 'a',
    },
  ])('accepts $what', async ({ body, images, filename }) => {
    const upload = await parseMultipart(body, B, limits);
    expect(upload.images).toHaveLength(images);
    if (filename !== undefined) expect(upload.images[0]?.filename).toBe(filename);
  });

  it.each([
    {
      what: 'no closing delimiter',
      body: buildMultipart([file('image', 'a.jpg')], B).subarray(0, 300),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'nothing but the closing delimiter',
      body: Buffer.from(`--${B}--\r\n`),
      code: 'NO_IMAGE',
    },
    {
      what: 'a part header over 16 KiB',
      body: Buffer.from(
        `--${B}\r\nContent-Disposition: form-data; name="a"; x="${'y'.repeat(17_000)}"\r\n\r\nv\r\n--${B}--\r\n`,
      ),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'a part with no headers',
      body: Buffer.from(`--${B}\r\n\r\nv\r\n--${B}--\r\n`),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'Content-Disposition: attachment',
      body: Buffer.from(
        `--${B}\r\nContent-Disposition: attachment; name="image"\r\n\r\nv\r\n--${B}--\r\n`,
      ),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'an unnamed file part',
      body: buildMultipart([file('', 'a.jpg')], B),
      code: 'UNEXPECTED_FILE_FIELD',
    },
  ])('refuses $what with $code', async ({ body, code }) => {
    await expect(parseMultipart(body, B, limits)).rejects.toMatchObject({ code });
  });

  it('reports the first problem in upload order', async () => {
    const body = buildMultipart(
      [file('doc', 'a.pdf'), file('image', 'empty.jpg', Buffer.alloc(0))],
      B,
    );
    await expect(parseMultipart(body, B, limits)).rejects.toMatchObject({
      code: 'UNEXPECTED_FILE_FIELD',
      part: 'doc[0]',
    });
  });
});

describe('parseMultipart: every part is used or named in an error', () => {
  // Content-Disposition headers busboy cannot parse: it skips the part
  // without a word, so the raw walk names it.
  const unparseable = [
    {
      what: 'a quote inside the quoted file name',
      params: '; filename="a"b.jpg"',
      reason: 'text follows the closing quote of filename (escape a quote inside a value as \\")',
    },
    {
      what: 'an invalid percent-encoding in filename*',
      params: "; filename*=UTF-8''%ZZ.jpg",
      reason: 'filename* has an invalid percent-encoding "%ZZ"',
    },
    {
      what: 'text after the closing quote',
      params: '; filename="a.jpg"x',
      reason: 'text follows the closing quote of filename (escape a quote inside a value as \\")',
    },
    {
      what: 'an unknown charset in filename*',
      params: "; filename*=x-klingon''a.jpg",
      reason: 'filename* names the charset "x-klingon", which is not supported',
    },
    {
      what: 'a trailing semicolon',
      params: '; filename="a.jpg";',
      reason: 'it ends with ";" and no parameter after it',
    },
  ];

  it.each(unparseable)('names an image part with $what, alone', async ({ params, reason }) => {
    await expect(
      parseMultipart(body(rawPart([imageHeader(params)])), B, limits),
    ).rejects.toMatchObject({
      code: 'MALFORMED_MULTIPART',
      part: 'image[0]',
      detail: `image[0] has a Content-Disposition header that cannot be parsed: ${reason}.`,
    });
  });

  it.each(unparseable)('names an image part with $what, after a valid one', async ({ params }) => {
    await expect(
      parseMultipart(body(good(), rawPart([imageHeader(params)])), B, limits),
    ).rejects.toMatchObject({ code: 'MALFORMED_MULTIPART', part: 'image[1]' });
  });

  it.each([
    {
      what: 'a name that cannot be read: by position',
      source: body(good(), rawPart(['Content-Disposition: form-data; name="im"age"'])),
      expected: {
        code: 'MALFORMED_MULTIPART',
        part: undefined,
        detail:
          'Part 2 has a Content-Disposition header that cannot be parsed: text follows the closing quote of name (escape a quote inside a value as \\").',
      },
    },
    {
      what: 'Content-Transfer-Encoding: base64 (not "is text")',
      source: body(
        rawPart(
          [imageHeader('; filename="a.jpg"'), 'Content-Transfer-Encoding: base64'],
          Buffer.from(jpeg.toString('base64')),
        ),
      ),
      expected: {
        code: 'MALFORMED_MULTIPART',
        part: 'image[0]',
        detail:
          'image[0] has Content-Transfer-Encoding: base64, which is not supported (RFC 7578 section 4.7 deprecates it); send the bytes as they are.',
      },
    },
    {
      what: 'Content-Transfer-Encoding: quoted-printable on a text field',
      source: body(
        good(),
        rawPart(
          [
            'Content-Disposition: form-data; name="note"',
            'Content-Transfer-Encoding: Quoted-Printable',
          ],
          Buffer.from('caf=C3=A9'),
        ),
      ),
      expected: { code: 'MALFORMED_MULTIPART', part: 'note[0]' },
    },
    {
      what: 'LF line endings throughout (not "truncated")',
      source: Buffer.from(
        `--${B}\nContent-Disposition: form-data; name="image"; filename="a.jpg"\n\nabc\n--${B}--\n`,
      ),
      expected: {
        code: 'MALFORMED_MULTIPART',
        detail:
          'The multipart body has LF line endings; multipart/form-data needs CRLF line endings after each boundary and header line (RFC 2046 section 5.1.1, RFC 7578).',
      },
    },
    {
      what: 'LF line endings in a part header',
      source: Buffer.from(
        `--${B}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\nContent-Type: image/jpeg\n\nabc\r\n--${B}--\r\n`,
      ),
      expected: { code: 'MALFORMED_MULTIPART', detail: expect.stringMatching(/LF line endings/) },
    },
    {
      what: 'an LF before the closing boundary',
      source: Buffer.concat([good(), Buffer.from(`\n--${B}--\n`)]),
      expected: { code: 'MALFORMED_MULTIPART', detail: expect.stringMatching(/LF line endings/) },
    },
    {
      what: 'a line in the content that starts with the boundary',
      source: body(
        rawPart([imageHeader('; filename="a.jpg"')], Buffer.from(`ab\r\n--${B}xyz\r\ncd`)),
      ),
      expected: {
        code: 'MALFORMED_MULTIPART',
        part: 'image[0]',
        detail:
          'image[0] holds a line that starts with the boundary but is not a boundary line; the boundary must not occur in the content (RFC 2046 section 5.1.1).',
      },
    },
    {
      what: 'text after the first boundary',
      source: body(rawPart([imageHeader('; filename="a.jpg"')], jpeg, 'x')),
      expected: {
        code: 'MALFORMED_MULTIPART',
        detail:
          'The first boundary line of the multipart body has text after the boundary; only spaces or tabs may follow it (or the boundary does not match the Content-Type).',
      },
    },
    {
      what: 'a header with no empty line before the next boundary',
      source: Buffer.concat([
        Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="note"\r\n\r\n--${B}\r\n`),
        Buffer.from(`Content-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\n`),
        jpeg,
        Buffer.from(`\r\n--${B}--\r\n`),
      ]),
      expected: {
        code: 'MALFORMED_MULTIPART',
        detail: 'Part 1 has no empty line between its header and the next boundary.',
      },
    },
    {
      what: 'a truncated body (the message is unchanged)',
      source: good(),
      expected: {
        code: 'MALFORMED_MULTIPART',
        detail:
          'The multipart body ends before its closing boundary (truncated upload, or a boundary that does not match the Content-Type).',
      },
    },
    {
      what: "a browser's empty file input alone: no file",
      source: body(
        rawPart(
          [imageHeader('; filename=""'), 'Content-Type: application/octet-stream'],
          Buffer.alloc(0),
        ),
      ),
      expected: { code: 'NO_IMAGE' },
    },
    {
      what: 'an empty file with a name (still refused)',
      source: body(rawPart([imageHeader('; filename="a.jpg"')], Buffer.alloc(0))),
      expected: { code: 'EMPTY_FILE', part: 'image[0]' },
    },
    {
      what: 'the first problem in body order: a skipped part before an empty file',
      source: body(
        rawPart([imageHeader('; filename="a"b.jpg"')]),
        rawPart([imageHeader('; filename="e.jpg"')], Buffer.alloc(0)),
      ),
      expected: { code: 'MALFORMED_MULTIPART', part: 'image[0]' },
    },
    {
      what: 'the first problem in body order: an empty file before a skipped part',
      source: body(
        rawPart([imageHeader('; filename="e.jpg"')], Buffer.alloc(0)),
        rawPart([imageHeader('; filename="a"b.jpg"')]),
      ),
      expected: { code: 'EMPTY_FILE', part: 'image[0]' },
    },
    {
      what: 'more than MAX_PARTS parts, a broken one past the limit',
      source: body(good(), good(), good(), rawPart([imageHeader('; filename="a"b.jpg"')])),
      expected: {
        code: 'TOO_MANY_PARTS',
        detail: 'The upload has more than 3 parts, the limit per request.',
      },
    },
    {
      what: 'more than MAX_PARTS parts, a broken one within the limit',
      source: body(good(), rawPart([imageHeader('; filename="a"b.jpg"')]), good(), good()),
      expected: { code: 'MALFORMED_MULTIPART', part: 'image[1]' },
    },
  ])('refuses $what', async ({ source, expected }) => {
    await expect(parseMultipart(source, B, { ...limits, maxParts: 3 })).rejects.toMatchObject(
      expected,
    );
  });

  it.each([
    {
      what: 'filename="" with image bytes: a file without a name',
      source: body(rawPart([imageHeader('; filename=""'), 'Content-Type: image/jpeg'])),
      expected: [{ part: 'image[0]', filename: null, bytes: jpeg.length }],
    },
    {
      what: 'filename="" declared as application/octet-stream',
      source: body(
        good(),
        rawPart([imageHeader('; filename=""'), 'Content-Type: application/octet-stream']),
      ),
      expected: [
        { part: 'image[0]', filename: 'ok.jpg', bytes: jpeg.length },
        { part: 'image[1]', filename: null, bytes: jpeg.length },
      ],
    },
    {
      what: "a browser's empty file input next to an image (and in another field)",
      source: body(
        rawPart(
          [imageHeader('; filename=""'), 'Content-Type: application/octet-stream'],
          Buffer.alloc(0),
        ),
        good(),
        rawPart(
          [
            'Content-Disposition: form-data; name="doc"; filename=""',
            'Content-Type: application/octet-stream',
          ],
          Buffer.alloc(0),
        ),
      ),
      expected: [{ part: 'image[1]', filename: 'ok.jpg', bytes: jpeg.length }],
    },
    {
      what: 'RFC 2046 transport padding after every boundary',
      source: Buffer.concat([
        rawPart([imageHeader('; filename="a.jpg"')], jpeg, '   '),
        rawPart([imageHeader('; filename="b.jpg"')], jpeg, ' \t'),
        Buffer.from(`--${B}--  \r\n`),
      ]),
      expected: [
        { part: 'image[0]', filename: 'a.jpg', bytes: jpeg.length },
        { part: 'image[1]', filename: 'b.jpg', bytes: jpeg.length },
      ],
    },
    {
      what: 'identity Content-Transfer-Encodings (some HTTP clients send them)',
      source: body(
        rawPart([imageHeader('; filename="a.jpg"'), 'Content-Transfer-Encoding: binary']),
        rawPart([imageHeader('; filename="b.jpg"'), 'Content-Transfer-Encoding: 8BIT']),
      ),
      expected: [
        { part: 'image[0]', filename: 'a.jpg', bytes: jpeg.length },
        { part: 'image[1]', filename: 'b.jpg', bytes: jpeg.length },
      ],
    },
    {
      what: 'a folded Content-Disposition header',
      source: body(
        rawPart(['Content-Disposition: form-data;', '\tname="image"; filename="a.jpg"']),
      ),
      expected: [{ part: 'image[0]', filename: 'a.jpg', bytes: jpeg.length }],
    },
  ])('accepts $what', async ({ source, expected }) => {
    expect(images(await parseMultipart(source, B, limits))).toEqual(expected);
  });

  it('counts a nameless file against MAX_FILES, although busboy reads it as a text field', async () => {
    const nameless = rawPart([imageHeader('; filename=""'), 'Content-Type: image/jpeg']);
    await expect(
      parseMultipart(body(good(), nameless), B, { ...limits, maxFiles: 1 }),
    ).rejects.toMatchObject({ code: 'TOO_MANY_FILES' });
    await expect(
      parseMultipart(
        body(nameless, rawPart(['Content-Disposition: form-data; name="a"'], Buffer.from('1'))),
        B,
        {
          ...limits,
          maxFields: 1,
        },
      ),
    ).resolves.toMatchObject({ fields: [{ name: 'a', value: '1' }] });
  });

  it('refuses a nameless file over the size limit as FILE_TOO_LARGE', async () => {
    const nameless = rawPart([imageHeader('; filename=""'), 'Content-Type: image/jpeg']);
    await expect(
      parseMultipart(body(nameless), B, { ...limits, maxFileBytes: jpeg.length - 1 }),
    ).rejects.toMatchObject({
      code: 'FILE_TOO_LARGE',
      part: 'image[0]',
      detail: `image[0] is larger than the limit of ${jpeg.length - 1} bytes per file.`,
    });
  });
});
