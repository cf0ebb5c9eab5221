/**
 * Triton Inference Server's request and response framing on SageMaker:
 * the KServe v2 inference protocol (`{"inputs":[{name, shape, datatype,
 * data}]}`, answered `{"outputs":[...]}`), and its binary tensor data
 * extension, where a JSON header is followed by the tensors' raw bytes
 * (little-endian, row major) and each tensor's `parameters.binary_data_size`
 * says how many bytes are its own. SageMaker carries the header's length in
 * the media type: `application/vnd.sagemaker-triton.binary+json;json-header-size=N`.
 * Sources: KServe "Open Inference Protocol (V2)"; Triton server docs,
 * protocol/extension_binary_data.md and protocol/extension_classification.md;
 * Amazon SageMaker developer guide, "Triton Inference Server" (binary+json).
 */

/** The media type of a binary+json body, without its header-size parameter. */
export const TRITON_BINARY_MEDIA_TYPE = 'application/vnd.sagemaker-triton.binary+json';

/** The Content-Type of a binary+json body whose JSON header is `headerBytes` long. */
export function tritonBinaryContentType(headerBytes: number): string {
  return `${TRITON_BINARY_MEDIA_TYPE};json-header-size=${headerBytes}`;
}

/**
 * The JSON header's length a binary+json Content-Type declares, or
 * undefined when `contentType` is not binary+json (the body is all JSON).
 */
export function jsonHeaderSize(contentType: string | undefined): number | undefined {
  if (contentType === undefined) return undefined;
  const [type, ...params] = contentType.split(';');
  if (type?.trim().toLowerCase() !== TRITON_BINARY_MEDIA_TYPE) return undefined;
  for (const param of params) {
    const [name, value] = param.split('=');
    if (name?.trim().toLowerCase() === 'json-header-size' && /^\d+$/.test(value?.trim() ?? '')) {
      return Number(value);
    }
  }
  return undefined;
}

/** One tensor of a v2 request or answer. */
export interface V2Tensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly datatype: string;
  readonly data?: unknown;
  readonly parameters?: Readonly<Record<string, unknown>>;
}

/** A binary+json body split into its JSON header and the bytes after it. */
export interface BinaryJsonBody {
  readonly header: unknown;
  readonly binary: Buffer;
}

/** A binary+json body that cannot be split as its Content-Type says. */
export class TritonFramingError extends Error {
  override readonly name = 'TritonFramingError';
}

/**
 * Splits a binary+json body; `headerBytes` from jsonHeaderSize.
 * @throws TritonFramingError when the header is longer than the body or not JSON
 */
export function splitBinaryJson(body: Uint8Array, headerBytes: number): BinaryJsonBody {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (headerBytes > bytes.length) {
    throw new TritonFramingError(
      `json-header-size is ${headerBytes} but the body has ${bytes.length} bytes`,
    );
  }
  try {
    return {
      header: JSON.parse(bytes.toString('utf8', 0, headerBytes)),
      binary: bytes.subarray(headerBytes),
    };
  } catch (cause) {
    throw new TritonFramingError('the JSON header of the binary+json body is not JSON', { cause });
  }
}

/**
 * The binary data of each tensor in `tensors` that declares
 * `parameters.binary_data_size`, in order, as views into `binary`.
 * @throws TritonFramingError when the sizes do not add up to the bytes
 */
export function binaryTensorData(
  tensors: readonly V2Tensor[],
  binary: Buffer,
): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let offset = 0;
  for (const tensor of tensors) {
    const size = tensor.parameters?.binary_data_size;
    if (size === undefined) continue;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new TritonFramingError(`${tensor.name}: binary_data_size must be a whole number`);
    }
    if (offset + size > binary.length) {
      throw new TritonFramingError(
        `${tensor.name}: binary_data_size ${size} runs past the ${binary.length} bytes of binary data`,
      );
    }
    out.set(tensor.name, binary.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== binary.length) {
    throw new TritonFramingError(
      `the tensors declare ${offset} bytes of binary data but the body carries ${binary.length}`,
    );
  }
  return out;
}

/** Little-endian FP32 bytes as numbers (a copy when `bytes` is not 4-byte aligned). */
export function fp32Values(bytes: Buffer): Float32Array {
  if (bytes.length % 4 !== 0) {
    throw new TritonFramingError(`${bytes.length} bytes are not a whole number of FP32 values`);
  }
  if (bytes.byteOffset % 4 === 0) {
    return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  }
  const copy = new Float32Array(bytes.length / 4);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

/**
 * Parses one entry of Triton's classification extension, `value:index` or
 * `value:index:label` (a BYTES output when `parameters.classification` is
 * asked for); undefined when `entry` is not one.
 */
export function parseClassificationEntry(
  entry: unknown,
): { score: number; index: number; label: string | undefined } | undefined {
  if (typeof entry !== 'string') return undefined;
  const first = entry.indexOf(':');
  const second = entry.indexOf(':', first + 1);
  if (first <= 0) return undefined;
  const score = Number(entry.slice(0, first));
  const indexText = second === -1 ? entry.slice(first + 1) : entry.slice(first + 1, second);
  if (!/^\d+$/.test(indexText) || Number.isNaN(score)) return undefined;
  return {
    score,
    index: Number(indexText),
    label: second === -1 ? undefined : entry.slice(second + 1),
  };
}
