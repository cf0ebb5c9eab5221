/**
 * Image to tensor: layouts, channel orders, scales, and what sharp must do
 * first (orientation, alpha, resize only when needed), plus the refusals.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvocationError } from './errors.ts';
import { parseClassifierConfig } from './model-config.ts';
import { fillTensor, MAX_INPUT_PIXELS, pixelTables, prepareImage } from './preprocess.ts';
import { rgbPixels } from './test/images.ts';

function spec(input: Record<string, unknown>) {
  return parseClassifierConfig(
    { name: 't', model: 'm.onnx', labels: ['a'], input: { width: 2, height: 1, ...input } },
    '/t/classifier.json',
  ).input;
}

// Two pixels: pure red, then (0, 51, 255).
const TWO_PIXELS = Uint8Array.of(255, 0, 0, 0, 51, 255);

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
    const out = fillTensor(TWO_PIXELS, s, pixelTables(s), new Float32Array(6));
    expect([...out].map((v) => Number(v.toFixed(6)))).toEqual(expected);
  });
});

describe('prepareImage', () => {
  const s224 = spec({ width: 224, height: 224 });
  const tables = pixelTables(s224);

  async function tensorOf(bytes: Buffer, input = s224) {
    const out = new Float32Array(input.width * input.height * 3);
    await prepareImage(bytes, 'The body', input, pixelTables(input), out);
    return out;
  }

  it('uses the pixels as they are when the image already has the input size', async () => {
    const pixels = rgbPixels(224, 224, (x, y) => [x, y, (x * y) % 256]);
    const png = await sharp(pixels, { raw: { width: 224, height: 224, channels: 3 } })
      .png()
      .toBuffer();
    const expected = fillTensor(pixels, s224, tables, new Float32Array(224 * 224 * 3));
    expect(await tensorOf(png)).toEqual(expected);
  });

  it('applies EXIF orientation before resizing', async () => {
    const pixels = rgbPixels(40, 20, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
    const raw = { raw: { width: 40, height: 20, channels: 3 as const } };
    const tagged = await sharp(pixels, raw).withMetadata({ orientation: 6 }).png().toBuffer();
    const rotated = await sharp(pixels, raw).rotate(90).png().toBuffer();
    const square = spec({ width: 20, height: 40 });
    expect(await tensorOf(tagged, square)).toEqual(await tensorOf(rotated, square));
  });

  it('flattens transparency onto white', async () => {
    const clear = await sharp({
      create: { width: 224, height: 224, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    expect(new Set(await tensorOf(clear))).toEqual(new Set([1]));
  });

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
      message: 'The body is svg; send jpeg, png, webp, gif, avif, tiff.',
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
