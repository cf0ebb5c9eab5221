/**
 * Converts a Keras functional model (the `modelTopology` of a TensorFlow.js
 * layers model) and its weights into an ONNX inference graph.
 *
 * The graph keeps the Keras input signature (NHWC, batch first) and works
 * in NCHW inside, which is what ONNX convolution operators expect: one
 * Transpose after the input, then each layer maps to one or a few standard
 * operators with the weights rearranged to ONNX's layout. Every weight in the
 * manifest must be used exactly once, so a forgotten tensor fails the build
 * instead of silently changing the model.
 *
 * It covers the layers of MobileNet-style Keras classifiers (Conv2D,
 * DepthwiseConv2D, BatchNormalization, ReLU, Add, ZeroPadding2D, pooling,
 * Flatten, Dense, Dropout, Activation); anything else is refused by name.
 */
import type { Attribute, OnnxGraph, OnnxNode, OnnxTensor } from './onnx.ts';
import type { DecodedWeight } from './tfjs-weights.ts';

type InboundRef = readonly [string, number, number, unknown?];

export interface KerasLayer {
  readonly name: string;
  readonly class_name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly inbound_nodes: ReadonlyArray<ReadonlyArray<InboundRef>>;
}

export interface KerasModelConfig {
  readonly class_name: string;
  readonly config: {
    readonly name: string;
    readonly layers: readonly KerasLayer[];
    readonly input_layers: ReadonlyArray<InboundRef>;
    readonly output_layers: ReadonlyArray<InboundRef>;
  };
}

/**
 * A layers model's topology: Keras-converted files wrap the model config
 * in `model_config`; models saved by tfjs itself are the model config.
 */
export type KerasTopology = { readonly model_config: KerasModelConfig } | KerasModelConfig;

export interface ConvertOptions {
  /** Name of the graph input (NHWC float32, batch dimension symbolic). */
  readonly inputName: string;
  /** Name of the graph output ([batch, classes]). */
  readonly outputName: string;
}

export interface ConvertedGraph {
  readonly graph: OnnxGraph;
  /** Input shape without the batch: [height, width, channels]. */
  readonly inputShape: readonly [number, number, number];
  readonly outputSize: number;
}

/** A value in the graph: its ONNX name and shape without the batch ([C, H, W] or [features]). */
interface Value {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Thrown for a topology the converter cannot translate faithfully. */
export class ConversionError extends Error {
  override readonly name = 'ConversionError';
}

const BATCH = 'batch';

class Builder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly unused: Set<string>;
  private readonly weights: ReadonlyMap<string, DecodedWeight>;

  constructor(weights: ReadonlyMap<string, DecodedWeight>) {
    this.weights = weights;
    this.unused = new Set(weights.keys());
  }

  add(op: string, name: string, inputs: string[], attributes: Attribute[] = []): string {
    this.nodes.push({ name, op, inputs, outputs: [name], attributes });
    return name;
  }

  float(name: string, dims: number[], values: Float32Array): string {
    this.initializers.push({ name, dims, float: values });
    return name;
  }

  int64(name: string, values: number[]): string {
    this.initializers.push({
      name,
      dims: [values.length],
      int64: BigInt64Array.from(values, (v) => BigInt(v)),
    });
    return name;
  }

