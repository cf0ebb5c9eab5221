/**
 * One converter per supported Keras layer class: each maps a layer to one
 * or a few standard ONNX operators on NCHW values, with the weights
 * rearranged from Keras's layout to ONNX's.
 */
import type { GraphBuilder, Value } from './graph-builder.ts';
import { axisPads, outputSize, pair, requireChannelsLast, spatial } from './keras-geometry.ts';
import { ConversionError, type KerasLayer } from './keras-topology.ts';

function activation(b: GraphBuilder, layer: KerasLayer, input: Value, kind: unknown): Value {
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

function clip(b: GraphBuilder, name: string, input: Value, max: number): Value {
  const low = b.float(`${name}/min`, [], Float32Array.of(0));
  const high = b.float(`${name}/max`, [], Float32Array.of(max));
  return { name: b.add('Clip', name, [input.name, low, high]), shape: input.shape };
}

function conv2d(b: GraphBuilder, layer: KerasLayer, input: Value, depthwise: boolean): Value {
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

function batchNorm(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
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

function relu(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
  const { max_value: max, negative_slope: slope = 0, threshold = 0 } = layer.config;
  if (slope !== 0 || threshold !== 0) {
    throw new ConversionError(`${layer.name}: ReLU with a slope or threshold is not supported`);
  }
  if (max === null || max === undefined) {
    return { name: b.add('Relu', layer.name, [input.name]), shape: input.shape };
  }
  return clip(b, layer.name, input, Number(max));
}

function zeroPadding(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
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

function pooling(b: GraphBuilder, layer: KerasLayer, input: Value, op: 'AveragePool' | 'MaxPool') {
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

function flatten(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
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

function globalAveragePooling(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
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

function dense(b: GraphBuilder, layer: KerasLayer, input: Value): Value {
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

function add(b: GraphBuilder, layer: KerasLayer, inputs: Value[]): Value {
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

/** Converts one layer, given the values its inputs hold; returns its output value. */
export type LayerConverter = (b: GraphBuilder, layer: KerasLayer, inputs: Value[]) => Value;

function one(inputs: Value[], layer: KerasLayer): Value {
  const [input] = inputs;
  if (input === undefined || inputs.length !== 1) {
    throw new ConversionError(`${layer.name} takes one input, got ${inputs.length}`);
  }
  return input;
}

/** The supported layer classes (besides InputLayer, which the graph walk handles). */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
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
