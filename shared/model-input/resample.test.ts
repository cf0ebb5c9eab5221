import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { planResize } from './geometry.ts';
import { type RgbImage, resampleRgb } from './resample.ts';

tf.enableProdMode();

/** Seeded noise: every pixel differs from its neighbours, so any tap error shows. */
function noise(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1_103_515_245 + 12_345) & 0x7fffffff;
    data[i] = (state >> 16) & 255;
  }
  return { data, width, height };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

const SIZES = [
  { what: 'a large photo down to 224', from: [640, 427], to: [224, 224] },
  { what: 'a tiny image up to 224', from: [37, 23], to: [224, 224] },
  { what: 'a strip to a small box', from: [1000, 3], to: [7, 5] },
  { what: 'one pixel wide', from: [1, 9], to: [4, 4] },
  { what: 'a very tall strip', from: [1, 100_000], to: [3, 224] },
] as const;

describe('resampleRgb against TensorFlow.js', () => {
  it.each(SIZES)('bilinear-align-corners: $what, exactly', ({ from, to }) => {
    const image = noise(from[0], from[1], from[0] * 7 + from[1]);
    const ours = resampleRgb(image, to[0], to[1], 'bilinear-align-corners');
    const reference = tf.tidy(() =>
      tf.image
        .resizeBilinear(
          tf.tensor3d(image.data, [from[1], from[0], 3], 'float32'),
          [to[1], to[0]],
          true,
        )
        .dataSync(),
    );
    expect(maxDiff(ours, reference)).toBeLessThan(1e-3);
  });

  it.each(SIZES)('bilinear (half-pixel centres): $what, exactly', ({ from, to }) => {
    const image = noise(from[0], from[1], from[0] * 3 + from[1]);
    const ours = resampleRgb(image, to[0], to[1], 'bilinear');
    const reference = tf.tidy(() =>
      tf.image
        .resizeBilinear(
          tf.tensor3d(image.data, [from[1], from[0], 3], 'float32'),
          [to[1], to[0]],
          false,
          true,
        )
        .dataSync(),
    );
    expect(maxDiff(ours, reference)).toBeLessThan(1e-3);
  });
});

describe('resampleRgb, bilinear-antialias (Pillow BILINEAR)', () => {
  it('averages a 2:1 reduction with the widened triangle (weights 1/8, 3/8, 3/8, 1/8)', () => {
    // One row of 8 pixels, grey values 0, 8, 16, ...; output pixel 1 covers
    // source centre 3: taps at 1..4 (edges clamp the first output).
    const data = new Uint8Array(8 * 3);
    for (let x = 0; x < 8; x++) data.fill(x * 8, x * 3, x * 3 + 3);
    const out = resampleRgb({ data, width: 8, height: 1 }, 4, 1, 'bilinear-antialias');
    expect(out[3]).toBeCloseTo((8 * 1 + 16 * 3 + 24 * 3 + 32 * 1) / 8, 5);
    // The first output pixel's window is cut at the edge and renormalised.
    expect(out[0]).toBeCloseTo((0 * 3 + 8 * 3 + 16 * 1) / 7, 5);
  });

  it('keeps a flat image flat at any scale (weights sum to 1)', () => {
    const flat = { data: new Uint8Array(301 * 199 * 3).fill(77), width: 301, height: 199 };
    for (const [w, h] of [
      [224, 224],
      [17, 5],
      [640, 480],
    ] as const) {
      const out = resampleRgb(flat, w, h, 'bilinear-antialias');
      expect(maxDiff(out, new Float32Array(out.length).fill(77))).toBeLessThan(1e-4);
    }
  });
});

describe('resampleRgb windows and identity', () => {
  it('copies pixels as they are when the size does not change, whatever the kernel', () => {
    const image = noise(16, 9, 5);
    for (const kernel of ['bilinear-align-corners', 'bilinear', 'bilinear-antialias'] as const) {
      expect([...resampleRgb(image, 16, 9, kernel)]).toEqual([...image.data]);
    }
  });

  it('computes a window equal to the same part of the whole scaled image', () => {
    const image = noise(500, 375, 9);
    const whole = resampleRgb(image, 341, 256, 'bilinear-antialias');
    const window = resampleRgb(image, 341, 256, 'bilinear-antialias', {
      left: 58,
      top: 16,
      width: 224,
      height: 224,
    });
    const expected = new Float32Array(224 * 224 * 3);
    for (let y = 0; y < 224; y++) {
      expected.set(
        whole.subarray(((16 + y) * 341 + 58) * 3, ((16 + y) * 341 + 58 + 224) * 3),
        y * 224 * 3,
      );
    }
    expect(maxDiff(window, expected)).toBe(0);
  });
});

describe('planResize', () => {
  const box = { width: 224, height: 224, cropFraction: 1 };
  it.each([
    {
      what: 'fill stretches the whole frame',
      size: [640, 427],
      profile: { ...box, resize: 'fill' },
      plan: { scaled: [224, 224], window: [0, 0, 224, 224], out: [224, 224], offset: [0, 0] },
    },
    {
      what: "cover with crop fraction 0.875 is torchvision's Resize(256) + CenterCrop(224)",
      size: [500, 375],
      profile: { ...box, resize: 'cover', cropFraction: 0.875 },
      plan: { scaled: [341, 256], window: [58, 16, 224, 224], out: [224, 224], offset: [0, 0] },
    },
    {
      what: 'cover crops the centre of the longer side',
      size: [300, 600],
      profile: { ...box, resize: 'cover' },
      plan: { scaled: [224, 448], window: [0, 112, 224, 224], out: [224, 224], offset: [0, 0] },
    },
    {
      what: 'contain letterboxes',
      size: [640, 320],
      profile: { ...box, resize: 'contain' },
      plan: { scaled: [224, 112], window: [0, 0, 224, 112], out: [224, 224], offset: [0, 56] },
    },
    {
      what: 'inside fits without padding',
      size: [640, 320],
      profile: { ...box, resize: 'inside' },
      plan: { scaled: [224, 112], window: [0, 0, 224, 112], out: [224, 112], offset: [0, 0] },
    },
    {
      what: 'outside covers without cropping',
      size: [640, 320],
      profile: { ...box, resize: 'outside' },
      plan: { scaled: [448, 224], window: [0, 0, 448, 224], out: [448, 224], offset: [0, 0] },
    },
  ] as const)('$what', ({ size, profile, plan }) => {
    const got = planResize(size[0], size[1], profile);
    expect({
      scaled: [got.scaledWidth, got.scaledHeight],
      window: [got.window.left, got.window.top, got.window.width, got.window.height],
      out: [got.outWidth, got.outHeight],
      offset: [got.offsetLeft, got.offsetTop],
    }).toEqual(plan);
  });
});
