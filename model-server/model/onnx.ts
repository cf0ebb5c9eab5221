/**
 * Encodes an ONNX model (onnx.proto, IR version 8) from plain typed objects.
 * Field numbers are ONNX's; only the messages an inference graph of dense
 * tensors needs are covered.
 */
import {
  bytesField,
  concat,
  floatField,
  int64Field,
  messageField,
  packedFloatField,
  packedInt64Field,
  stringField,
} from './protobuf.ts';

/** TensorProto.DataType values. */
const DATA_TYPE = { float: 1, int64: 7 } as const;
/** AttributeProto.AttributeType values. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7 } as const;

export type Attribute =
  | { readonly name: string; readonly int: number }
  | { readonly name: string; readonly ints: readonly number[] }
  | { readonly name: string; readonly float: number }
  | { readonly name: string; readonly floats: readonly number[] }
  | { readonly name: string; readonly string: string };

export interface OnnxNode {
  readonly name: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly Attribute[];
}

/** A constant tensor (an initializer). */
export type OnnxTensor =
  | { readonly name: string; readonly dims: readonly number[]; readonly float: Float32Array }
  | { readonly name: string; readonly dims: readonly number[]; readonly int64: BigInt64Array };

/** A graph input or output: float tensor; string dims are symbolic (e.g. the batch). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  readonly producerName: string;
  readonly producerVersion: string;
  readonly opsetVersion: number;
  readonly graph: OnnxGraph;
  /** Free-form metadata (ModelProto.metadata_props), written in key order. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** IR version 8 (ONNX 1.10+) is read by every onnxruntime of the last years. */
export const IR_VERSION = 8;

function encodeAttribute(attribute: Attribute): Uint8Array {
  const name = stringField(1, attribute.name);
  if ('int' in attribute) {
    return concat([name, int64Field(3, attribute.int), int64Field(20, ATTRIBUTE_TYPE.int)]);
  }
  if ('ints' in attribute) {
    return concat([name, packedInt64Field(8, attribute.ints), int64Field(20, ATTRIBUTE_TYPE.ints)]);
  }
  if ('float' in attribute) {
    return concat([name, floatField(2, attribute.float), int64Field(20, ATTRIBUTE_TYPE.float)]);
  }
  if ('floats' in attribute) {
    return concat([
      name,
      packedFloatField(7, attribute.floats),
      int64Field(20, ATTRIBUTE_TYPE.floats),
    ]);
  }
  return concat([
    name,
    bytesField(4, Buffer.from(attribute.string, 'utf8')),
    int64Field(20, ATTRIBUTE_TYPE.string),
  ]);
}

function encodeNode(node: OnnxNode): Uint8Array {
  return concat([
    ...node.inputs.map((input) => stringField(1, input)),
    ...node.outputs.map((output) => stringField(2, output)),
    stringField(3, node.name),
    stringField(4, node.op),
    ...(node.attributes ?? []).map((attribute) => messageField(5, [encodeAttribute(attribute)])),
  ]);
}

function littleEndian(array: Float32Array | BigInt64Array): Uint8Array {
  // raw_data is little-endian by definition; so are x64 and arm64, the only
  // platforms onnxruntime-node ships for, so the array's bytes are used as is.
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function encodeTensor(tensor: OnnxTensor): Uint8Array {
  const isFloat = 'float' in tensor;
  return concat([
    ...tensor.dims.map((dim) => int64Field(1, dim)),
    int64Field(2, isFloat ? DATA_TYPE.float : DATA_TYPE.int64),
    stringField(8, tensor.name),
    bytesField(9, littleEndian(isFloat ? tensor.float : tensor.int64)),
  ]);
}

function encodeValueInfo(value: OnnxValueInfo): Uint8Array {
  const dims = value.dims.map((dim) =>
    messageField(1, [typeof dim === 'number' ? int64Field(1, dim) : stringField(2, dim)]),
  );
  const tensorType = concat([int64Field(1, DATA_TYPE.float), messageField(2, dims)]);
  return concat([stringField(1, value.name), messageField(2, [messageField(1, [tensorType])])]);
}

function encodeGraph(graph: OnnxGraph): Uint8Array {
  return concat([
    ...graph.nodes.map((node) => messageField(1, [encodeNode(node)])),
    stringField(2, graph.name),
    ...graph.initializers.map((tensor) => messageField(5, [encodeTensor(tensor)])),
    ...graph.inputs.map((input) => messageField(11, [encodeValueInfo(input)])),
    ...graph.outputs.map((output) => messageField(12, [encodeValueInfo(output)])),
  ]);
}

/** The bytes of an .onnx file; equal input gives byte-identical output. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const metadata = Object.keys(model.metadata)
    .sort()
    .map((key) =>
      messageField(14, [stringField(1, key), stringField(2, model.metadata[key] ?? '')]),
    );
  return concat([
    int64Field(1, IR_VERSION),
    stringField(2, model.producerName),
    stringField(3, model.producerVersion),
    messageField(7, [encodeGraph(model.graph)]),
    // The default (ai.onnx) domain is the empty string.
    messageField(8, [stringField(1, ''), int64Field(2, model.opsetVersion)]),
    ...metadata,
  ]);
}
