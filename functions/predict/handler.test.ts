import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import busboy from 'busboy';
import sharp, { type OutputInfo } from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  buildMultipart,
  type EventName,
  eventFor,
  type ImageName,
  loadEvent,
  loadImage,
} from '../../fixtures/index.ts';
import { handlerWith, lambdaContext, useLocalSageMaker } from '../../test/lambda.ts';
import { predictionsReply, SageMakerStub, sagemakerError } from '../../test/sagemaker-stub.ts';
import { createHandler } from './handler.ts';

const stub = new SageMakerStub();
const BOUNDARY = '----test-boundary-7MA4YWxkTrZu0gW';

beforeAll(async () => {
  useLocalSageMaker(await stub.start());
});
afterAll(() => stub.stop());
beforeEach(() => stub.reset());

type Part =
  | { name: string; value: string }
  | { name: string; filename: string; contentType: string; bytes: Buffer };

const image = (name: ImageName, filename: string = name, field = 'image'): Part => ({
  name: field,
  filename,
  contentType: 'image/jpeg',
  bytes: loadImage(name),
});

function uploadEvent(parts: Part[], headers: Record<string, string> = {}): APIGatewayProxyEvent {
  return eventFor(buildMultipart(parts, BOUNDARY), `multipart/form-data; boundary=${BOUNDARY}`, {
    headers,
  });
}

async function call(
  event: APIGatewayProxyEvent,
  env: Record<string, string> = {},
  timeoutMs = 10_000,
): Promise<{ result: APIGatewayProxyResult; body: Record<string, unknown> }> {
  const result = await handlerWith(env)(event, lambdaContext(timeoutMs));
  return { result, body: JSON.parse(result.body) as Record<string, unknown> };
}

async function expectProblem(
  event: APIGatewayProxyEvent,
  expected: { status: number; code: string; detail?: string; part?: string },
  env: Record<string, string> = {},
  timeoutMs?: number,
) {
  const { result, body } = await call(event, env, timeoutMs);
  expect(result.headers?.['Content-Type']).toBe('application/problem+json');
  expect({ status: result.statusCode, code: body.code }).toEqual({
    status: expected.status,
    code: expected.code,
  });
  expect(body.status).toBe(expected.status);
  expect(body.type).toBe(`urn:image-inference-gateway:error:${expected.code}`);
  expect(typeof body.title).toBe('string');
  expect(body.requestId).toBe(result.headers?.['X-Request-Id']);
  if (expected.detail !== undefined) expect(body.detail).toBe(expected.detail);
  expect(body.part).toBe(expected.part);
  return { result, body };
}

function pixel(raw: { data: Buffer; info: OutputInfo }, x: number, y: number): number[] {
  const offset = (y * raw.info.width + x) * raw.info.channels;
  return [...raw.data.subarray(offset, offset + 3)];
}

