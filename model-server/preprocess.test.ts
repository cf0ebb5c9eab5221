/**
 * Image to tensor: the model input profile's fits and kernels (checked
 * against TensorFlow.js where it has the kernel), what decoding must do
 * first (orientation, alpha onto the background), layouts, channel orders,
 * scales, and the refusals.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeRgb, prepareInput } from '#shared/model-input/prepare.ts';
import { RESAMPLE_KERNELS } from '#shared/model-input/profile.ts';
import { InvocationError } from './errors.ts';
import { INPUT_RESIZES, type InputSpec, parseClassifierConfig } from './model-config.ts';
import { channelAffine, fillTensor, MAX_INPUT_PIXELS, prepareImage } from './preprocess.ts';
import { noiseBytes, rgbPixels } from './test/images.ts';
import { tf } from './test/tfjs.ts';

function spec(input: Record<string, unknown>) {
  return parseClassifierConfig(
    { name: 't', model: 'm.onnx', labels: ['a'], input: { width: 2, height: 1, ...input } },
    '/t/classifier.json',
  ).input;
}

function rawPng(pixels: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return max;
}

// Two pixels: pure red, then (0, 51, 255); the second's green is fractional
// in the 1.5 case, as resampled pixels are.
const TWO_PIXELS = Float32Array.of(255, 0, 0, 0, 51, 255);

describe('fillTensor', () => {
  it.each([
    { input: {}, expected: [1, 0, 0, 0, 0.2, 1] },
    { input: { layout: 'NCHW' }, expected: [1, 0, 0, 0.2, 0, 1] },
    { input: { channelOrder: 'BGR' }, expected: [0, 0, 1, 1, 0.2, 0] },
    { input: { pixelScale: '-1..1' }, expected: [1, -1, -1, -1, -0.6, 1] },
    { input: { pixelScale: '0..255', mean: [255, 0, 0] }, expected: [0, 0, 0, -255, 51, 255] },
    {
      input: { layout: 'NCHW', mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 2] },
      expected: [1, -1, -2, -1.2, -0.25, 0.25],
    },
  ])('writes $input', ({ input, expected }) => {
    const s = spec(input);
    const out = fillTensor(TWO_PIXELS, s, channelAffine(s), new Float32Array(6));
    expect([...out].map((v) => Number(v.toFixed(6)))).toEqual(expected);
  });

  it('maps fractional pixel values on the same line as whole ones', () => {
    const s = spec({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    const out = fillTensor(
      Float32Array.of(127.5, 0.25, 254.75, 0, 0, 0),
      s,
      channelAffine(s),
      new Float32Array(6),
    );
    const expected = [
      (127.5 / 255 - 0.485) / 0.229,
      (0.25 / 255 - 0.456) / 0.224,
      (254.75 / 255 - 0.406) / 0.225,
    ];
    expect(maxDiff(out.subarray(0, 3), expected)).toBeLessThan(1e-6);
  });
});

/** 30 x 20 noise: every pixel differs from its neighbours, so any tap or geometry error shows. */
const NOISE_WIDTH = 30;
const NOISE_HEIGHT = 20;
const noise = noiseBytes(NOISE_WIDTH * NOISE_HEIGHT * 3, 11);

/**
 * The expected 10 x 10 input from TensorFlow.js's resizeBilinear on the
 * pixels / 255, with each fit's geometry written out for a 30 x 20 image:
 * `fill` stretches; `cover` scales to 15 x 10 and keeps columns 2..11;
 * `contain` scales to 10 x 6 and pads two rows above and below.
 */
function tfReference(fit: InputSpec['resize'], alignCorners: boolean, background: number) {
  return tf.tidy(() => {
    const image = tf.tensor3d(noise, [NOISE_HEIGHT, NOISE_WIDTH, 3], 'float32').div(255);
    const resize = (height: number, width: number) =>
      tf.image.resizeBilinear(image as tf.Tensor3D, [height, width], alignCorners, !alignCorners);
    if (fit === 'fill') return resize(10, 10).dataSync();
    if (fit === 'cover') return resize(10, 15).slice([0, 2, 0], [10, 10, 3]).dataSync();
    return resize(6, 10)
      .pad(
        [
          [2, 2],
          [0, 0],
          [0, 0],
        ],
        background,
      )
      .dataSync();
  });
}

