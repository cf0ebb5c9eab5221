/**
 * The few protobuf encodings an ONNX file needs (proto3 wire format): varints,
 * length-delimited fields, packed repeated scalars and fixed32 floats. Written
 * out rather than generated so the model build has no schema compiler and
 * its output depends on nothing but its input.
 */

/** Wire types used by ONNX's messages. */
const WIRE = { varint: 0, lengthDelimited: 2, fixed32: 5 } as const;

const INT64_MASK = (1n << 64n) - 1n;

/** A varint; negative values as 64-bit two's complement, as protobuf encodes int64. */
export function varint(value: number | bigint): Uint8Array {
  let rest = BigInt(value) & INT64_MASK;
  const bytes: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return Uint8Array.from(bytes);
}

function tag(field: number, wireType: number): Uint8Array {
  return varint((field << 3) | wireType);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

export function int64Field(field: number, value: number | bigint): Uint8Array {
  return concat([tag(field, WIRE.varint), varint(value)]);
}

export function bytesField(field: number, data: Uint8Array): Uint8Array {
  return concat([tag(field, WIRE.lengthDelimited), varint(data.length), data]);
}

export function stringField(field: number, value: string): Uint8Array {
  return bytesField(field, Buffer.from(value, 'utf8'));
}

/** An embedded message made of already-encoded fields. */
export function messageField(field: number, fields: readonly Uint8Array[]): Uint8Array {
  return bytesField(field, concat(fields));
}

export function floatField(field: number, value: number): Uint8Array {
  const data = Buffer.alloc(4);
  data.writeFloatLE(value);
  return concat([tag(field, WIRE.fixed32), data]);
}

/** Repeated int64 in proto3's default packed form. */
export function packedInt64Field(field: number, values: readonly (number | bigint)[]): Uint8Array {
  return bytesField(field, concat(values.map((value) => varint(value))));
}

/** Repeated float in proto3's default packed form. */
export function packedFloatField(field: number, values: readonly number[]): Uint8Array {
  const data = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => {
    data.writeFloatLE(value, index * 4);
  });
  return bytesField(field, data);
}
