import {
  binaryTensorData,
  fp32Values,
  jsonHeaderSize,
  parseClassificationEntry,
  splitBinaryJson,
  TritonFramingError,
  type V2Tensor,
} from '#shared/endpoint-protocol/triton.ts';
import { GatewayError } from '#shared/errors.ts';
import { parseTolerantJson } from '../model-json.ts';
import {
  type AnswerReading,
  labelScores,
  MODEL_OUTPUT_MAX_DEPTH,
  type ModelOutput,
  mapModelOutput,
  rankScores,
  readAnswer,
} from '../output.ts';

/** Turns one invocation's answer (body and Content-Type) into the result's predictions or output. */
export type Decoder = (body: Uint8Array, contentType: string | undefined) => ModelOutput;

function bad(detail: string, cause?: unknown): GatewayError {
  return new GatewayError('BAD_MODEL_OUTPUT', detail, cause === undefined ? {} : { cause });
}

/** A JSON answer read by mapModelOutput with the configured reading. */
export function jsonDecoder(reading: AnswerReading): Decoder {
  return (body) => mapModelOutput(body, reading.labels, reading.topK, reading);
}

function isTensor(value: unknown): value is V2Tensor {
  const tensor = value as V2Tensor | null;
  return (
    typeof tensor === 'object' &&
    tensor !== null &&
    typeof tensor.name === 'string' &&
    Array.isArray(tensor.shape)
  );
}

/** The v2 answer's `outputs`, and the parsed header when it came as binary+json. */
function tritonOutputs(
  body: Uint8Array,
  contentType: string | undefined,
): { answer: unknown; outputs: V2Tensor[]; binary: Map<string, Buffer>; nonFinite: number } {
  const headerBytes = jsonHeaderSize(contentType);
  let answer: unknown;
  let binary: Buffer = Buffer.alloc(0);
  let nonFinite = 0;
  if (headerBytes === undefined) {
    ({ value: answer, nonFinite } = parseTolerantJson(body, MODEL_OUTPUT_MAX_DEPTH));
  } else {
    try {
      ({ header: answer, binary } = splitBinaryJson(body, headerBytes));
    } catch (error) {
      if (!(error instanceof TritonFramingError)) throw error;
      throw bad(`The model's binary+json answer cannot be read: ${error.message}.`, error);
    }
  }
  const outputs = (answer as { outputs?: unknown } | null)?.outputs;
  if (!Array.isArray(outputs) || !outputs.every(isTensor)) {
    throw bad('The model answered without a KServe v2 "outputs" list of tensors.');
  }
  try {
    return { answer, outputs, binary: binaryTensorData(outputs, binary), nonFinite };
  } catch (error) {
    if (!(error instanceof TritonFramingError)) throw error;
    throw bad(`The model's binary+json answer cannot be read: ${error.message}.`, error);
  }
}

/**
 * Triton (KServe v2): the output tensor `outputName` (or the only one),
 * as JSON numbers, binary FP32 data, or the classification extension's
 * `score:index:label` strings. In passthrough mode, the answer with binary
 * tensors turned into `data` numbers.
 */
export function tritonDecoder(outputName: string, reading: AnswerReading): Decoder {
  return (body, contentType) => {
    const { answer, outputs, binary, nonFinite } = tritonOutputs(body, contentType);
    if (reading.mode === 'passthrough') {
      const value = {
        ...(answer as object),
        outputs: outputs.map((tensor) => {
          const bytes = binary.get(tensor.name);
          return bytes === undefined ? tensor : { ...tensor, data: Array.from(fp32Values(bytes)) };
        }),
      };
      return readAnswer(value, body.length, nonFinite, reading);
    }
    const tensor =
      outputs.find((output) => output.name === outputName) ??
      (outputs.length === 1 ? outputs[0] : undefined);
    if (tensor === undefined) {
      throw bad(
        `The model answered no output ${outputName} (TRITON_OUTPUT_NAME); it has ${outputs.map((o) => o.name).join(', ') || 'none'}.`,
      );
    }
    const bytes = binary.get(tensor.name);
    if (bytes !== undefined) {
      if (tensor.datatype !== 'FP32') {
        throw bad(
          `The model's binary output ${tensor.name} is ${tensor.datatype}; the gateway reads FP32.`,
        );
      }
      return rankScores(labelScores(fp32Values(bytes), reading.labels, 'are configured'), reading);
    }
    const data = Array.isArray(tensor.data) ? tensor.data.flat(4) : undefined;
    if (data === undefined || data.length === 0) {
      throw bad(`The model's output ${tensor.name} has no data.`);
    }
    const entries = data.map(parseClassificationEntry);
    if (entries.every((entry) => entry !== undefined)) {
      return rankScores(
        entries.map((entry) => [
          entry.label ?? reading.labels[entry.index] ?? String(entry.index),
          entry.score,
        ]),
        reading,
      );
    }
    if (!data.every((value) => value === null || typeof value === 'number')) {
      throw bad(`The model's output ${tensor.name} holds neither numbers nor classifications.`);
    }
    return rankScores(
      labelScores(data as Array<number | null>, reading.labels, 'are configured'),
      reading,
    );
  };
}
