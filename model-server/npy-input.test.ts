/**
 * `application/x-npy` bodies read by readInput: one image answered flat, a
 * batch answered per image, float32 or uint8, and the refusals (shape, element
 * type, batch limit, values, bodies that are no `.npy` at all).
 */
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '#shared/model-input/npy.ts';
import { InvocationError } from './errors.ts';
import { readInput } from './inputs.ts';
import { npyBody, uint8Npy } from './test/npy.ts';

const LIMITS = { maxBatchSize: 4, maxBodyBytes: 6 * 1024 * 1024 };
/** A small model input: 3 wide, 2 high. */
const SIZE = { width: 3, height: 2 };
const PIXELS = 3 * 2 * 3;

function ramp(count: number, from = 0): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => (from + i * 2.5) % 256);
}

function read(body: Buffer, contentType = 'application/x-npy') {
  return readInput(contentType, body, LIMITS, SIZE);
}

describe('readInput with application/x-npy', () => {
  it('reads a (height, width, 3) float32 array as one image, answered flat', async () => {
    const pixels = ramp(PIXELS);
    const input = await read(encodeNpy(pixels, [2, 3, 3]));
    expect(input).toEqual({ batch: false, images: [{ name: 'The .npy array', pixels }] });
  });

  it('reads uint8 pixels as the same values', async () => {
    const bytes = Uint8Array.from({ length: PIXELS }, (_, i) => i * 14);
    const input = await read(uint8Npy([2, 3, 3], bytes), 'application/x-npy; charset=binary');
    expect(input.images[0]).toEqual({ name: 'The .npy array', pixels: Float32Array.from(bytes) });
  });

  it.each([1, 4])('reads an (N, height, width, 3) array as a batch of %i', async (count) => {
    const all = ramp(count * PIXELS, 7);
    const input = await read(encodeNpy(all, [count, 2, 3, 3]));
    expect(input.batch).toBe(true);
    expect(input.images).toEqual(
      Array.from({ length: count }, (_, i) => ({
        name: `image ${i} of the .npy array`,
        pixels: all.subarray(i * PIXELS, (i + 1) * PIXELS),
      })),
    );
  });

  const shapeMessage = (shape: string) =>
    `The .npy array has shape ${shape}; this model takes (2, 3, 3) for one image or (N, 2, 3, 3) for N images.`;

  it.each([
    {
      what: 'width and height swapped',
      body: () => encodeNpy(ramp(PIXELS), [3, 2, 3]),
      problem: 'badInput',
      message: shapeMessage('(3, 2, 3)'),
    },
    {
      what: 'another input size',
      body: () => encodeNpy(ramp(224 * 224 * 3), [224, 224, 3]),
      problem: 'badInput',
      message: shapeMessage('(224, 224, 3)'),
    },
    {
      what: 'four channels',
      body: () => encodeNpy(ramp(2 * 3 * 4), [2, 3, 4]),
      problem: 'badInput',
      message: shapeMessage('(2, 3, 4)'),
    },
    {
      what: 'a flat list of values',
      body: () => encodeNpy(ramp(PIXELS), [PIXELS]),
      problem: 'badInput',
      message: shapeMessage('(18)'),
    },
    {
      what: 'an empty batch',
      body: () => encodeNpy(new Float32Array(0), [0, 2, 3, 3]),
      problem: 'badInput',
      message: shapeMessage('(0, 2, 3, 3)'),
    },
    {
      what: 'a batch over the limit',
      body: () => encodeNpy(ramp(5 * PIXELS), [5, 2, 3, 3]),
      problem: 'tooLarge',
      message: 'The .npy array holds 5 images, more than the limit of 4.',
    },
    {
      what: 'float64 elements',
      body: () => npyBody('<f8', [2, 3, 3], new Uint8Array(PIXELS * 8)),
      problem: 'badInput',
      message: '.npy element type <f8 is not supported; send <f4 (float32) or |u1 (uint8).',
    },
    {
      what: 'a value that is not a number',
      body: () => {
        const pixels = ramp(PIXELS);
        pixels[7] = Number.NaN;
        return encodeNpy(pixels, [2, 3, 3]);
      },
      problem: 'badInput',
      message: 'The .npy array holds NaN at index 7; pixels must be finite numbers (0..255).',
    },
    {
      what: 'a JPEG sent as .npy',
      body: () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0]),
      problem: 'badInput',
      message: 'The body is not a NumPy .npy array (no \\x93NUMPY magic).',
    },
    {
      what: 'an empty body',
      body: () => Buffer.alloc(0),
      problem: 'badInput',
      message: 'The body is not a NumPy .npy array (no \\x93NUMPY magic).',
    },
    {
      what: 'data shorter than its shape',
      body: () => encodeNpy(ramp(PIXELS), [2, 3, 3]).subarray(0, -4),
      problem: 'badInput',
      message: 'The .npy data holds 68 bytes; shape (2, 3, 3) needs 72.',
    },
  ])('refuses $what', async ({ body, problem, message }) => {
    const error = await read(body()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationError);
    expect([(error as InvocationError).problem, (error as InvocationError).message]).toEqual([
      problem,
      message,
    ]);
  });
});
