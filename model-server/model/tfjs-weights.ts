/**
 * Decodes the weights of a TensorFlow.js model (model.json manifest + binary
 * shards) into float32 arrays, bit for bit as tfjs itself does, so that a
 * converted graph computes with exactly the values tfjs computes with.
 */

/** One entry of a tfjs weights manifest. */
export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly quantization?: {
    readonly dtype: string;
    readonly min?: number;
    readonly scale?: number;
  };
}

export interface DecodedWeight {
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

const BYTES_PER_VALUE: Readonly<Record<string, number>> = { float32: 4, uint8: 1, uint16: 2 };

function count(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/**
 * Splits the concatenated shard bytes by the manifest. Supports float32
 * weights stored as float32 or affine-quantised uint8/uint16
 * (`value = q * scale + min`, computed in double and rounded to float32,
 * which is what tfjs-core's decodeWeights does).
 */
export function decodeWeights(
  specs: readonly WeightSpec[],
  data: Uint8Array,
): Map<string, DecodedWeight> {
  const weights = new Map<string, DecodedWeight>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32') {
      throw new Error(`Weight ${spec.name} has dtype ${spec.dtype}; only float32 is supported`);
    }
    const stored = spec.quantization?.dtype ?? 'float32';
    const bytesPerValue = BYTES_PER_VALUE[stored];
    if (bytesPerValue === undefined) {
      throw new Error(
        `Weight ${spec.name} is stored as ${stored}; expected one of float32, uint8, uint16`,
      );
    }
    const size = count(spec.shape);
    const byteLength = size * bytesPerValue;
    if (offset + byteLength > data.length) {
      throw new Error(
        `Weight ${spec.name} needs bytes ${offset}..${offset + byteLength} but the shards hold ${data.length}`,
      );
    }
    // A copy, so typed views are aligned whatever the shard offset (and a
    // Buffer's slice would not copy).
    const bytes = new Uint8Array(byteLength);
    bytes.set(data.subarray(offset, offset + byteLength));
    offset += byteLength;
    let values: Float32Array;
    if (stored === 'float32') {
      values = new Float32Array(bytes.buffer, bytes.byteOffset, size);
    } else {
      const { min, scale } = spec.quantization ?? {};
      if (typeof min !== 'number' || typeof scale !== 'number') {
        throw new Error(`Weight ${spec.name} is quantised but has no min and scale`);
      }
      const quantised =
        stored === 'uint8' ? bytes : new Uint16Array(bytes.buffer, bytes.byteOffset, size);
      values = new Float32Array(size);
      for (let i = 0; i < size; i++) values[i] = (quantised[i] as number) * scale + min;
    }
    weights.set(spec.name, { shape: spec.shape, values });
  }
  if (offset !== data.length) {
    throw new Error(`The manifest describes ${offset} bytes but the shards hold ${data.length}`);
  }
  return weights;
}