describe('prepareImage', () => {
  const s224 = spec({ width: 224, height: 224 });
  const affine = channelAffine(s224);

  async function tensorOf(bytes: Buffer, input = s224) {
    const out = new Float32Array(input.width * input.height * 3);
    await prepareImage(bytes, 'The body', input, channelAffine(input), out);
    return out;
  }

  it.each(
    INPUT_RESIZES.flatMap((resize) =>
      (['bilinear-align-corners', 'bilinear'] as const).map((resample) => ({ resize, resample })),
    ),
  )(
    'resizes with fit $resize and kernel $resample as TensorFlow.js does',
    async ({ resize, resample }) => {
      const input = spec({ width: 10, height: 10, resize, resample, background: '#000000' });
      const ours = await tensorOf(await rawPng(noise, NOISE_WIDTH, NOISE_HEIGHT), input);
      const reference = tfReference(resize, resample === 'bilinear-align-corners', 0);
      expect(maxDiff(ours, reference)).toBeLessThan(1e-6);
    },
  );

  it.each(
    INPUT_RESIZES.flatMap((resize) =>
      RESAMPLE_KERNELS.map((resample) => ({ resize, resample, cropFraction: 0.875 })),
    ),
  )(
    'gives fit $resize with kernel $resample what the gateway computes (shared decodeRgb + prepareInput)',
    async ({ resize, resample, cropFraction }) => {
      const input = spec({
        width: 12,
        height: 9,
        resize,
        resample,
        cropFraction,
        background: '#336699',
      });
      const png = await rawPng(noise, NOISE_WIDTH, NOISE_HEIGHT);
      const prepared = prepareInput(await decodeRgb(sharp(png), input.background), input);
      const expected = fillTensor(
        prepared.pixels,
        input,
        channelAffine(input),
        new Float32Array(12 * 9 * 3),
      );
      expect(await tensorOf(png, input)).toEqual(expected);
    },
  );

  it("downscales with Pillow's triangle filter for bilinear-antialias", async () => {
    // A ramp 0, 8, ..., 56 halved: Pillow's BILINEAR weighs 4 source pixels
    // 1/8, 3/8, 3/8, 1/8, renormalised where the filter leaves the image.
    const ramp = rgbPixels(8, 1, (x) => [x * 8, 0, 255]);
    const input = spec({
      width: 4,
      height: 1,
      resample: 'bilinear-antialias',
      pixelScale: '0..255',
    });
    const out = await tensorOf(await rawPng(ramp, 8, 1), input);
    const red = [out[0], out[3], out[6], out[9]] as number[];
    expect(maxDiff(red, [10 / 1.75, 20, 36, 88 / 1.75])).toBeLessThan(1e-4);
  });

  it('keeps the centre with fit "cover", at any crop fraction', async () => {
    // Thirds: red, green, blue; covering a square keeps the green middle.
    const thirds = rgbPixels(30, 10, (x) =>
      x < 10 ? [255, 0, 0] : x < 20 ? [0, 255, 0] : [0, 0, 255],
    );
    for (const cropFraction of [1, 0.5]) {
      const input = spec({ width: 10, height: 10, resize: 'cover', cropFraction });
      const out = await tensorOf(await rawPng(thirds, 30, 10), input);
      expect(new Set(out.filter((_, i) => i % 3 === 1))).toEqual(new Set([1]));
      expect(new Set(out.filter((_, i) => i % 3 !== 1))).toEqual(new Set([0]));
    }
  });

  it('pads with the profile background for fit "contain"', async () => {
    const red = await sharp({
      create: { width: 20, height: 10, channels: 3, background: '#ff0000' },
    })
      .png()
      .toBuffer();
    const input = spec({ width: 10, height: 10, resize: 'contain', background: '#0000ff' });
    const out = await tensorOf(red, input);
    // Scaled to 10 x 5, placed from row 2 (rows 0, 1 and 7 to 9 are padding).
    const rows = Array.from({ length: 10 }, (_, y) => [...out.subarray(y * 30, y * 30 + 3)]);
    expect(rows).toEqual([
      [0, 0, 1],
      [0, 0, 1],
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 1],
      [0, 0, 1],
      [0, 0, 1],
    ]);
  });

  it('uses the pixels as they are when the image already has the input size', async () => {
    const pixels = rgbPixels(224, 224, (x, y) => [x, y, (x * y) % 256]);
    const png = await rawPng(pixels, 224, 224);
    const expected = fillTensor(
      Float32Array.from(pixels),
      s224,
      affine,
      new Float32Array(224 * 224 * 3),
    );
    for (const resample of RESAMPLE_KERNELS) {
      expect(await tensorOf(png, { ...s224, resample })).toEqual(expected);
    }
  });

  it('applies EXIF orientation before resizing', async () => {
    const pixels = rgbPixels(40, 20, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
    const raw = { raw: { width: 40, height: 20, channels: 3 as const } };
    const tagged = await sharp(pixels, raw).withMetadata({ orientation: 6 }).png().toBuffer();
    const rotated = await sharp(pixels, raw).rotate(90).png().toBuffer();
    const square = spec({ width: 20, height: 40 });
    expect(await tensorOf(tagged, square)).toEqual(await tensorOf(rotated, square));
  });

  it.each([
    { background: undefined, expected: [1, 1, 1] },
    { background: '#336699', expected: [0.2, 0.4, 0.6] },
  ])(
    'flattens transparency onto the background ($background)',
    async ({ background, expected }) => {
      const clear = await sharp({
        create: {
          width: 224,
          height: 224,
          channels: 4,
          background: { r: 0, g: 0, b: 0, alpha: 0 },
        },
      })
        .png()
        .toBuffer();
      const input = background === undefined ? s224 : { ...s224, background };
      const out = await tensorOf(clear, input);
      expect([0, 1, 2].map((c) => new Set(out.filter((_, i) => i % 3 === c)))).toEqual(
        expected.map((v) => new Set([Math.fround(v)])),
      );
    },
  );

  it('stretches to the input size with fit "fill"', async () => {
    const wide = await sharp({
      create: { width: 448, height: 100, channels: 3, background: '#ff0000' },
    })
      .png()
      .toBuffer();
    const out = await tensorOf(wide);
    expect([out[0], out[1], out[2], out.length]).toEqual([1, 0, 0, 224 * 224 * 3]);
  });

  it.each([
    {
      what: 'bytes that are no image',
      bytes: () => Promise.resolve(Buffer.from('hello')),
      problem: 'badInput',
      message: 'The body is not an image that can be decoded.',
    },
    {
      what: 'a truncated image',
      bytes: async () => {
        const jpeg = await sharp({
          create: { width: 300, height: 300, channels: 3, background: '#123456' },
        })
          .jpeg()
          .toBuffer();
        return jpeg.subarray(0, Math.floor(jpeg.length / 2));
      },
      problem: 'badInput',
      message: 'The body cannot be decoded (corrupt or truncated).',
    },
    {
      what: 'an SVG',
      bytes: () =>
        Promise.resolve(
          Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'),
        ),
      problem: 'unsupported',
      message: 'The body is svg; send jpeg, png, webp, gif, avif, tiff, heic.',
    },
    {
      what: 'an image with too many pixels',
      bytes: async () => {
        // A tiny JPEG whose frame header claims 8000 x 6000 pixels.
        const jpeg = Buffer.from(
          await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
            .jpeg()
            .toBuffer(),
        );
        const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
        jpeg.writeUInt16BE(6000, sof + 5);
        jpeg.writeUInt16BE(8000, sof + 7);
        return jpeg;
      },
      problem: 'tooLarge',
      message: `The body has 8000 x 6000 pixels, more than the limit of ${MAX_INPUT_PIXELS}.`,
    },
  ])('refuses $what', async ({ bytes, problem, message }) => {
    const error = await tensorOf(await bytes()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationError);
    expect([(error as InvocationError).problem, (error as InvocationError).message]).toEqual([
      problem,
      message,
    ]);
  });
});
