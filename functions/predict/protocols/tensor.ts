/**
 * The float tensor inside an `.npy` encoded input, as a view (no copy), and
 * its JSON text for bodies that carry numbers (TF Serving instances, Triton
 * v2 JSON).
 */

/** The data region of a version 1 `.npy` file as float32s (the gateway writes it 64-byte aligned). */
export function npyData(file: Buffer): Float32Array {
  const headerLength = file.readUInt16LE(8);
  const start = 10 + headerLength;
  const count = (file.length - start) / 4;
  if ((file.byteOffset + start) % 4 === 0) {
    return new Float32Array(file.buffer, file.byteOffset + start, count);
  }
  const copy = new Float32Array(count);
  new Uint8Array(copy.buffer).set(file.subarray(start));
  return copy;
}

/** The bytes of the data region (little-endian float32s), a view. */
export function npyDataBytes(file: Buffer): Buffer {
  return file.subarray(10 + file.readUInt16LE(8));
}

/**
 * Rewrites a version 1 `.npy` header in place to the shape `[1, ...shape]`,
 * when the padded header has room (it does: the gateway's headers carry
 * about 50 spare bytes); framework containers feed the array to the model
 * as it is, and models take batches. False when there is no room.
 */
export function addBatchDimension(file: Buffer): boolean {
  const headerLength = file.readUInt16LE(8);
  const header = file.toString('latin1', 10, 10 + headerLength);
  // Once only: a body framed again (a retry elsewhere) keeps its four dimensions.
  if (/'shape': \(1, \d+, \d+, \d+\)/.test(header)) return true;
  const dict = header.replace(/'shape': \(/, "'shape': (1, ").trimEnd();
  if (dict.length + 1 > headerLength) return false;
  file.write(dict.padEnd(headerLength - 1, ' '), 10, 'latin1');
  return true;
}

/**
 * Nested JSON arrays of `data` in C order for `shape`, e.g. [224][224][3]:
 * what a row-format JSON body wants. Numbers are written as JavaScript
 * prints them (the shortest text that reads back to the same float32's
 * double), so the model sees the same values as from `.npy`.
 */
export function tensorJson(data: Float32Array, shape: readonly number[]): string {
  const parts: string[] = [];
  let index = 0;
  const write = (dim: number) => {
    const size = shape[dim] as number;
    if (dim === shape.length - 1) {
      const row = new Array<string>(size);
      for (let i = 0; i < size; i++) row[i] = String(data[index++]);
      parts.push(`[${row.join(',')}]`);
      return;
    }
    parts.push('[');
    for (let i = 0; i < size; i++) {
      if (i > 0) parts.push(',');
      write(dim + 1);
    }
    parts.push(']');
  };
  write(0);
  return parts.join('');
}

/** The flat JSON array of `data` (a Triton v2 `data` field may be flat, with `shape` beside it). */
export function flatJson(data: Float32Array): string {
  const out = new Array<string>(data.length);
  for (let i = 0; i < data.length; i++) out[i] = String(data[i]);
  return `[${out.join(',')}]`;
}
