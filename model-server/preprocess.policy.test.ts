/**
 * The gateway's decoding policy and pixel limits, applied by the model
 * server's prepareImage to the same table (fixtures/damaged.ts): "decoded"
 * means the very tensor of the complete file; "undecodable" its 400
 * badInput. And one identification: what the gateway calls AVIF is served.
 */
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PIXEL_LIMITS } from '#shared/image-decode/pixel-limits.ts';
import {
  buildSpecimens,
  DAMAGES,
  damaged,
  extraCases,
  SPECIMENS,
  type SpecimenName,
} from '../fixtures/damaged.ts';
import { loadImage } from '../fixtures/index.ts';
import { InvocationError } from './errors.ts';
import { parseClassifierConfig } from './model-config.ts';
import { channelAffine, prepareImage } from './preprocess.ts';

const spec = parseClassifierConfig(
  { name: 't', model: 'm.onnx', labels: ['a'], input: { width: 16, height: 16 } },
  '/t/classifier.json',
).input;
const affine = channelAffine(spec);

async function tensorOf(bytes: Buffer, limits = DEFAULT_PIXEL_LIMITS): Promise<Float32Array> {
  const out = new Float32Array(16 * 16 * 3);
  await prepareImage(bytes, 'The body', spec, affine, out, limits);
  return out;
}

async function problemOf(bytes: Buffer, limits = DEFAULT_PIXEL_LIMITS) {
  const error = await tensorOf(bytes, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvocationError);
  return { problem: (error as InvocationError).problem, message: (error as Error).message };
}

const EXTRA_CASES = await extraCases();

let specimens: Record<SpecimenName, Buffer>;
const complete = new Map<SpecimenName, Float32Array>();

beforeAll(async () => {
  specimens = await buildSpecimens();
  for (const name of SPECIMENS) complete.set(name, await tensorOf(specimens[name]));
});

const table = SPECIMENS.flatMap((specimen) => DAMAGES.map((damage) => ({ specimen, damage })));

describe('the decoding policy, format x damage (prepareImage)', () => {
  it.each(table)('$specimen, $damage', async ({ specimen, damage }) => {
    const cell = damaged(specimen, specimens[specimen], damage);
    if ('notApplicable' in cell) return;
    if (cell.verdict === 'decoded') {
      expect(await tensorOf(cell.bytes)).toEqual(complete.get(specimen));
    } else {
      // Cut before the header ends (WebP, GIF: the decoder checks the whole
      // file while reading it), or in the pixels: bad input either way.
      expect(await problemOf(cell.bytes)).toEqual({
        problem: 'badInput',
        message: expect.stringMatching(
          /^The body (cannot be decoded \(corrupt or truncated\)|is not an image that can be decoded)\.$/,
        ),
      });
    }
  });

  it.each(EXTRA_CASES)('$what: $verdict', async ({ bytes, verdict }) => {
    if (verdict === 'decoded') await expect(tensorOf(bytes)).resolves.toBeDefined();
    else expect((await problemOf(bytes)).problem).toBe('badInput');
  });
});

describe('one identification of formats', () => {
  it('serves the AVIF the gateway accepts (sharp calls it heif)', async () => {
    expect((await sharp(loadImage('image.avif')).metadata()).format).toBe('heif');
    await expect(tensorOf(loadImage('image.avif'))).resolves.toBeDefined();
  });

  it('does not take HEIC, which sharp also calls heif, for AVIF', async () => {
    expect(await problemOf(loadImage('heic.heic'))).toMatchObject({ problem: 'badInput' });
  });
});

describe('the pixel limits, on both sides of the line (64x48 = 3072 pixels)', () => {
  const at = (key: keyof typeof DEFAULT_PIXEL_LIMITS, value: number) => ({
    ...DEFAULT_PIXEL_LIMITS,
    [key]: value,
  });
  it.each([
    { key: 'maxInputPixels', file: 'small.jpg', scope: '' },
    { key: 'maxAvifPixels', file: 'image.avif', scope: ' for AVIF' },
    { key: 'maxWebpPixels', file: 'image.webp', scope: ' for WebP' },
    { key: 'maxInterlacedPixels', file: 'progressive.jpg', scope: ' for progressive JPEG' },
  ] as const)('$key', async ({ key, file, scope }) => {
    await expect(tensorOf(loadImage(file), at(key, 3072))).resolves.toBeDefined();
    expect(await problemOf(loadImage(file), at(key, 3071))).toEqual({
      problem: 'tooLarge',
      message: `The body has 64 x 48 pixels, more than the limit of 3071${scope}.`,
    });
  });

  it('maxGifPixels (48x32 = 1536 pixels)', async () => {
    const gif = loadImage('animated.gif');
    await expect(tensorOf(gif, at('maxGifPixels', 1536))).resolves.toBeDefined();
    expect(await problemOf(gif, at('maxGifPixels', 1535))).toEqual({
      problem: 'tooLarge',
      message: 'The body has 48 x 32 pixels, more than the limit of 1535 for GIF.',
    });
  });

  it('maxInputSidePx', async () => {
    await expect(tensorOf(loadImage('small.jpg'), at('maxInputSidePx', 64))).resolves.toBeDefined();
    expect(await problemOf(loadImage('small.jpg'), at('maxInputSidePx', 63))).toEqual({
      problem: 'tooLarge',
      message: 'The body has 64 x 48 pixels, a side longer than the limit of 63 pixels.',
    });
  });
});
