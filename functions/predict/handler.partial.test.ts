import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { predictionsReply, sagemakerError } from '../../testing/sagemaker-stub.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// `?partial=true`: a valid request answers 200, each image its own result or problem.

const { stub, call, expectProblem } = handlerHarness();

function withQuery(event: APIGatewayProxyEvent, value: string): APIGatewayProxyEvent {
  return {
    ...event,
    queryStringParameters: { partial: value },
    multiValueQueryStringParameters: { partial: [value] },
  };
}

const problem = (code: string, status: number, title: string, detail: string, part: string) => ({
  type: `urn:image-inference-gateway:error:${code}`,
  title,
  status,
  detail,
  code,
  part,
});

/** small.jpg, a PDF, a truncated JPEG, small.jpg again (the model fails it), alpha.png. */
const mixed = () =>
  uploadEvent([
    imagePart('small.jpg', 'a.jpg'),
    imagePart('document.pdf', 'b.pdf'),
    imagePart('truncated.jpg', 'c.jpg'),
    imagePart('small.jpg', 'd.jpg'),
    imagePart('alpha.png', 'e.png'),
  ]);

/** The model fails the second invocation: d.jpg, when they are made one at a time. */
function modelFailsThird(): void {
  stub.behaviour = (_request, index) =>
    index === 1
      ? sagemakerError('ModelError', 424, { OriginalStatusCode: 500, OriginalMessage: 'boom' })
      : predictionsReply([{ label: 'cat', score: 0.9 }], 'Blue');
}

describe('partial mode', () => {
  it('answers 200 with each image its predictions or its problem, in upload order', async () => {
    modelFailsThird();
    // One invocation at a time: the second to arrive is d.jpg.
    const { result, body } = await call(withQuery(mixed(), 'true'), {
      MAX_FILES: '5',
      INVOKE_CONCURRENCY: '1',
    });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['Content-Type']).toBe('application/json');
    const results = body.results as Array<Record<string, unknown>>;
    expect(results.map((r) => [r.filename, 'error' in r ? 'error' : 'predictions'])).toEqual([
      ['a.jpg', 'predictions'],
      ['b.pdf', 'error'],
      ['c.jpg', 'error'],
      ['d.jpg', 'error'],
      ['e.png', 'predictions'],
    ]);
    expect(results[0]).toMatchObject({
      field: 'image',
      image: { format: 'jpeg' },
      predictions: [{ label: 'cat', score: 0.9 }],
    });
    expect(results[1]).toEqual({
      field: 'image',
      filename: 'b.pdf',
      error: problem(
        'UNSUPPORTED_IMAGE_FORMAT',
        415,
        'Image format not allowed',
        'image[1] (b.pdf) is PDF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF.',
        'image[1]',
      ),
    });
    expect(results[2]).toEqual({
      field: 'image',
      filename: 'c.jpg',
      error: problem(
        'IMAGE_UNDECODABLE',
        422,
        'Image cannot be decoded',
        'image[2] (c.jpg) cannot be decoded as JPEG (corrupt or truncated).',
        'image[2]',
      ),
    });
    expect(results[3]).toEqual({
      field: 'image',
      filename: 'd.jpg',
      error: problem(
        'MODEL_ERROR',
        502,
        'The model failed',
        'The model container answered with status 500.',
        'image[3]',
      ),
    });
    expect(results[4]).toMatchObject({ filename: 'e.png', image: { format: 'png' } });
    expect(body.endpoint).toEqual({ name: 'local-endpoint', variant: 'Blue' });
    // Only the images that were decoded reached the model; none was cancelled.
    expect(stub.received).toHaveLength(3);
  });

  it('answers 200 when every image fails, each with its own problem', async () => {
    const event = uploadEvent([imagePart('document.pdf'), imagePart('not-an-image.bin')]);
    const { result, body } = await call(withQuery(event, 'true'));
    expect(result.statusCode).toBe(200);
    const results = body.results as Array<{ error: { code: string; part: string } }>;
    expect(results.map((r) => [r.error.code, r.error.part])).toEqual([
      ['UNSUPPORTED_IMAGE_FORMAT', 'image[0]'],
      ['UNSUPPORTED_IMAGE_FORMAT', 'image[1]'],
    ]);
    expect(body.endpoint).toEqual({ name: 'local-endpoint', variant: null });
    expect(stub.received).toHaveLength(0);
  });

  it('gives the image that breaks the request pixel budget its problem; the rest go on', async () => {
    const event = uploadEvent([
      imagePart('photo-2mp.jpg', 'one.jpg'),
      imagePart('photo-2mp.jpg', 'two.jpg'),
      imagePart('small.jpg', 'three.jpg'),
    ]);
    const { result, body } = await call(withQuery(event, 'true'), {
      MAX_REQUEST_PIXELS: '3000000',
    });
    expect(result.statusCode).toBe(200);
    const results = body.results as Array<Record<string, { code?: string; detail?: string }>>;
    expect(results[0]?.error).toBeUndefined();
    expect(results[1]?.error).toMatchObject({
      code: 'IMAGE_TOO_MANY_PIXELS',
      status: 413,
      part: 'image[1]',
    });
    expect(results[1]?.error?.detail).toMatch(
      /^image\[1\] \(two\.jpg\) brings the request to \d+ pixels; the limit is 3000000 pixels per request\.$/,
    );
    expect(results[2]?.error).toBeUndefined();
    expect(stub.received).toHaveLength(2);
  });

  it('fails the request when the endpoint fails, not one image: 503 with Retry-After', async () => {
    stub.behaviour = (_request, index) =>
      index === 1
        ? sagemakerError('ServiceUnavailable', 503)
        : predictionsReply([{ label: 'cat', score: 0.9 }]);
    const event = uploadEvent([imagePart('small.jpg'), imagePart('alpha.png')]);
    const { result } = await expectProblem(
      withQuery(event, 'true'),
      { status: 503, code: 'ENDPOINT_UNAVAILABLE', part: 'image[1]' },
      { INVOKE_CONCURRENCY: '1', INVOKE_MAX_ATTEMPTS: '1' },
    );
    expect(result.headers?.['Retry-After']).toBe('2');
  });

  it('still refuses an invalid request as a whole: no image part is 400', async () => {
    const event = withQuery(uploadEvent([{ name: 'note', value: 'hello' }]), 'true');
    await expectProblem(event, { status: 400, code: 'NO_IMAGE', detail: undefined });
  });

  it.each(['false', 'TRUE', '1', ''])(
    'partial=%j is all or nothing: the first bad image fails the request',
    async (value) => {
      modelFailsThird();
      await expectProblem(
        withQuery(mixed(), value),
        {
          status: 415,
          code: 'UNSUPPORTED_IMAGE_FORMAT',
          detail:
            'image[1] (b.pdf) is PDF; allowed formats are JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC/HEIF.',
          part: 'image[1]',
        },
        { MAX_FILES: '5' },
      );
      expect(stub.received).toHaveLength(0);
    },
  );
});
