import { describe, expect, it } from 'vitest';
import { buildMultipart, loadImage } from '../fixtures/index.ts';
import { type MultipartLimits, parseMultipart } from './multipart.ts';
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
