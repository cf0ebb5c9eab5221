import { describe, expect, it } from 'vitest';
import { LAMBDA_MAX_EVENT_BYTES as MAX_EVENT_BYTES } from '../shared/aws-facts.ts';
import { ALLOWED_IMAGE_FORMATS, IMAGE_FIELD } from '../shared/contract.ts';
import { DEFAULTS } from '../shared/predict-env.ts';
import * as limits from './limits.js';
import {
  allowances,
  classifyFile,
  describeError,
  describeImageProblem,
  describeNetworkFailure,
  downscaleTarget,
  formatBytes,
  formatScore,
  partIndex,
  predictUrl,
  smallerSize,
} from './plan.js';

describe('the page limits are the gateway limits', () => {
  it('field name, files, bytes and pixels match the handler defaults', () => {
    expect(limits.IMAGE_FIELD).toBe(IMAGE_FIELD);
    expect(limits.MAX_FILES).toBe(DEFAULTS.maxFiles);
    expect(limits.MAX_FILE_BYTES).toBe(DEFAULTS.maxFileBytes);
    expect(limits.MAX_INPUT_PIXELS).toBe(DEFAULTS.maxInputPixels);
  });

  it('accepts exactly the formats the gateway accepts', () => {
    expect(Object.keys(limits.ACCEPTED_TYPES).map((type) => type.replace('image/', ''))).toEqual([
      ...ALLOWED_IMAGE_FORMATS,
    ]);
  });

  it('a body of the whole budget, base64 in an event with 16 KB of headers and context, fits the 6 MB event limit', () => {
    const base64 = Math.ceil(limits.REQUEST_BODY_BUDGET_BYTES / 3) * 4;
    expect(base64 + 16 * 1024).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    // ...and the budget is not needlessly small: 8% more would not fit.
    expect(Math.ceil((limits.REQUEST_BODY_BUDGET_BYTES * 1.08) / 3) * 4).toBeGreaterThan(
      MAX_EVENT_BYTES,
    );
  });
});

describe('classifyFile', () => {
  const file = (name: string, type: string, size = 1000) => ({ name, type, size });

  it('accepts the seven formats by declared type', () => {
    for (const [type, name] of [
      ['image/jpeg', 'JPEG'],
      ['image/png', 'PNG'],
      ['image/webp', 'WebP'],
      ['image/gif', 'GIF'],
      ['image/avif', 'AVIF'],
      ['image/tiff', 'TIFF'],
      ['image/heic', 'HEIC'],
    ] as const) {
      expect(classifyFile(file('x', type))).toEqual({ accepted: true, type, typeName: name });
    }
  });

  it('falls back to the extension only when no type is declared', () => {
    expect(classifyFile(file('a.JPG', ''))).toMatchObject({ accepted: true, type: 'image/jpeg' });
    expect(classifyFile(file('a.tif', 'application/octet-stream'))).toMatchObject({
      accepted: true,
      type: 'image/tiff',
    });
    expect(classifyFile(file('a.jpg', 'text/plain'))).toEqual({
      accepted: false,
      reason:
        'a.jpg is not an image the gateway accepts (type text/plain). Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC.',
    });
  });

  it('accepts HEIC (issue 17) by type, its HEIF alias and extension', () => {
    const heic = { accepted: true, type: 'image/heic', typeName: 'HEIC' };
    expect(classifyFile(file('IMG_1.HEIC', ''))).toEqual(heic);
    expect(classifyFile(file('x', 'image/heif'))).toEqual(heic);
    expect(classifyFile(file('x.heif', 'application/octet-stream'))).toEqual(heic);
  });

  it('refuses PDFs, unknown files and empty files', () => {
    expect(classifyFile(file('doc.pdf', 'application/pdf'))).toEqual({
      accepted: false,
      reason:
        'doc.pdf is not an image the gateway accepts (type application/pdf). Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC.',
    });
    expect(classifyFile(file('blob', ''))).toEqual({
      accepted: false,
      reason:
        'blob is not an image the gateway accepts (no declared type). Accepted: JPEG, PNG, WebP, GIF, AVIF, TIFF, HEIC.',
    });
    expect(classifyFile(file('a.png', 'image/png', 0))).toEqual({
      accepted: false,
      reason: 'a.png is empty (0 bytes).',
    });
  });
});