  weight(layer: KerasLayer, key: string, shape: readonly number[]): Float32Array {
    const name = `${layer.name}/${key}`;
    const weight = this.weights.get(name);
    if (weight === undefined) throw new ConversionError(`Weight ${name} is missing`);
    if (weight.shape.join() !== shape.join()) {
      throw new ConversionError(
        `Weight ${name} has shape [${weight.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
    }
    this.unused.delete(name);
    return weight.values;
  }

  /** An optional weight (e.g. BatchNormalization's gamma when `scale` is false). */
  weightOr(layer: KerasLayer, key: string, shape: number[], fallback: number): Float32Array {
    return this.weights.has(`${layer.name}/${key}`)
      ? this.weight(layer, key, shape)
      : new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fallback);
  }

  assertAllWeightsUsed(): void {
    if (this.unused.size > 0) {
      throw new ConversionError(`Weights not used by any layer: ${[...this.unused].join(', ')}`);
    }
  }
}

function pair(value: unknown, what: string, layer: KerasLayer): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isInteger(v))
  ) {
    return [value[0] as number, value[1] as number];
  }
  throw new ConversionError(`${layer.name}: ${what} must be an integer pair, got ${String(value)}`);
}

function spatial(value: Value, layer: KerasLayer): [number, number, number] {
  const [c, h, w] = value.shape;
  if (value.shape.length !== 3 || c === undefined || h === undefined || w === undefined) {
    throw new ConversionError(`${layer.name} needs a 4-D input, got [${value.shape.join(', ')}]`);
  }
  return [c, h, w];
}

function requireChannelsLast(layer: KerasLayer): void {
  const format = layer.config.data_format;
  if (format !== undefined && format !== 'channels_last') {
    throw new ConversionError(`${layer.name}: data_format ${String(format)} is not supported`);
  }
}

/**
 * Padding of one spatial axis for Keras `padding`: "valid" pads nothing,
 * "same" pads like TensorFlow (the odd pixel goes at the end).
 */
function axisPads(
  padding: unknown,
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  layer: KerasLayer,
): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding !== 'same') {
    throw new ConversionError(`${layer.name}: padding ${String(padding)} is not supported`);
  }
  const extent = (kernel - 1) * dilation + 1;
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + extent - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

function outputSize(size: number, pads: [number, number], kernel: number, stride: number, d = 1) {
  return Math.floor((size + pads[0] + pads[1] - ((kernel - 1) * d + 1)) / stride) + 1;
}

function activation(b: Builder, layer: KerasLayer, input: Value, kind: unknown): Value {
  const name = `${layer.name}/${String(kind)}`;
  switch (kind) {
    case undefined:
    case 'linear':
      return input;
    case 'relu':
      return { name: b.add('Relu', name, [input.name]), shape: input.shape };
    case 'relu6':
      return clip(b, name, input, 6);
    case 'sigmoid':
      return { name: b.add('Sigmoid', name, [input.name]), shape: input.shape };
    case 'tanh':
      return { name: b.add('Tanh', name, [input.name]), shape: input.shape };
    case 'softmax':
      // Keras normalises over the last (channel) axis: axis 1 in NCHW.
      return {
        name: b.add(
          'Softmax',
          name,
          [input.name],
          [{ name: 'axis', int: input.shape.length === 1 ? -1 : 1 }],
        ),
        shape: input.shape,
      };
    default:
      throw new ConversionError(`${layer.name}: activation ${String(kind)} is not supported`);
  }
}

function clip(b: Builder, name: string, input: Value, max: number): Value {
  const low = b.float(`${name}/min`, [], Float32Array.of(0));
  const high = b.float(`${name}/max`, [], Float32Array.of(max));
  return { name: b.add('Clip', name, [input.name, low, high]), shape: input.shape };
}

function conv2d(b: Builder, layer: KerasLayer, input: Value, depthwise: boolean): Value {
  requireChannelsLast(layer);
  const [cin, h, w] = spatial(input, layer);
  const [kh, kw] = pair(layer.config.kernel_size, 'kernel_size', layer);
  const [sh, sw] = pair(layer.config.strides ?? 1, 'strides', layer);
  const [dh, dw] = pair(layer.config.dilation_rate ?? 1, 'dilation_rate', layer);
  const groups = depthwise ? cin : (layer.config.groups ?? 1);
  if (groups !== (depthwise ? cin : 1)) {
    throw new ConversionError(`${layer.name}: grouped convolution is not supported`);
  }
  const padH = axisPads(layer.config.padding, h, kh, sh, dh, layer);
  const padW = axisPads(layer.config.padding, w, kw, sw, dw, layer);
  let weight: Float32Array;
  let cout: number;
  if (depthwise) {
    const multiplier = Number(layer.config.depth_multiplier ?? 1);
    cout = cin * multiplier;
    const kernel = b.weight(layer, 'depthwise_kernel', [kh, kw, cin, multiplier]);
    // Keras [kh, kw, cin, m] -> ONNX [cin * m, 1, kh, kw] (output channel c * m + j).
    weight = new Float32Array(kernel.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < cin; c++)
          for (let j = 0; j < multiplier; j++)
            weight[((c * multiplier + j) * kh + y) * kw + x] = kernel[
              ((y * kw + x) * cin + c) * multiplier + j
            ] as number;
  } else {
    cout = Number(layer.config.filters);
    const kernel = b.weight(layer, 'kernel', [kh, kw, cin, cout]);
    // Keras [kh, kw, cin, cout] -> ONNX [cout, cin, kh, kw].
    weight = new Float32Array(kernel.length);
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < cin; c++)
          for (let o = 0; o < cout; o++)
            weight[((o * cin + c) * kh + y) * kw + x] = kernel[
              ((y * kw + x) * cin + c) * cout + o
            ] as number;
  }
  const inputs = [
    input.name,
    b.float(`${layer.name}/W`, [cout, depthwise ? 1 : cin, kh, kw], weight),
  ];
  if (layer.config.use_bias === true) {
    inputs.push(b.float(`${layer.name}/B`, [cout], b.weight(layer, 'bias', [cout])));
  }
  const out: Value = {
    name: b.add('Conv', layer.name, inputs, [
      { name: 'kernel_shape', ints: [kh, kw] },
      { name: 'strides', ints: [sh, sw] },
      { name: 'dilations', ints: [dh, dw] },
      { name: 'pads', ints: [padH[0], padW[0], padH[1], padW[1]] },
      { name: 'group', int: groups as number },
    ]),
    shape: [cout, outputSize(h, padH, kh, sh, dh), outputSize(w, padW, kw, sw, dw)],
  };
  return activation(b, layer, out, layer.config.activation);
}

function batchNorm(b: Builder, layer: KerasLayer, input: Value): Value {
  const axis = layer.config.axis;
  const channelAxis = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (channelAxis !== -1 && channelAxis !== input.shape.length) {
    throw new ConversionError(`${layer.name}: only channel-axis batch normalisation is supported`);
  }
  // The channel count leads the shape both in NCHW ([C, H, W]) and flat ([C]).
  const shape = [input.shape[0] as number];
  const params = [
    b.float(`${layer.name}/scale`, shape, b.weightOr(layer, 'gamma', shape, 1)),
    b.float(`${layer.name}/bias`, shape, b.weightOr(layer, 'beta', shape, 0)),
    b.float(`${layer.name}/mean`, shape, b.weight(layer, 'moving_mean', shape)),
    b.float(`${layer.name}/var`, shape, b.weight(layer, 'moving_variance', shape)),
  ];
  return {
    name: b.add(
      'BatchNormalization',
      layer.name,
      [input.name, ...params],
      [{ name: 'epsilon', float: Number(layer.config.epsilon ?? 0.001) }],
    ),
    shape: input.shape,
  };
}

function relu(b: Builder, layer: KerasLayer, input: Value): Value {
  const { max_value: max, negative_slope: slope = 0, threshold = 0 } = layer.config;
  if (slope !== 0 || threshold !== 0) {
    throw new ConversionError(`${layer.name}: ReLU with a slope or threshold is not supported`);
  }
  if (max === null || max === undefined) {
    return { name: b.add('Relu', layer.name, [input.name]), shape: input.shape };
  }
  return clip(b, layer.name, input, Number(max));
}

function zeroPadding(b: Builder, layer: KerasLayer, input: Value): Value {
  requireChannelsLast(layer);
  const [c, h, w] = spatial(input, layer);
  const padding = layer.config.padding;
  let rows: [number, number];
  let cols: [number, number];
  if (Array.isArray(padding) && Array.isArray(padding[0])) {
    rows = pair(padding[0], 'padding', layer);
    cols = pair(padding[1], 'padding', layer);
  } else {
    const [ph, pw] = pair(padding, 'padding', layer);
    rows = [ph, ph];
    cols = [pw, pw];
  }
  const pads = b.int64(`${layer.name}/pads`, [0, 0, rows[0], cols[0], 0, 0, rows[1], cols[1]]);
  return {
    name: b.add('Pad', layer.name, [input.name, pads]),
    shape: [c, h + rows[0] + rows[1], w + cols[0] + cols[1]],
  };
}

function pooling(b: Builder, layer: KerasLayer, input: Value, op: 'AveragePool' | 'MaxPool') {
  requireChannelsLast(layer);
  const [c, h, w] = spatial(input, layer);
  const [kh, kw] = pair(layer.config.pool_size, 'pool_size', layer);
  const [sh, sw] = pair(layer.config.strides ?? layer.config.pool_size, 'strides', layer);
  const padH = axisPads(layer.config.padding, h, kh, sh, 1, layer);
  const padW = axisPads(layer.config.padding, w, kw, sw, 1, layer);
  // Keras averages over the valid pixels only: count_include_pad stays 0.
  return {
    name: b.add(
      op,
      layer.name,
      [input.name],
      [
        { name: 'kernel_shape', ints: [kh, kw] },
        { name: 'strides', ints: [sh, sw] },
        { name: 'pads', ints: [padH[0], padW[0], padH[1], padW[1]] },
      ],
    ),
    shape: [c, outputSize(h, padH, kh, sh), outputSize(w, padW, kw, sw)],
  };
}

function flatten(b: Builder, layer: KerasLayer, input: Value): Value {
  if (input.shape.length === 1) return input;
  const [c, h, w] = spatial(input, layer);
  let source = input.name;
  if (h * w !== 1) {
    // Keras flattens channels-last (H, W, C order): go back to NHWC first.
    source = b.add(
      'Transpose',
      `${layer.name}/nhwc`,
      [input.name],
      [{ name: 'perm', ints: [0, 2, 3, 1] }],
    );
  }
  return {
    name: b.add('Flatten', layer.name, [source], [{ name: 'axis', int: 1 }]),
    shape: [c * h * w],
  };
}

function globalAveragePooling(b: Builder, layer: KerasLayer, input: Value): Value {
  requireChannelsLast(layer);
  const [c] = spatial(input, layer);
  if (layer.config.keepdims === true) {
    throw new ConversionError(`${layer.name}: keepdims is not supported`);
  }
  const pooled = b.add('GlobalAveragePool', `${layer.name}/pool`, [input.name]);
  return {
    name: b.add('Flatten', layer.name, [pooled], [{ name: 'axis', int: 1 }]),
    shape: [c],
  };
}

function dense(b: Builder, layer: KerasLayer, input: Value): Value {
  if (input.shape.length !== 1) {
    throw new ConversionError(`${layer.name}: Dense needs a flat input`);
  }
  const units = Number(layer.config.units);
  const inputs = [
    input.name,
    b.float(
      `${layer.name}/W`,
      [input.shape[0] as number, units],
      b.weight(layer, 'kernel', [input.shape[0] as number, units]),
    ),
  ];
  if (layer.config.use_bias !== false) {
    inputs.push(b.float(`${layer.name}/B`, [units], b.weight(layer, 'bias', [units])));
  }
  const out = { name: b.add('Gemm', layer.name, inputs), shape: [units] };
  return activation(b, layer, out, layer.config.activation);
}

function add(b: Builder, layer: KerasLayer, inputs: Value[]): Value {
  const [first, ...rest] = inputs;
  if (first === undefined || rest.length === 0) {
    throw new ConversionError(`${layer.name}: Add needs at least two inputs`);
  }
  let sum = first.name;
  rest.forEach((value, index) => {
    if (value.shape.join() !== first.shape.join()) {
      throw new ConversionError(`${layer.name}: inputs of different shapes`);
    }
    const name = index === rest.length - 1 ? layer.name : `${layer.name}/${index}`;
    sum = b.add('Add', name, [sum, value.name]);
  });
  return { name: sum, shape: first.shape };
}

type LayerConverter = (b: Builder, layer: KerasLayer, inputs: Value[]) => Value;

function one(inputs: Value[], layer: KerasLayer): Value {
  const [input] = inputs;
  if (input === undefined || inputs.length !== 1) {
    throw new ConversionError(`${layer.name} takes one input, got ${inputs.length}`);
  }
  return input;
}

const CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  Conv2D: (b, layer, inputs) => conv2d(b, layer, one(inputs, layer), false),
  DepthwiseConv2D: (b, layer, inputs) => conv2d(b, layer, one(inputs, layer), true),
  BatchNormalization: (b, layer, inputs) => batchNorm(b, layer, one(inputs, layer)),
  ReLU: (b, layer, inputs) => relu(b, layer, one(inputs, layer)),
  Activation: (b, layer, inputs) =>
    activation(b, layer, one(inputs, layer), layer.config.activation),
  ZeroPadding2D: (b, layer, inputs) => zeroPadding(b, layer, one(inputs, layer)),
  AveragePooling2D: (b, layer, inputs) => pooling(b, layer, one(inputs, layer), 'AveragePool'),
  MaxPooling2D: (b, layer, inputs) => pooling(b, layer, one(inputs, layer), 'MaxPool'),
  GlobalAveragePooling2D: (b, layer, inputs) => globalAveragePooling(b, layer, one(inputs, layer)),
  Flatten: (b, layer, inputs) => flatten(b, layer, one(inputs, layer)),
  Dense: (b, layer, inputs) => dense(b, layer, one(inputs, layer)),
  Add: add,
  // Inference: dropout is the identity.
  Dropout: (_b, layer, inputs) => one(inputs, layer),
};

/** Converts a single-input, single-output Keras functional model. */
export function kerasToOnnx(
  topology: KerasTopology,
  weights: ReadonlyMap<string, DecodedWeight>,
  options: ConvertOptions,
): ConvertedGraph {
  const model = 'model_config' in topology ? topology.model_config : topology;
  if (model.class_name !== 'Model' && model.class_name !== 'Functional') {
    throw new ConversionError(`Expected a functional Keras model, got ${model.class_name}`);
  }
  const { layers, input_layers: inputLayers, output_layers: outputLayers } = model.config;
  const inputLayerName = inputLayers[0]?.[0];
  const outputLayerName = outputLayers[0]?.[0];
  if (
    inputLayers.length !== 1 ||
    outputLayers.length !== 1 ||
    !inputLayerName ||
    !outputLayerName
  ) {
    throw new ConversionError('Only models with one input and one output are supported');
  }
  const b = new Builder(weights);
  const values = new Map<string, Value>();
  let inputShape: [number, number, number] | undefined;
  for (const layer of layers) {
    if (layer.class_name === 'InputLayer') {
      const shape = layer.config.batch_input_shape;
      if (!Array.isArray(shape) || shape.length !== 4 || !shape.slice(1).every(Number.isInteger)) {
        throw new ConversionError(`${layer.name}: expected an input of shape [batch, H, W, C]`);
      }
      const [h, w, c] = shape.slice(1) as [number, number, number];
      inputShape = [h, w, c];
      const name = b.add(
        'Transpose',
        `${layer.name}/nchw`,
        [options.inputName],
        [{ name: 'perm', ints: [0, 3, 1, 2] }],
      );
      values.set(layer.name, { name, shape: [c, h, w] });
      continue;
    }
    const convert = CONVERTERS[layer.class_name];
    if (convert === undefined) {
      throw new ConversionError(
        `Layer ${layer.name} is a ${layer.class_name}, which is not supported (supported: InputLayer, ${Object.keys(CONVERTERS).join(', ')})`,
      );
    }
    if (layer.inbound_nodes.length !== 1) {
      throw new ConversionError(`Layer ${layer.name} is shared or unused; not supported`);
    }
    const inputs = (layer.inbound_nodes[0] ?? []).map(([source, nodeIndex, tensorIndex]) => {
      const value = values.get(source);
      if (value === undefined || nodeIndex !== 0 || tensorIndex !== 0) {
        throw new ConversionError(`Layer ${layer.name} reads ${source} before it is defined`);
      }
      return value;
    });
    values.set(layer.name, convert(b, layer, inputs));
  }
  b.assertAllWeightsUsed();
  const output = values.get(outputLayerName);
  if (inputShape === undefined || output === undefined || output.shape.length !== 1) {
    throw new ConversionError('The model must map an image input to a flat output');
  }
  b.add('Identity', options.outputName, [output.name]);
  return {
    graph: {
      name: model.config.name,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: options.inputName, dims: [BATCH, ...inputShape] }],
      outputs: [{ name: options.outputName, dims: [BATCH, output.shape[0] as number] }],
    },
    inputShape,
    outputSize: output.shape[0] as number,
  };
}
