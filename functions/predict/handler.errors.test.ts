import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '#shared/errors.ts';
import { buildMultipart, eventFor, loadEvent, loadImage } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import {
  imagePart,
  UPLOAD_BOUNDARY,
  UPLOAD_CONTENT_TYPE,
  uploadEvent,
} from '../../testing/upload.ts';

// The error table's request errors (malformed bodies, wrong fields, refused
// images, bad headers), each refused before any model call. Limits and the
// 5xx side have their own files.

const { stub, expectProblem } = handlerHarness();

describe('every status in the error table', () => {
  const small = () => imagePart('small.jpg');

  it.each([
    {
      what: 'no closing boundary',
      event: () =>
        eventFor(
          Buffer.from(`--${UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nx`),
          UPLOAD_CONTENT_TYPE,
        ),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'a boundary that does not match the body',
      event: () =>
        eventFor(buildMultipart([small()], UPLOAD_BOUNDARY), 'multipart/form-data; boundary=other'),
      code: 'MALFORMED_MULTIPART',
    },
    {
      what: 'a part without Content-Disposition',
      event: () =>
        eventFor(
          Buffer.from(
            `--${UPLOAD_BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--${UPLOAD_BOUNDARY}--\r\n`,
          ),
          UPLOAD_CONTENT_TYPE,
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
      event: () => uploadEvent([small(), imagePart('small.jpg', 'doc.jpg', 'attachment')]),
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
      what: 'a raw JPEG body as text (octet-stream is not a binary media type)',
      event: () => {
        // As API Gateway delivers a type outside binaryMediaTypes: UTF-8 text.
        const text = loadImage('small.jpg').toString('utf8');
        return {
          ...eventFor(Buffer.from(text), 'application/octet-stream'),
          isBase64Encoded: false,
          body: text,
        };
      },
      code: 'UNSUPPORTED_CONTENT_TYPE',
      detail: 'The request Content-Type is "application/octet-stream"; send multipart/form-data.',
    },
    {
      // HEIC is allowed (issue 17): a HEIC container that holds no image cannot be decoded.
      what: 'HEIC bytes with no image in them',
      event: () => uploadEvent([imagePart('heic.heic', 'photo.jpg')]),
      code: 'IMAGE_UNDECODABLE',
      part: 'image[0]',
      detail: 'image[0] (photo.jpg) cannot be decoded as HEIC/HEIF.',
    },
    {
      what: 'SVG',
      event: () => uploadEvent([imagePart('vector.svg')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
      detail:
        'image[0] (vector.svg) is SVG; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF.',
    },
    {
      what: 'PDF',
      event: () => uploadEvent([imagePart('document.pdf')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
      detail:
        'image[0] (document.pdf) is PDF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF.',
    },
    {
      what: 'bytes that are no image',
      event: () => uploadEvent([imagePart('not-an-image.bin')]),
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[0]',
    },
    {
      what: 'a truncated JPEG',
      event: () => uploadEvent([imagePart('truncated.jpg')]),
      code: 'IMAGE_UNDECODABLE',
      part: 'image[0]',
      detail: 'image[0] (truncated.jpg) cannot be decoded as JPEG (corrupt or truncated).',
    },
    {
      what: 'the 30000x30000 pixel bomb',
      event: () => uploadEvent([imagePart('bomb.png')]),
      code: 'IMAGE_TOO_MANY_PIXELS',
      part: 'image[0]',
      detail:
        'image[0] (bomb.png) is 30000x30000 (900000000 pixels); the limit is 40000000 pixels.',
    },
  ])('$what: $code', async ({ event, code, detail, part }) => {
    const status = ERROR_CATALOGUE[code as 'NO_IMAGE'].status;
    await expectProblem(event(), { status, code, detail, part });
    expect(stub.received).toHaveLength(0);
  });

  it('fails a request with one bad image among good ones before any model call', async () => {
    await expectProblem(uploadEvent([small(), small(), imagePart('document.pdf', 'x.pdf')]), {
      status: 415,
      code: 'UNSUPPORTED_IMAGE_FORMAT',
      part: 'image[2]',
    });
    expect(stub.received).toHaveLength(0);
  });
});
