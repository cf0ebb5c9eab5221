/**
 * NumPy's `.npy` format, the `application/x-npy` body SageMaker's framework
 * containers take for tensors. Source: NumPy documentation, "NEP 1 — A
 * simple file format for NumPy arrays" (numpy.lib.format): the magic
 * `\x93NUMPY`, a version, a little-endian header length, then a Python
 * dict literal (descr, fortran_order, shape) padded with spaces to a
 * multiple of 64 bytes and ended by a newline, then the data in C order.
 */

/** The media type of a `.npy` body. */
export const NPY_CONTENT_TYPE = 'application/x-npy';

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const ALIGN = 64;

/** Element types read here: little-endian float32, and bytes. */
export type NpyDtype = 'float32' | 'uint8';
const DESCR: Readonly<Record<string, NpyDtype>> = { '<f4': 'float32', '|u1': 'uint8' };

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  /** The elements, C order, as float32 whatever the stored type. */
  readonly data: Float32Array;
}

/** A body that is not an `.npy` array this gateway reads; the message says why. */
export class NpyFormatError extends Error {
  override readonly name = 'NpyFormatError';
}

function layout(shape: readonly number[]) {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = MAGIC.length + 4 + dict.length + 1;
  const headerLength = dict.length + 1 + ((ALIGN - (unpadded % ALIGN)) % ALIGN);
  const count = shape.reduce((product, n) => product * n, 1);
  return { dict, headerLength, dataStart: MAGIC.length + 4 + headerLength, count };
}

/** The size in bytes of the float32 `.npy` file of `shape` that encodeNpy writes. */
export function npyFileBytes(shape: readonly number[]): number {
  const { dataStart, count } = layout(shape);
  return dataStart + count * 4;
}

/** An `.npy` file whose float32 data is still to be written, in place. */
export interface NpyBuffer {
  /** The whole file: header, then the data. */
  readonly file: Buffer;
  /** The data region of `file`, C order. */
  readonly data: Float32Array;
}

/**
 * Allocates a version 1.0 `.npy` file of float32 elements of `shape`, its
 * header written, so the producer fills `data` directly and nothing is
 * copied. The header is padded so that the data starts 64-byte aligned.
 */
export function allocateNpy(shape: readonly number[]): NpyBuffer {
  const { dict, headerLength, dataStart, count } = layout(shape);
  // Its own ArrayBuffer (not Node's pool), so the data view is aligned.
  const file = Buffer.from(new ArrayBuffer(dataStart + count * 4));
  MAGIC.copy(file, 0);
  file[6] = 1;
  file[7] = 0;
  file.writeUInt16LE(headerLength, 8);
  file.write(dict.padEnd(headerLength - 1, ' '), 10, 'latin1');
  file[dataStart - 1] = 0x0a;
  return { file, data: new Float32Array(file.buffer, file.byteOffset + dataStart, count) };
}

/** Encodes float32 elements of `shape` (C order) as a version 1.0 `.npy` file. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const npy = allocateNpy(shape);
  npy.data.set(data);
  return npy.file;
}

const HEADER = /^\{\s*(.*?)\s*\}\s*$/s;

/**
 * Decodes an `.npy` body of float32 or uint8 elements in C order.
 * @throws NpyFormatError when the body is not such an array
 */
export function decodeNpy(body: Uint8Array): NpyArray {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length < 10 || !bytes.subarray(0, 6).equals(MAGIC)) {
    throw new NpyFormatError('The body is not a NumPy .npy array (no \\x93NUMPY magic).');
  }
  const major = bytes[6] as number;
  if (major < 1 || major > 3) throw new NpyFormatError(`.npy version ${major} is not supported.`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lengthBytes) throw new NpyFormatError('The .npy header is truncated.');
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const dataStart = 8 + lengthBytes + headerLength;
  if (bytes.length < dataStart) throw new NpyFormatError('The .npy header is truncated.');
  const header = bytes.toString('latin1', 8 + lengthBytes, dataStart);
  const fields = HEADER.exec(header)?.[1];
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(fields ?? '')?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(fields ?? '')?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(fields ?? '')?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new NpyFormatError('The .npy header lacks descr, fortran_order or shape.');
  }
  const dtype = DESCR[descr];
  if (dtype === undefined) {
    throw new NpyFormatError(
      `.npy element type ${descr} is not supported; send <f4 (float32) or |u1 (uint8).`,
    );
  }
  if (fortran === 'True')
    throw new NpyFormatError('Fortran-ordered .npy arrays are not supported.');
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) {
    throw new NpyFormatError(`The .npy shape (${shapeText}) is not a list of sizes.`);
  }
  const count = shape.reduce((product, n) => product * n, 1);
  const size = dtype === 'float32' ? 4 : 1;
  if (bytes.length - dataStart !== count * size) {
    throw new NpyFormatError(
      `The .npy data holds ${bytes.length - dataStart} bytes; shape (${shape.join(', ')}) needs ${count * size}.`,
    );
  }
  const data = new Float32Array(count);
  if (dtype === 'float32') {
    // .npy data starts 64-byte aligned in the file; where the buffer keeps
    // that alignment, copy through a view (x86 and Arm are little-endian).
    const offset = bytes.byteOffset + dataStart;
    if (offset % 4 === 0) data.set(new Float32Array(bytes.buffer, offset, count));
    else for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(dataStart + i * 4);
  } else {
    for (let i = 0; i < count; i++) data[i] = bytes[dataStart + i] as number;
  }
  return { dtype, shape, data };
}