describe('uploads as real clients build them', () => {
  it.each<EventName>(['curl', 'chromium', 'node-fetch'])(
    '%s upload: 200 with the contract shape',
    async (name) => {
      stub.behaviour = () =>
        predictionsReply([
          { label: 'Drawing', score: 0.1 },
          { label: 'Neutral', score: 0.85 },
          { label: 'Porn', score: 0.05 },
        ]);
      const event = loadEvent(name);
      const { result, body } = await call(event);
      expect(result.statusCode).toBe(200);
      expect(result.headers?.['Content-Type']).toBe('application/json');
      const requestId = event.requestContext.requestId;
      expect(result.headers?.['X-Request-Id']).toBe(requestId);
      expect(body).toEqual({
        requestId,
        endpoint: { name: 'local-endpoint', variant: 'AllTraffic' },
        results: [
          {
            field: 'image',
            filename: 'small.jpg',
            image: {
              format: 'jpeg',
              width: 64,
              height: 48,
              orientation: 1,
              bytes: loadImage('small.jpg').length,
            },
            sent: {
              contentType: 'image/jpeg',
              width: 224,
              height: 224,
              bytes: stub.received[0]?.body.length,
            },
            predictions: [
              { label: 'Neutral', score: 0.85 },
              { label: 'Drawing', score: 0.1 },
              { label: 'Porn', score: 0.05 },
            ],
          },
        ],
        timingsMs: expect.objectContaining({
          parse: expect.any(Number),
          normalise: expect.any(Number),
          inference: expect.any(Number),
          total: expect.any(Number),
        }),
      });

      // What the model received: one invocation, a metadata-free 224x224 JPEG.
      expect(stub.received).toHaveLength(1);
      const [received] = stub.received;
      expect(received?.endpointName).toBe('local-endpoint'); // the stage variable
      expect(received?.headers['content-type']).toBe('image/jpeg');
      expect(received?.headers.accept).toBe('application/json');
      expect(received?.headers['x-amzn-sagemaker-custom-attributes']).toBe('note=hello');
      expect(received?.headers['x-amzn-sagemaker-inference-id']).toBe(requestId);
      const sent = await sharp(received?.body).metadata();
      expect([sent.format, sent.width, sent.height, sent.space]).toEqual([
        'jpeg',
        224,
        224,
        'srgb',
      ]);
      expect([sent.exif, sent.icc, sent.xmp, sent.iptc, sent.orientation]).toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
    },
  );

  it('applies every EXIF orientation, so the model sees the picture upright', async () => {
    for (let orientation = 1; orientation <= 8; orientation++) {
      stub.reset();
      const name = `orientation-${orientation}.jpg` as ImageName;
      const { result, body } = await call(uploadEvent([image(name)]), { RESIZE_FIT: 'fill' });
      expect(result.statusCode, name).toBe(200);
      const [first] = body.results as Array<{ image: Record<string, number> }>;
      expect(first?.image, name).toMatchObject({ width: 96, height: 64, orientation });
      const raw = await sharp(stub.received[0]?.body).raw().toBuffer({ resolveWithObject: true });
      const corners = [
        pixel(raw, 8, 8),
        pixel(raw, 215, 8),
        pixel(raw, 8, 215),
        pixel(raw, 215, 215),
      ];
      const nearest = corners.map(([r = 0, g = 0, b = 0]) =>
        r > 200 && g > 200 && b > 200
          ? 'white'
          : r > 150
            ? 'red'
            : g > 150
              ? 'green'
              : b > 150
                ? 'blue'
                : 'other',
      );
      expect(nearest, name).toEqual(['red', 'green', 'blue', 'white']);
    }
  });

  it('sends the same bytes for the same upload (deterministic)', async () => {
    await call(uploadEvent([image('photo-2mp.jpg')]));
    await call(uploadEvent([image('photo-2mp.jpg')]));
    expect(stub.received).toHaveLength(2);
    expect(stub.received[0]?.body.equals(stub.received[1]?.body as Buffer)).toBe(true);
  });

  it.each([
    { name: 'small.jpg', format: 'jpeg' },
    { name: 'progressive.jpg', format: 'jpeg' },
    { name: 'cmyk.jpg', format: 'jpeg' },
    { name: 'alpha.png', format: 'png' },
    { name: 'gray16.png', format: 'png' },
    { name: 'palette.png', format: 'png' },
    { name: 'animated.gif', format: 'gif' },
    { name: 'image.webp', format: 'webp' },
    { name: 'image.avif', format: 'avif' },
    { name: 'image.tiff', format: 'tiff' },
  ] as Array<{ name: ImageName; format: string }>)(
    'accepts $name as $format and sends an sRGB 224x224 JPEG',
    async ({ name, format }) => {
      // Declared type is wrong on purpose: only the bytes count.
      const { result, body } = await call(uploadEvent([image(name, 'upload.bin')]));
      expect(result.statusCode).toBe(200);
      const [first] = body.results as Array<{ image: { format: string } }>;
      expect(first?.image.format).toBe(format);
      const sent = await sharp(stub.received[0]?.body).metadata();
      expect([
        sent.format,
        sent.width,
        sent.height,
        sent.space,
        sent.channels,
        sent.hasAlpha,
      ]).toEqual(['jpeg', 224, 224, 'srgb', 3, false]);
    },
  );

  it('flattens transparency onto the configured background', async () => {
    await call(uploadEvent([image('alpha.png')]), {
      FLATTEN_BACKGROUND: '#00ff00',
      RESIZE_FIT: 'fill',
    });
    const raw = await sharp(stub.received[0]?.body).raw().toBuffer({ resolveWithObject: true });
    const [r = 0, g = 0, b = 0] = pixel(raw, 1, 1);
    expect(r < 40 && g > 215 && b < 40, `corner is ${[r, g, b]}`).toBe(true);
  });

  it('keeps UTF-8 file names', async () => {
    const { body } = await call(uploadEvent([image('small.jpg', '写真 café.jpg')]));
    expect((body.results as Array<{ filename: string }>)[0]?.filename).toBe('写真 café.jpg');
  });

  it('answers several images in upload order, one invocation each', async () => {
    stub.behaviour = (request, index) =>
      predictionsReply([{ label: `call-${index}-${request.body.length > 0}`, score: 1 }]);
    const { result, body } = await call(
      uploadEvent([
        image('small.jpg', 'a.jpg'),
        image('alpha.png', 'b.png'),
        image('image.webp', 'c.webp'),
      ]),
    );
    expect(result.statusCode).toBe(200);
    const results = body.results as Array<{ filename: string; image: { format: string } }>;
    expect(results.map((r) => [r.filename, r.image.format])).toEqual([
      ['a.jpg', 'jpeg'],
      ['b.png', 'png'],
      ['c.webp', 'webp'],
    ]);
    expect(stub.received).toHaveLength(3);
  });

  it('uses SAGEMAKER_ENDPOINT_NAME without a stage variable, and the target variant from config', async () => {
    const event = uploadEvent([image('small.jpg')]);
    event.stageVariables = null;
    const { result } = await call(event, { SAGEMAKER_TARGET_VARIANT: 'blue' });
    expect(result.statusCode).toBe(200);
    expect(stub.received[0]?.endpointName).toBe('test-endpoint');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-target-variant']).toBe('blue');
  });

  it('uses X-Request-Id as inference id and echoes it; forwards X-Client-Id', async () => {
    const { result, body } = await call(
      uploadEvent([image('small.jpg'), { name: 'note', value: 'a b' }], {
        'x-request-id': 'job-42',
        'X-Client-Id': 'team;a',
      }),
    );
    expect(result.headers?.['X-Request-Id']).toBe('job-42');
    expect(body.requestId).toBe('job-42');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-inference-id']).toBe('job-42');
    expect(stub.received[0]?.headers['x-amzn-sagemaker-custom-attributes']).toBe(
      'client-id=team%3Ba;note=a%20b',
    );
  });
});

