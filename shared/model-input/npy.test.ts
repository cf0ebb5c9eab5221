import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy, NpyFormatError } from './npy.ts';

describe('encodeNpy', () => {
  it('writes a version 1.0 header padded to 64 bytes, then the float32 data', () => {
    const data = Float32Array.of(0, 1.5, 255, -2, 3, 4);
    const npy = encodeNpy(data, [1, 2, 3]);
    const headerLength = npy.readUInt16LE(8);
    expect(npy.subarray(0, 8)).toEqual(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]));
    expect((10 + headerLength) % 64).toBe(0);
    expect(npy.toString('latin1', 10, 10 + headerLength).trimEnd()).toBe(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }",
    );
    expect(npy[10 + headerLength - 1]).toBe(0x0a);
    expect(npy.length).toBe(10 + headerLength + 24);
    expect(decodeNpy(npy)).toEqual({ dtype: 'float32', shape: [1, 2, 3], data });
  });

  it('round-trips a 224 x 224 x 3 tensor byte for byte', () => {
    const data = Float32Array.from({ length: 224 * 224 * 3 }, (_, i) => (i * 0.37) % 255);
    const decoded = decodeNpy(encodeNpy(data, [224, 224, 3]));
    expect(decoded.shape).toEqual([224, 224, 3]);
    expect(Buffer.from(decoded.data.buffer).equals(Buffer.from(data.buffer))).toBe(true);
  });
});

describe('decodeNpy', () => {
  const header = (dict: string, version = 1) => {
    const body = `${dict}`.padEnd(118, ' ');
    const lengthBytes = version === 1 ? 2 : 4;
    const out = Buffer.alloc(8 + lengthBytes + body.length + 1);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(out);
    if (version === 1) out.writeUInt16LE(body.length + 1, 8);
    else out.writeUInt32LE(body.length + 1, 8);
    out.write(body, 8 + lengthBytes, 'latin1');
    out[out.length - 1] = 0x0a;
    return out;
  };

  it('reads uint8 arrays and version 2 headers', () => {
    const npy = Buffer.concat([
      header("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }", 2),
      Buffer.from([0, 1, 254, 255]),
    ]);
    expect(decodeNpy(npy)).toEqual({
      dtype: 'uint8',
      shape: [2, 2],
      data: Float32Array.of(0, 1, 254, 255),
    });
  });

  it.each([
    {
      what: 'no magic',
      body: Buffer.from('PNG not npy at all'),
      message: 'The body is not a NumPy .npy array (no \\x93NUMPY magic).',
    },
    {
      what: 'float64',
      body: Buffer.concat([
        header("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }"),
        Buffer.alloc(8),
      ]),
      message: '.npy element type <f8 is not supported; send <f4 (float32) or |u1 (uint8).',
    },
    {
      what: 'Fortran order',
      body: Buffer.concat([
        header("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }"),
        Buffer.alloc(4),
      ]),
      message: 'Fortran-ordered .npy arrays are not supported.',
    },
    {
      what: 'data shorter than the shape',
      body: Buffer.concat([
        header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"),
        Buffer.alloc(12),
      ]),
      message: 'The .npy data holds 12 bytes; shape (2, 2) needs 16.',
    },
    {
      what: 'a header without shape',
      body: header("{'descr': '<f4', 'fortran_order': False, }"),
      message: 'The .npy header lacks descr, fortran_order or shape.',
    },
    {
      what: 'a cut header',
      body: header("{'descr': '<f4'").subarray(0, 20),
      message: 'The .npy header is truncated.',
    },
  ])('refuses $what', ({ body, message }) => {
    expect(() => decodeNpy(body)).toThrowError(new NpyFormatError(message));
  });
});
