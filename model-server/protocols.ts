/**
 * The local model server presenting a container family's documented
 * request and response contract (MODEL_SERVER_PROTOCOL, set by `npm start`
 * from the CDK context `endpointProtocol`), serving the embedded model: so
 * the gateway's adapter for that family is exercised exactly as deployed.
 * Requests are brought to what readInput reads (an image, `.npy` pixels,
 * JSON b64 instances); answers are written in the family's shape from the
 * model's scores. Sources: shared/endpoint-protocol/presets.ts (`docs`).
 */
import type { Prediction } from '#shared/contract.ts';
import type { EndpointProtocol } from '#shared/endpoint-protocol/presets.ts';
import {
  binaryTensorData,
  jsonHeaderSize,
  splitBinaryJson,
  TritonFramingError,
  tritonBinaryContentType,
  type V2Tensor,
} from '#shared/endpoint-protocol/triton.ts';
import { encodeNpy, NPY_CONTENT_TYPE } from '#shared/model-input/npy.ts';
import { InvocationError } from './errors.ts';
import { jsonReply, type Reply } from './http.ts';
import { mediaType } from './inputs.ts';

/** A request as readInput takes it, and what the family's answer needs to know of it. */
export interface PresentedRequest {
  readonly contentType: string | undefined;
  readonly body: Buffer;
  /** Triton: the output the client asked for, and how. */
  readonly tritonOutput?: { name: string; binary: boolean; classification: number };
}

function badInput(message: string, cause?: unknown): InvocationError {
  return new InvocationError('badInput', message, cause === undefined ? {} : { cause });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw badInput('The body is not valid JSON.', cause);
  }
}

/** Nested arrays of numbers -> their shape and the values in C order; undefined when ragged or not numbers. */
function tensorOf(value: unknown): { shape: number[]; data: Float32Array } | undefined {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat = (value as unknown[] | undefined)?.flat?.(shape.length) ?? [];
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || flat.length !== count || !flat.every((v) => typeof v === 'number')) {
    return undefined;
  }
  return { shape, data: Float32Array.from(flat as number[]) };
}

function npyRequest(data: Float32Array, shape: readonly number[]): PresentedRequest {
  return { contentType: NPY_CONTENT_TYPE, body: encodeNpy(data, shape) };
}

/** The name the local TF Serving presentation serves its one model under. */
export const TFS_MODEL_NAME = 'model';

/**
 * SageMaker's TF Serving container routes on custom attributes
 * (`tfs-model-name`, `tfs-method`, pairs split by `,`; the gateway joins
 * with `;`): another model or method than the served one is refused, as
 * TF Serving refuses a servable it does not have.
 */
function tfsRouting(customAttributes: string | undefined): void {
  for (const pair of (customAttributes ?? '').split(/[;,]/)) {
    const [name, value = ''] = pair.split('=').map((part) => part.trim());
    if (name === 'tfs-model-name' && value !== TFS_MODEL_NAME) {
      throw badInput(`Servable not found for request: Latest(${value})`);
    }
    if (name === 'tfs-method' && value !== 'predict') {
      throw badInput(`${value} is not supported by this model's signature; use predict.`);
    }
  }
}

/** TF Serving's REST predict request: row (`instances`) or columnar (`inputs`) format. */
function tensorflowServing(contentType: string, body: Buffer): PresentedRequest {
  if (contentType !== 'application/json') {
    throw new InvocationError(
      'unsupported',
      `Content-Type ${contentType} is not supported; send application/json.`,
    );
  }
  const json = parseJson(body) as Record<string, unknown> | null;
  const signature = json?.signature_name;
  if (signature !== undefined && signature !== 'serving_default') {
    throw badInput(`Serving signature name: "${String(signature)}" not found in signature def`);
  }
  const rows = json?.instances ?? json?.inputs;
  if (!Array.isArray(rows) || rows.length === 0) {
    throw badInput('Missing "instances" or "inputs" key');
  }
  // `{"b64": ...}` (or a named `*_bytes` input holding one) is an image file.
  const files = rows.map((row) => {
    const record = row as Record<string, unknown> | null;
    if (typeof record?.b64 === 'string') return record;
    const named = record === null || Array.isArray(record) ? undefined : Object.values(record)[0];
    return typeof (named as { b64?: unknown } | undefined)?.b64 === 'string' ? named : undefined;
  });
  if (files.every((file) => file !== undefined)) {
    return {
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ instances: files })),
    };
  }
  const tensor = tensorOf(rows);
  if (tensor === undefined)
    throw badInput('"instances" must be tensors of numbers or {"b64": ...} objects.');
  return npyRequest(tensor.data, tensor.shape);
}