describe('endpoint payload formats', () => {
  it('application/x-image: the JPEG, labelled for built-in algorithms', async () => {
    await call(uploadEvent([image('small.jpg')]), { ENDPOINT_CONTENT_TYPE: 'application/x-image' });
    expect(stub.received[0]?.headers['content-type']).toBe('application/x-image');
    expect((await sharp(stub.received[0]?.body).metadata()).format).toBe('jpeg');
  });

  it('application/json: one base64 instance', async () => {
    const { body } = await call(uploadEvent([image('small.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'application/json',
    });
    const sent = JSON.parse(stub.received[0]?.body.toString() ?? '') as {
      instances: Array<{ b64: string }>;
    };
    expect(stub.received[0]?.headers['content-type']).toBe('application/json');
    expect(sent.instances).toHaveLength(1);
    const jpeg = Buffer.from(sent.instances[0]?.b64 ?? '', 'base64');
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 224, height: 224 });
    expect((body.results as Array<{ sent: { bytes: number } }>)[0]?.sent.bytes).toBe(
      stub.received[0]?.body.length,
    );
  });

  it('multipart/form-data: a form with the normalised image and the text fields', async () => {
    await call(uploadEvent([{ name: 'note', value: 'hi' }, image('small.jpg', 'pic.jpg')]), {
      ENDPOINT_CONTENT_TYPE: 'multipart/form-data',
    });
    const received = stub.received[0];
    const parts: Array<[string, string, Buffer]> = [];
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({
        headers: { 'content-type': String(received?.headers['content-type']) },
      });
      parser.on('field', (name, value) => parts.push(['field', name, Buffer.from(value)]));
      parser.on('file', (name, stream, info) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () =>
          parts.push([`file:${info.filename}:${info.mimeType}`, name, Buffer.concat(chunks)]),
        );
      });
      parser.on('close', resolve);
      parser.on('error', reject);
      parser.end(received?.body);
    });
    expect(parts.map(([kind, name]) => [kind, name])).toEqual([
      ['field', 'note'],
      ['file:pic.jpg:image/jpeg', 'image'],
    ]);
    expect(parts[0]?.[2].toString()).toBe('hi');
    expect(await sharp(parts[1]?.[2]).metadata()).toMatchObject({
      format: 'jpeg',
      width: 224,
      height: 224,
    });
  });
});