describe('allowances', () => {
  const budget = limits.REQUEST_BODY_BUDGET_BYTES;
  const overhead = limits.PART_OVERHEAD_BYTES;

  it('gives one file the whole budget less its framing', () => {
    expect(allowances([10])).toEqual([budget - overhead]);
  });

  it('never more than MAX_FILE_BYTES per file', () => {
    expect(allowances([1], 20_000_000)).toEqual([limits.MAX_FILE_BYTES]);
  });

  it('leaves small files alone and shares the rest among the large ones', () => {
    const [small, large1, large2] = allowances([100_000, 3_000_000, 3_000_000]);
    const share = Math.floor((budget - 3 * overhead) / 3);
    expect(small).toBe(share);
    const rest = Math.floor((budget - 3 * overhead - 100_000) / 2);
    expect(large1).toBe(rest);
    expect(large2).toBe(Math.floor((budget - 3 * overhead - 100_000 - rest) / 1));
  });

  it('whatever the sizes, the kept files and the allowances fit the budget together', () => {
    for (const sizes of [
      [5e6, 5e6, 5e6, 5e6, 5e6, 5e6, 5e6, 5e6],
      [1, 2, 3],
      [4_399_000],
      [2e6, 2e6, 1e3],
    ]) {
      const shares = allowances(sizes);
      const total = sizes.reduce((sum, size, i) => sum + Math.min(size, shares[i] ?? 0), 0);
      expect(total + sizes.length * overhead).toBeLessThanOrEqual(budget);
    }
  });
});

describe('downscaleTarget', () => {
  it('sends an image that fits as it is, however large its frame', () => {
    expect(downscaleTarget({ width: 6000, height: 4000, bytes: 4000 }, 4000)).toBeNull();
    expect(downscaleTarget({ width: 8000, height: 5000, bytes: 1 }, 4000)).toBeNull();
  });

  it('one byte over the allowance: re-encoded at the same size', () => {
    expect(downscaleTarget({ width: 1000, height: 800, bytes: 4001 }, 4000)).toEqual({
      width: 1000,
      height: 800,
      reason: '4.0 KB is over the 4.0 KB one upload allows',
    });
  });

  it('one pixel over the gateway limit: scaled to fit within it', () => {
    const target = downscaleTarget({ width: 8001, height: 5000, bytes: 1 }, 4000);
    expect(target?.reason).toBe("40.0 MP is over the gateway's 40 MP limit");
    expect((target?.width ?? 0) * (target?.height ?? 0)).toBeLessThanOrEqual(
      limits.MAX_INPUT_PIXELS,
    );
    expect(target?.width).toBe(8000);
  });

  it('a 45 MP image names the pixel limit and ends within it', () => {
    const target = downscaleTarget({ width: 9000, height: 5000, bytes: 50_000 }, 4_000_000);
    const scale = Math.sqrt(40_000_000 / 45_000_000);
    expect(target).toEqual({
      width: Math.round(9000 * scale),
      height: Math.round(5000 * scale),
      reason: "45.0 MP is over the gateway's 40 MP limit",
    });
  });
});

describe('smallerSize', () => {
  it('aims the pixel count at the allowance and shrinks at least 10%', () => {
    expect(smallerSize({ width: 1000, height: 500 }, 4_000_000, 1_000_000)).toEqual({
      width: Math.round(1000 * Math.sqrt(0.225)),
      height: Math.round(500 * Math.sqrt(0.225)),
    });
    expect(smallerSize({ width: 1000, height: 500 }, 1_000_001, 1_000_000)).toEqual({
      width: 900,
      height: 450,
    });
  });

  it('gives up below 16 pixels', () => {
    expect(smallerSize({ width: 17, height: 17 }, 2000, 1000)).toBeNull();
  });
});

