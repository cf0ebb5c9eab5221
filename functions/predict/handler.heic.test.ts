import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadPhoto } from '../../fixtures/index.ts';
import { handlerHarness } from '../../testing/handler-harness.ts';
import { sentPixels } from '../../testing/sent-input.ts';
import { imagePart, uploadEvent } from '../../testing/upload.ts';

// Phone photos: HEIC (HEVC-coded HEIF) decoded by heic-decode, then prepared like any image.

const { stub, call, expectProblem } = handlerHarness();

/** Mean absolute difference of two equally sized pixel arrays, 0..255. */
function meanDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

describe('HEIC uploads', () => {
  it('classifies a HEIC: its format and size as received, the same tensor as its JPEG within coding noise', async () => {
    const { result, body } = await call(uploadEvent([imagePart('chelsea.heic', 'IMG_0001.HEIC')]));
    expect(result.statusCode).toBe(200);
    const [first] = body.results as Array<Record<string, unknown>>;
    expect(first).toMatchObject({
      filename: 'IMG_0001.HEIC',
      image: { format: 'heic', width: 451, height: 300, orientation: 1 },
      sent: { contentType: 'application/x-npy', encoding: 'npy', width: 224, height: 224 },
      predictions: [{ label: 'cat', score: 0.9 }],
    });
    const heic = await sentPixels(stub.received[0]?.body as Buffer);

    stub.reset();
    const jpeg = {
      name: 'image',
      filename: 'c.jpg',
      contentType: 'image/jpeg',
      bytes: loadPhoto('chelsea.jpg'),
    };
    expect((await call(uploadEvent([jpeg]))).result.statusCode).toBe(200);
    const fromJpeg = await sentPixels(stub.received[0]?.body as Buffer);
    expect([heic.width, heic.height]).toEqual([fromJpeg.width, fromJpeg.height]);
    // HEVC at quality 80 against the JPEG it was made from: a few levels per channel.
    expect(meanDifference(heic.data, fromJpeg.data)).toBeLessThan(4);
  });

  it('refuses a truncated HEIC with 422, before anything reaches the model', async () => {
    await expectProblem(uploadEvent([imagePart('truncated.heic')]), {
      status: 422,
      code: 'IMAGE_UNDECODABLE',
      part: 'image[0]',
      detail: 'image[0] (truncated.heic) cannot be decoded as HEIC/HEIF (corrupt or truncated).',
    });
    expect(stub.received).toEqual([]);
  });

  it('refuses a HEIC over the request pixel budget from its header, before decoding', async () => {
    await expectProblem(
      uploadEvent([imagePart('chelsea.heic')]),
      {
        status: 413,
        code: 'IMAGE_TOO_MANY_PIXELS',
        part: 'image[0]',
        detail:
          'image[0] (chelsea.heic) brings the request to 135300 pixels; the limit is 100000 pixels per request.',
      },
      { MAX_REQUEST_PIXELS: '100000' },
    );
  });

  it('answers 504 when the deadline passed before the HEIC decode', async () => {
    const { result, body } = await call(
      uploadEvent([imagePart('chelsea.heic')]),
      { DEADLINE_MARGIN_MS: '999' },
      1000,
    );
    expect([result.statusCode, body.code, body.part]).toEqual([
      504,
      'ENDPOINT_TIMEOUT',
      'image[0]',
    ]);
    expect(stub.received).toEqual([]);
  });

  it('loads the HEIC decoder only when a HEIC arrives (cold starts do not pay for it)', () => {
    // A fresh process: the handler module and a JPEG, then a HEIC.
    const script = `
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((p) => p.includes('libheif-js'));
      const { normaliseImage } = await import('#predict/image.ts');
      const { configWith } = await import('./testing/predict-handler.ts');
      const { loadImage } = await import('./fixtures/index.ts');
      await import('#predict/handler.ts');
      const options = configWith({}).normalise;
      await normaliseImage(loadImage('small.jpg'), 'a', options);
      const before = loaded();
      await normaliseImage(loadImage('chelsea.heic'), 'b', options);
      console.log(JSON.stringify({ before, after: loaded() }));
    `;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        cwd: new URL('../..', import.meta.url).pathname,
      },
    );
    expect(run.stderr.replace(/.*NodeDeprecationWarning.*\n?|.*AWS SDK.*\n?/g, '')).not.toMatch(
      /Error/,
    );
    expect(JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}')).toEqual({
      before: false,
      after: true,
    });
  });
});