describe('every status in the error table', () => {
  const small = () => image('small.jpg');

  it.each([
    {
      what: 'no closing boundary',
      event: () =>
        eventFor(
          Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx`),
          `multipart/form-data; boundary=${BOUNDARY}`,
        ),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'a boundary that does not match the body',
      event: () =>
        eventFor(buildMultipart([small()], BOUNDARY), 'multipart/form-data; boundary=other'),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'a part without Content-Disposition',
      event: () =>
        eventFor(
          Buffer.from(`--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${BOUNDARY}--\r\n`),
          `multipart/form-data; boundary=${BOUNDARY}`,
        ),
      code: 'MALFORMED_MULTIPART',
      detail: 'Part 1 has no "Content-Disposition: form-data" header.',
    },
    {
      what: 'the body as text',
      event: () => loadEvent('text-body'),
      code: 'BINARY_BODY_NOT_ENCODED',
    },
    {
      what: 'only text fields',
      event: () => uploadEvent([{ name: 'note', value: 'x' }]),
      code: 'NO_IMAGE',
      detail: 'The upload has no image; send one or more files in the field "image".',
    },
    {
      what: 'image as a text field',
      event: () => uploadEvent([{ name: 'image', value: 'cat.jpg' }]),
      code: 'IMAGE_NOT_A_FILE',
      part: 'image[0]',
    },
    {
      what: 'a file in another field',
      event: () => uploadEvent([small(), image('small.jpg', 'doc.jpg', 'attachment')]),
      code: 'UNEXPECTED_FILE_FIELD',
      part: 'attachment[0]',
      detail: 'File field "attachment" is not accepted; send images in the field "image".',
    },
    {
      what: 'an empty file',
      event: () =>
        uploadEvent([
          small(),
          {
            name: 'image',
            filename: 'empty.jpg',
            contentType: 'image/jpeg',
            bytes: Buffer.alloc(0),
          },
        ]),
      code: 'EMPTY_FILE',
      part: 'image[1]',
      detail: 'image[1] (empty.jpg) is empty.',
    },
    {
      what: 'an invalid X-Request-Id',
      event: () => uploadEvent([small()], { 'X-Request-Id': 'x'.repeat(65) }),
      code: 'INVALID_REQUEST_ID',
    },
    {
      what: 'custom attributes over 1024 characters',
      event: () => uploadEvent([small()], { 'X-Client-Id': 'c'.repeat(1015) }),
      code: 'CUSTOM_ATTRIBUTES_TOO_LONG',
    },
    {
      what: 'a JSON request',
      event: () => eventFor(Buffer.from('{}'), 'application/json'),
      code: 'UNSUPPORTED_CONTENT_TYPE',
      detail: 'The request Content-Type is "application/json"; send multipart/form-data.',
    },
    {
      what: 'HEIC bytes',
      event: () => uploadEvent([image('heic.heic', 'photo.jpg')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
      detail:
        'image[0] (photo.jpg) is HEIC/HEIF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF.',
    },
    {
      what: 'SVG',
      event: () => uploadEvent([image('vector.svg')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
      detail: 'image[0] (vector.svg) is SVG; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF.',
    },
    {
      what: 'PDF',
      event: () => uploadEvent([image('document.pdf')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
      detail:
        'image[0] (document.pdf) is PDF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF.',
    },
    {
      what: 'bytes that are no image',
      event: () => uploadEvent([image('not-an-image.bin')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
    },
    {
      what: 'a truncated JPEG',
      event: () => uploadEvent([image('truncated.jpg')]),
      code: 'IMAGE_UNDECODABLE',
      part: 'image[0]',
      detail: 'image[0] (truncated.jpg) cannot be decoded as JPEG (corrupt or truncated).',
    },
    {
      what: 'the 30000x30000 pixel bomb',
      event: () => uploadEvent([image('bomb.png')]),
      code: 'IMAGE_TOO_MANY_PIXELS',
      part: 'image[0]',
      detail:
        'image[0] (bomb.png) is 30000x30000 (900000000 pixels); the limit is 40000000 pixels.',
    },
  ])('$what: $code', async ({ event, code, detail, part }) => {
    const status = (await import('#shared/errors.ts')).ERROR_CATALOGUE[code as 'NO_IMAGE'].status;
    await expectProblem(event(), { status, code, detail, part });
    expect(stub.received).toHaveLength(0);
  });

  it('fails a request with one bad image among good ones before any model call', async () => {
    await expectProblem(uploadEvent([small(), small(), image('document.pdf', 'x.pdf')]), {
      status: 415,
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[2]',
    });
    expect(stub.received).toHaveLength(0);
  });

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
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n`,
          ),
          Buffer.from(
            Array.from({ length: headers - 1 }, (_, i) => `X-Extra-${i}: ${i}\r\n`).join(''),
          ),
          Buffer.from('\r\n'),
          loadImage('small.jpg'),
          Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
        ]);
      const type = `multipart/form-data; boundary=${BOUNDARY}`;
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

  describe('SageMaker failures', () => {
    it.each([
      {
        what: 'ModelError',
        reply: sagemakerError('ModelError', 424, {
          OriginalStatusCode: 500,
          OriginalMessage: 'secret stack trace',
        }),
        status: 502,
        code: 'MODEL_ERROR',
        detail: 'The model container answered with status 500.',
      },
      {
        what: 'ValidationError',
        reply: sagemakerError('ValidationError', 400, {
          message: 'Endpoint x of account 123456789012 not found.',
        }),
        status: 502,
        code: 'ENDPOINT_REJECTED_REQUEST',
        detail: 'SageMaker rejected the invocation; the request id identifies it in the logs.',
      },
      {
        what: 'InternalFailure',
        reply: sagemakerError('InternalFailure', 500),
        status: 502,
        code: 'ENDPOINT_FAILURE',
        detail: 'The endpoint failed; the request id identifies it in the logs.',
      },
      {
        what: 'a non-JSON answer',
        reply: { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'cat' },
        status: 502,
        code: 'BAD_MODEL_OUTPUT',
        detail: 'The model answered with something that is not JSON.',
      },
      {
        what: 'ModelNotReadyException, every attempt',
        reply: sagemakerError('ModelNotReadyException', 429),
        status: 503,
        code: 'ENDPOINT_UNAVAILABLE',
        detail: 'The endpoint is busy or not ready; retry after 2 s.',
      },
    ])('$what: $status $code', async ({ reply, status, code, detail }) => {
      stub.behaviour = () => reply;
      const { result, body } = await expectProblem(uploadEvent([small()]), {
        status,
        code,
        detail,
        part: 'image[0]',
      });
      expect(result.body).not.toContain('secret');
      expect(result.body).not.toContain('123456789012');
      expect(result.headers?.['Retry-After']).toBe(status === 503 ? '2' : undefined);
      expect(body.part).toBe('image[0]');
    });

    it('a model slower than the deadline: 504 well before the Lambda would be killed', async () => {
      stub.behaviour = () => ({
        ...predictionsReply([{ label: 'late', score: 1 }]),
        delayMs: 5000,
      });
      await expectProblem(
        uploadEvent([small()]),
        { status: 504, code: 'ENDPOINT_TIMEOUT', part: 'image[0]' },
        { DEADLINE_MARGIN_MS: '1000' },
        2500,
      );
    });

    it('an unreachable endpoint: 503', async () => {
      const saved = process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
      process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = 'http://127.0.0.1:9';
      try {
        await expectProblem(uploadEvent([small()]), {
          status: 503,
          code: 'ENDPOINT_UNAVAILABLE',
          part: 'image[0]',
        });
      } finally {
        process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = saved;
      }
    });

    it('an invalid configuration: 500 with nothing leaked, and CORS still unset', async () => {
      const handler = createHandler(() => {
        throw new Error('Environment variable MAX_FILES must be ...');
      });
      const result = await handler(uploadEvent([small()]), lambdaContext());
      expect(result.statusCode).toBe(500);
      expect(JSON.parse(result.body)).toMatchObject({ code: 'INTERNAL_ERROR', status: 500 });
      expect(result.body).not.toContain('MAX_FILES');
    });
  });
});

describe('CORS', () => {
  const allowed = { CORS_ALLOW_ORIGINS: 'https://app.example,http://localhost:3000' };

  it.each([
    {
      what: 'an allowed origin is echoed',
      origin: 'https://app.example',
      env: allowed,
      expected: 'https://app.example',
    },
    {
      what: 'another origin gets none',
      origin: 'https://evil.example',
      env: allowed,
      expected: undefined,
    },
    { what: 'any origin with *', origin: 'https://x.example', env: {}, expected: '*' },
  ])('$what, on success and on errors', async ({ origin, env, expected }) => {
    for (const event of [
      uploadEvent([image('small.jpg')], { Origin: origin }),
      uploadEvent([], { Origin: origin }),
    ]) {
      const { result } = await call(event, env);
      expect(result.headers?.['Access-Control-Allow-Origin']).toBe(expected);
      expect(result.headers?.Vary).toBe('Origin');
      expect(result.headers?.['Access-Control-Expose-Headers']).toBe(
        expected === undefined ? undefined : 'x-request-id, retry-after',
      );
    }
  });
});