describe('describeError', () => {
  const answer = (status: number, body: unknown, extra: Record<string, string | null> = {}) => ({
    status,
    contentType: typeof body === 'string' ? 'text/plain' : 'application/problem+json',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    retryAfter: null,
    requestId: null,
    stage: 'dev',
    ...extra,
  });

  it('a wrong key: the title, the detail and where to look', () => {
    expect(
      describeError(
        answer(403, {
          title: 'Missing or invalid API key',
          status: 403,
          detail: 'Forbidden',
          code: 'INVALID_API_KEY',
          requestId: 'r-1',
        }),
      ),
    ).toEqual({
      status: 403,
      title: 'Missing or invalid API key',
      detail: 'Forbidden',
      hint: 'Check the API key: it is missing, wrong, or not in a usage plan of stage “dev”.',
      code: 'INVALID_API_KEY',
      requestId: 'r-1',
      partIndex: null,
    });
  });

  it('429 says when to try again, from Retry-After', () => {
    const throttled = describeError(
      answer(429, { title: 'Too many requests', code: 'THROTTLED' }, { retryAfter: '1' }),
    );
    expect(throttled.hint).toBe(
      'Requests are coming faster than this key or stage allows. Try again in 1 second.',
    );
    expect(describeError(answer(429, { code: 'X' }, { retryAfter: '30' })).hint).toBe(
      'Try again in 30 seconds.',
    );
    expect(describeError(answer(429, { code: 'X' })).hint).toBe('Try again in a moment.');
  });

  it('names the part at fault and gives format advice for 415', () => {
    const view = describeError(
      answer(415, {
        title: 'Unsupported image format',
        detail: 'image[1] is HEIC/HEIF',
        code: 'UNSUPPORTED_IMAGE_FORMAT',
        part: 'image[1]',
      }),
    );
    expect(view.partIndex).toBe(1);
    expect(view.hint).toBe('Send JPEG, PNG, WebP, GIF, AVIF, TIFF or HEIC.');
  });

  it("API Gateway's own bodies: {message} JSON and plain text, with the request id header", () => {
    expect(
      describeError({
        ...answer(413, 'HTTP content length exceeded 10485760 bytes.'),
        requestId: 'h-1',
      }),
    ).toMatchObject({
      title: 'Too large',
      detail: 'HTTP content length exceeded 10485760 bytes.',
      hint: 'Send a smaller image, or fewer images at once.',
      code: null,
      requestId: 'h-1',
    });
    expect(
      describeError({
        ...answer(502, ''),
        contentType: 'application/json',
        body: '{"message": "Internal server error"}',
      }),
    ).toMatchObject({ title: 'Bad gateway', detail: 'Internal server error' });
    expect(
      describeError({ ...answer(500, ''), contentType: 'application/json', body: '{' }),
    ).toEqual(expect.objectContaining({ title: 'Gateway error', detail: '{' }));
  });

  it('5xx blames the server, not the image', () => {
    expect(describeError(answer(502, { code: 'MODEL_ERROR' })).hint).toMatch(
      /^The gateway or the model failed; this is not your image\./,
    );
    expect(describeError(answer(504, { code: 'ENDPOINT_TIMEOUT' })).hint).toBe(
      'The model did not answer in time. Try again, or with fewer images at once.',
    );
  });
});

describe('small helpers', () => {
  it('partIndex reads image[n] only', () => {
    expect(partIndex('image[0]')).toBe(0);
    expect(partIndex('image[12]')).toBe(12);
    expect(partIndex('other[1]')).toBeNull();
    expect(partIndex(undefined)).toBeNull();
  });

  it('predictUrl joins base and stage once', () => {
    expect(predictUrl('http://127.0.0.1:3000', 'dev')).toBe('http://127.0.0.1:3000/dev/predict');
    expect(predictUrl('https://x.execute-api.eu-west-1.amazonaws.com/prod/', 'prod')).toBe(
      'https://x.execute-api.eu-west-1.amazonaws.com/prod/predict',
    );
    expect(predictUrl(' http://h/ ', ' /dev/ ')).toBe('http://h/dev/predict');
    expect(predictUrl('http://h', 'dev', { partial: true })).toBe(
      'http://h/dev/predict?partial=true',
    );
    expect(predictUrl('https://x/prod/', 'prod', { partial: true })).toBe(
      'https://x/prod/predict?partial=true',
    );
  });

  it('describeImageProblem words one image of a partial answer', () => {
    expect(
      describeImageProblem(
        {
          type: 'urn:image-inference-gateway:error:IMAGE_UNDECODABLE',
          title: 'Image cannot be decoded',
          status: 422,
          detail: 'image[1] (c.jpg) cannot be decoded as JPEG (corrupt or truncated).',
          code: 'IMAGE_UNDECODABLE',
        },
        'dev',
      ),
    ).toEqual({
      title: 'Image cannot be decoded',
      detail: 'image[1] (c.jpg) cannot be decoded as JPEG (corrupt or truncated).',
      hint: 'The file is corrupt or truncated: export the image again.',
      code: 'IMAGE_UNDECODABLE',
    });
  });

  it('formats bytes and scores as the page shows them', () => {
    expect([999, 1000, 9999, 605_106, 4_400_000].map(formatBytes)).toEqual([
      '999 B',
      '1.0 KB',
      '10.0 KB',
      '605 KB',
      '4.4 MB',
    ]);
    expect(formatScore(0.87654)).toBe('87.7%');
  });

  it('a network failure suggests CORS only across origins', () => {
    expect(
      describeNetworkFailure('http://127.0.0.1:3000/dev/predict', 'http://127.0.0.1:3000'),
    ).toBe('No answer from http://127.0.0.1:3000/dev/predict: is the gateway running?');
    expect(describeNetworkFailure('https://api.example/dev/predict', 'http://127.0.0.1:3000')).toBe(
      "No answer from https://api.example/dev/predict: check the URL, and that the API's CORS allows this page's origin (http://127.0.0.1:3000).",
    );
    expect(describeNetworkFailure('nope', 'http://x')).toBe('“nope” is not a valid URL.');
  });
});
