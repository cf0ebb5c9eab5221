import { describe, expect, it } from 'vitest';
import { floatField, int64Field, packedInt64Field, stringField, varint } from './protobuf.ts';

const bytes = (data: Uint8Array) => [...data];

describe('protobuf encoding', () => {
  it.each([
    { value: 0, expected: [0x00] },
    { value: 1, expected: [0x01] },
    { value: 127, expected: [0x7f] },
    { value: 128, expected: [0x80, 0x01] },
    { value: 300, expected: [0xac, 0x02] },
    { value: 2 ** 35, expected: [0x80, 0x80, 0x80, 0x80, 0x80, 0x01] },
    // int64 -1 is ten bytes of two's complement.
    { value: -1, expected: [...Array(9).fill(0xff), 0x01] },
  ])('encodes $value as a varint', ({ value, expected }) => {
    expect(bytes(varint(value))).toEqual(expected);
  });

  it('tags fields with number and wire type', () => {
    expect(bytes(int64Field(1, 8))).toEqual([0x08, 0x08]);
    expect(bytes(stringField(2, 'hi'))).toEqual([0x12, 0x02, 0x68, 0x69]);
    expect(bytes(floatField(2, 1))).toEqual([0x15, 0x00, 0x00, 0x80, 0x3f]);
    expect(bytes(packedInt64Field(8, [3, 300]))).toEqual([0x42, 0x03, 0x03, 0xac, 0x02]);
  });
});
