import { describe, expect, it } from 'vitest';
import { eventFor, loadImage } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import {
  imagePart,
  UPLOAD_BOUNDARY,
  UPLOAD_CONTENT_TYPE,
  uploadEvent,
} from '../../testing/upload.ts';

// Each configurable limit, on both sides of the line: at the limit 200, one over it the problem.

const { call, expectProblem } = handlerHarness();

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
});
