import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { eventFor, type ImageName, loadImage } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import {
  imagePart,
  UPLOAD_BOUNDARY,
  UPLOAD_CONTENT_TYPE,
  uploadEvent,
} from '../../testing/upload.ts';

// Each configurable limit, on both sides of the line: at the limit 200, one over it the problem.

const { call, expectProblem, stub } = handlerHarness();

const small = () => imagePart('small.jpg');

describe('limits, on both sides of the line', () => {
  const size = () => loadImage('small.jpg').length;

  it('MAX_FILES', async () => {
    const env = { MAX_FILES: '2' };
    expect((await call(uploadEvent([small(), small()]), env)).result.statusCode).toBe(200);
    await expectProblem(
      uploadEvent([small(), small(), small()]),
      {
        status: 400,
        code: 'TOO_MANY_FILES',
        detail: 'The upload has more than 2 files, the limit per request.',
      },
      env,
    );
  });

  it('MAX_FILE_BYTES', async () => {
    expect(
      (await call(uploadEvent([small()]), { MAX_FILE_BYTES: String(size()) })).result.statusCode,
    ).toBe(200);
    await expectProblem(
      uploadEvent([small()]),
      {
        status: 413,
        code: 'FILE_TOO_LARGE',
        part: 'image[0]',
        detail: `image[0] (small.jpg) is larger than the limit of ${size() - 1} bytes per file.`,
      },
      { MAX_FILE_BYTES: String(size() - 1) },
    );
  });

  it('MAX_FIELDS', async () => {
    const env = { MAX_FIELDS: '1' };
    const one = [small(), { name: 'a', value: '1' }];
    expect((await call(uploadEvent(one), env)).result.statusCode).toBe(200);
    await expectProblem(
      uploadEvent([...one, { name: 'b', value: '2' }]),
      { status: 400, code: 'TOO_MANY_FIELDS' },
      env,
    );
  });

  it('MAX_FIELD_BYTES', async () => {
    const env = { MAX_FIELD_BYTES: '4' };
    expect(
      (await call(uploadEvent([small(), { name: 'a', value: 'abcd' }]), env)).result.statusCode,
    ).toBe(200);
    await expectProblem(
      uploadEvent([small(), { name: 'a', value: 'abcde' }]),
      {
        status: 413,
        code: 'FIELD_TOO_LARGE',
        part: 'a[0]',
        detail: 'Field "a" is larger than the limit of 4 bytes per field.',
      },
      env,
    );
  });

  it('MAX_PARTS', async () => {
    const env = { MAX_PARTS: '3' };
    const three = [small(), { name: 'a', value: '1' }, { name: 'b', value: '2' }];
    expect((await call(uploadEvent(three), env)).result.statusCode).toBe(200);
    await expectProblem(
      uploadEvent([...three, { name: 'c', value: '3' }]),
      { status: 400, code: 'TOO_MANY_PARTS' },
      env,
    );
  });

  it('MAX_PART_HEADER_PAIRS', async () => {
    const part = (headers: number) =>
      Buffer.concat([
        Buffer.from(
          `--${UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n`,
        ),
        Buffer.from(
          Array.from({ length: headers - 1 }, (_, i) => `X-Extra-${i}: ${i}\r\n`).join(''),
        ),
        Buffer.from('\r\n'),
        loadImage('small.jpg'),
        Buffer.from(`\r\n--${UPLOAD_BOUNDARY}--\r\n`),
      ]);
    const type = UPLOAD_CONTENT_TYPE;
    expect(
      (await call(eventFor(part(3), type), { MAX_PART_HEADER_PAIRS: '3' })).result.statusCode,
    ).toBe(200);
    await expectProblem(
      eventFor(part(4), type),
      {
        status: 400,
        code: 'TOO_MANY_PART_HEADERS',
        detail: 'Part 1 has 4 header lines; the limit is 3.',
      },
      { MAX_PART_HEADER_PAIRS: '3' },
    );
  });

  it('MAX_INPUT_PIXELS (64x48 = 3072 pixels)', async () => {
    expect(
      (await call(uploadEvent([small()]), { MAX_INPUT_PIXELS: '3072' })).result.statusCode,
    ).toBe(200);
    await expectProblem(
      uploadEvent([small()]),
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[0]',
        detail: 'image[0] (small.jpg) is 64x48 (3072 pixels); the limit is 3071 pixels.',
      },
      { MAX_INPUT_PIXELS: '3071' },
    );
  });

  it('MAX_INPUT_SIDE_PX (64x48)', async () => {
    expect(
      (await call(uploadEvent([small()]), { MAX_INPUT_SIDE_PX: '64' })).result.statusCode,
    ).toBe(200);
    await expectProblem(
      uploadEvent([small()]),
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[0]',
        detail: 'image[0] (small.jpg) is 64x48; the limit is 63 pixels per side.',
      },
      { MAX_INPUT_SIDE_PX: '63' },
    );
  });

  it.each([
    { variable: 'MAX_AVIF_PIXELS', file: 'image.avif', size: [64, 48], scope: 'AVIF' },
    { variable: 'MAX_WEBP_PIXELS', file: 'image.webp', size: [64, 48], scope: 'WebP' },
    { variable: 'MAX_GIF_PIXELS', file: 'animated.gif', size: [48, 32], scope: 'GIF' },
    {
      variable: 'MAX_INTERLACED_PIXELS',
      file: 'progressive.jpg',
      size: [64, 48],
      scope: 'progressive JPEG',
    },
  ] as const)('$variable ($file, $size)', async ({ variable, file, size, scope }) => {
    const pixels = size[0] * size[1];
    const upload = uploadEvent([imagePart(file as ImageName)]);
    expect((await call(upload, { [variable]: String(pixels) })).result.statusCode).toBe(200);
    // Only the format's own limit: another format passes under the same value.
    expect(
      (await call(uploadEvent([small()]), { [variable]: String(pixels - 1) })).result.statusCode,
    ).toBe(200);
    await expectProblem(
      upload,
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[0]',
        detail: `image[0] (${file}) is ${size[0]}x${size[1]} (${pixels} pixels); the limit for ${scope} is ${pixels - 1} pixels.`,
      },
      { [variable]: String(pixels - 1) },
    );
  });

  it('MAX_INTERLACED_PIXELS (an interlaced PNG, 64x48)', async () => {
    const png = await sharp(loadImage('small.jpg')).png({ progressive: true }).toBuffer();
    const upload = uploadEvent([
      { name: 'image', filename: 'interlaced.png', contentType: 'image/png', bytes: png },
    ]);
    expect((await call(upload, { MAX_INTERLACED_PIXELS: '3072' })).result.statusCode).toBe(200);
    await expectProblem(
      upload,
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[0]',
        detail:
          'image[0] (interlaced.png) is 64x48 (3072 pixels); the limit for interlaced PNG is 3071 pixels.',
      },
      { MAX_INTERLACED_PIXELS: '3071' },
    );
  });

  it('MAX_REQUEST_PIXELS (two 64x48 images = 6144 pixels), before any image is decoded', async () => {
    const two = uploadEvent([small(), imagePart('small.jpg', 'second.jpg')]);
    expect((await call(two, { MAX_REQUEST_PIXELS: '6144' })).result.statusCode).toBe(200);
    // The first image is undecodable: the budget is refused before decoding shows it.
    const truncatedFirst = uploadEvent([
      imagePart('truncated.jpg'),
      imagePart('orientation-1.jpg'),
    ]);
    await expectProblem(
      truncatedFirst,
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[1]',
        detail:
          'image[1] (orientation-1.jpg) brings the request to 55296 pixels; the limit is 55295 pixels per request.',
      },
      { MAX_REQUEST_PIXELS: '55295' },
    );
    await expectProblem(
      two,
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[1]',
        detail:
          'image[1] (second.jpg) brings the request to 6144 pixels; the limit is 6143 pixels per request.',
      },
      { MAX_REQUEST_PIXELS: '6143' },
    );
  });
});

describe('the deadline', () => {
  it('passed while decoding: 504 naming the image under way, nothing sent to the model', async () => {
    // 1000 ms left, 999 kept back: the deadline (1 ms) passes during parsing
    // or the first decode, whichever this machine is in at the time; either
    // way no invocation starts.
    const { result, body } = await call(
      uploadEvent([small(), small()]),
      { DEADLINE_MARGIN_MS: '999' },
      1000,
    );
    expect([result.statusCode, body.code]).toEqual([504, 'ENDPOINT_TIMEOUT']);
    expect(body.part).toMatch(/^image\[[01]\]$/);
    expect(body.detail).toBe(
      `${String(body.part)} (small.jpg) was not decoded within the request's 1 ms; nothing was sent to the model.`,
    );
    expect(stub.received).toEqual([]);
  });
});