/** A KServe v2 request, JSON or binary+json, to `.npy` pixels. */
function triton(contentType: string | undefined, body: Buffer): PresentedRequest {
  const headerBytes = jsonHeaderSize(contentType);
  let header: unknown;
  let binary = Buffer.alloc(0) as Buffer;
  try {
    if (headerBytes === undefined) header = parseJson(body);
    else ({ header, binary } = splitBinaryJson(body, headerBytes));
  } catch (error) {
    if (error instanceof TritonFramingError) throw badInput(error.message, error);
    throw error;
  }
  const request = header as { inputs?: V2Tensor[]; outputs?: V2Tensor[] } | null;
  const inputs = request?.inputs;
  if (!Array.isArray(inputs) || inputs.length !== 1) {
    throw badInput('The request must have "inputs" with exactly one tensor.');
  }
  const input = inputs[0] as V2Tensor;
  if (input.datatype !== 'FP32' || !Array.isArray(input.shape)) {
    throw badInput(`Input ${input.name} must be FP32 with a shape.`);
  }
  let data: Float32Array;
  try {
    const bytes = binaryTensorData(inputs, binary).get(input.name);
    if (bytes !== undefined) {
      data = new Float32Array(bytes.length / 4);
      new Uint8Array(data.buffer).set(bytes);
    } else {
      const flat = Array.isArray(input.data) ? input.data.flat(8) : [];
      if (!flat.every((v) => typeof v === 'number'))
        throw badInput(`Input ${input.name} data must be numbers.`);
      data = Float32Array.from(flat as number[]);
    }
  } catch (error) {
    if (error instanceof TritonFramingError) throw badInput(error.message, error);
    throw error;
  }
  const count = input.shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw badInput(
      `Input ${input.name} has ${data.length} values for shape [${input.shape.join(',')}].`,
    );
  }
  const output = request?.outputs?.[0];
  return {
    ...npyRequest(data, input.shape),
    tritonOutput: {
      name: output?.name ?? 'OUTPUT__0',
      binary: output?.parameters?.binary_data === true,
      classification: Number(output?.parameters?.classification ?? 0),
    },
  };
}

/**
 * The request as readInput takes it, after the family's own checks.
 * @throws InvocationError as the container would refuse it (400 or 415)
 */
export function presentRequest(
  protocol: EndpointProtocol,
  contentType: string | undefined,
  body: Buffer,
  customAttributes?: string,
): PresentedRequest {
  const type = mediaType(contentType);
  switch (protocol) {
    case 'raw-image':
      return { contentType, body };
    case 'torchserve':
      // The image_classifier handler opens whatever bytes arrive as an image.
      return { contentType: 'application/x-image', body };
    case 'pytorch-dlc': {
      if (type === NPY_CONTENT_TYPE) return { contentType, body };
      if (type === 'application/json') {
        const tensor = tensorOf(parseJson(body));
        if (tensor === undefined) throw badInput('The JSON body must be a tensor of numbers.');
        return npyRequest(tensor.data, tensor.shape);
      }
      throw new InvocationError(
        'unsupported',
        `Content type ${type} is not supported by this framework; send application/json or application/x-npy.`,
      );
    }
    case 'tensorflow-serving':
      tfsRouting(customAttributes);
      return tensorflowServing(type, body);
    case 'huggingface':
      // The toolkit's decoders know image/x-image and image/*, not application/x-image.
      if (type === 'image/x-image') return { contentType: 'application/x-image', body };
      if (type === 'application/x-image' || !type.startsWith('image/')) {
        throw badInput(`Content type ${type} is not supported.`);
      }
      return { contentType, body };
    case 'triton':
      return triton(contentType, body);
    default:
      return { contentType, body };
  }
}

