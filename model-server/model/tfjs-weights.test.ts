import { describe, expect, it } from 'vitest';
import { decodeWeights } from './tfjs-weights.ts';

describe('decodeWeights', () => {
  it('splits float32 and quantised weights in manifest order, dequantising as tfjs does', () => {
    const floats = new Float32Array([1.5, -2]);
    const data = Buffer.concat([
      Buffer.from(floats.buffer),
      Buffer.from([0, 2, 255]),
      Buffer.from(new Uint16Array([1, 65535]).buffer),
    ]);
    const weights = decodeWeights(
      [
        { name: 'a/kernel', shape: [2], dtype: 'float32' },
        {
          name: 'b/kernel',
          shape: [3],
          dtype: 'float32',
          quantization: { dtype: 'uint8', min: -1, scale: 0.5 },
        },
        {
          name: 'c/bias',
          shape: [1, 2],
          dtype: 'float32',
          quantization: { dtype: 'uint16', min: 0.25, scale: 0.001 },
        },
      ],
      data,
    );
    expect([...weights.keys()]).toEqual(['a/kernel', 'b/kernel', 'c/bias']);
    expect([...(weights.get('a/kernel')?.values ?? [])]).toEqual([1.5, -2]);
    expect([...(weights.get('b/kernel')?.values ?? [])]).toEqual([-1, 0, 126.5]);
    expect(weights.get('c/bias')?.values).toEqual(
      Float32Array.of(1 * 0.001 + 0.25, 65535 * 0.001 + 0.25),
    );
    expect(weights.get('c/bias')?.shape).toEqual([1, 2]);
  });

  it.each([
    {
      what: 'fewer bytes than the manifest',
      specs: [{ name: 'w', shape: [4], dtype: 'float32' }],
      data: Buffer.alloc(8),
      message: 'Weight w needs bytes 0..16 but the shards hold 8',
    },
    {
      what: 'more bytes than the manifest',
      specs: [{ name: 'w', shape: [1], dtype: 'float32' }],
      data: Buffer.alloc(8),
      message: 'The manifest describes 4 bytes but the shards hold 8',
    },
    {
      what: 'a float16 weight',
      specs: [{ name: 'w', shape: [1], dtype: 'float32', quantization: { dtype: 'float16' } }],
      data: Buffer.alloc(2),
      message: 'Weight w is stored as float16; expected one of float32, uint8, uint16',
    },
    {
      what: 'an int32 weight',
      specs: [{ name: 'w', shape: [1], dtype: 'int32' }],
      data: Buffer.alloc(4),
      message: 'Weight w has dtype int32; only float32 is supported',
    },
  ])('refuses $what', ({ specs, data, message }) => {
    expect(() => decodeWeights(specs, data)).toThrowError(new Error(message));
  });
});