/** Scores in label order, from the model's predictions for one image. */
function vector(predictions: readonly Prediction[], labels: readonly string[]): number[] {
  const byLabel = new Map(predictions.map((p) => [p.label, p.score]));
  return labels.map((label) => byLabel.get(label) ?? 0);
}

/**
 * The family's answer for the model's predictions (per image, best first).
 * `batch`: the request held a batch, answered as a list.
 */
export function presentAnswer(
  protocol: EndpointProtocol,
  request: PresentedRequest,
  accept: string | undefined,
  results: readonly Prediction[][],
  labels: readonly string[],
  batch: boolean,
  headers: Record<string, string>,
): Reply {
  const first = results[0] ?? [];
  const verbose = (accept ?? '').toLowerCase().includes('verbose');
  const index = (label: string) => labels.indexOf(label);
  switch (protocol) {
    case 'raw-image':
      return jsonReply(200, { predictions: batch ? results : first }, headers);
    case 'torchserve':
      return jsonReply(
        200,
        Object.fromEntries(first.map((p) => [String(index(p.label)), p.score])),
        headers,
      );
    case 'pytorch-dlc':
      return jsonReply(
        200,
        results.map((r) => vector(r, labels)),
        headers,
      );
    case 'tensorflow-serving':
      return jsonReply(200, { predictions: results.map((r) => vector(r, labels)) }, headers);
    case 'huggingface':
      return jsonReply(200, first, headers);
    case 'sagemaker-image-classification':
      return jsonReply(200, vector(first, labels), headers);
    case 'jumpstart-ic': {
      const probabilities = vector(first, labels);
      return jsonReply(
        200,
        verbose ? { probabilities, labels, predicted_label: first[0]?.label } : { probabilities },
        headers,
      );
    }
    case 'detection': {
      // The classifier as a detector: one whole-image box per class, best first.
      const answer = {
        normalized_boxes: first.map(() => [0, 0, 1, 1]),
        classes: first.map((p) => index(p.label)),
        scores: first.map((p) => p.score),
      };
      return jsonReply(
        200,
        verbose ? { ...answer, labels: first.map((p) => p.label) } : answer,
        headers,
      );
    }
    case 'triton':
      return tritonAnswer(request, results, labels, headers);
  }
}

function tritonAnswer(
  request: PresentedRequest,
  results: readonly Prediction[][],
  labels: readonly string[],
  headers: Record<string, string>,
): Reply {
  const output = request.tritonOutput ?? { name: 'OUTPUT__0', binary: false, classification: 0 };
  const base = { model_name: 'model', model_version: '1' };
  if (output.classification > 0) {
    const data = results.flatMap((r) =>
      r
        .slice(0, output.classification)
        .map((p) => `${p.score}:${labels.indexOf(p.label)}:${p.label}`),
    );
    const shape = [results.length, Math.min(output.classification, labels.length)];
    return jsonReply(
      200,
      { ...base, outputs: [{ name: output.name, datatype: 'BYTES', shape, data }] },
      headers,
    );
  }
  const values = results.flatMap((r) => vector(r, labels));
  const shape = [results.length, labels.length];
  if (!output.binary) {
    return jsonReply(
      200,
      { ...base, outputs: [{ name: output.name, datatype: 'FP32', shape, data: values }] },
      headers,
    );
  }
  const bytes = Buffer.from(Float32Array.from(values).buffer);
  const header = Buffer.from(
    JSON.stringify({
      ...base,
      outputs: [
        {
          name: output.name,
          datatype: 'FP32',
          shape,
          parameters: { binary_data_size: bytes.length },
        },
      ],
    }),
  );
  return {
    status: 200,
    headers: { ...headers, 'Content-Type': tritonBinaryContentType(header.length) },
    body: Buffer.concat([header, bytes]),
  };
}
