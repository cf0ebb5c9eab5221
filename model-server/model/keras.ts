/**
 * Converts a Keras functional model (the `modelTopology` of a TensorFlow.js
 * layers model) and its weights into an ONNX inference graph.
 *
 * The graph keeps the Keras input signature (NHWC, batch first) and works
 * in NCHW inside, which is what ONNX convolution operators expect: one
 * Transpose after the input, then each layer maps to one or a few standard
 * operators with the weights rearranged to ONNX's layout (keras-layers.ts).
 * Every weight in the manifest must be used exactly once (graph-builder.ts),
 * so a forgotten tensor fails the build instead of silently changing the model.
 *
 * It covers the layers of MobileNet-style Keras classifiers (Conv2D,
 * DepthwiseConv2D, BatchNormalization, ReLU, Add, ZeroPadding2D, pooling,
 * Flatten, Dense, Dropout, Activation); anything else is refused by name.
 */
import { GraphBuilder, type Value } from './graph-builder.ts';
import { LAYER_CONVERTERS } from './keras-layers.ts';
import { ConversionError, type KerasTopology } from './keras-topology.ts';
import type { OnnxGraph } from './onnx.ts';
import type { DecodedWeight } from './tfjs-weights.ts';

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

/** The symbolic batch dimension of the graph's input and output. */
const BATCH = 'batch';

/**
 * Converts a single-input, single-output Keras functional model.
 * @throws ConversionError for a topology or weights it cannot translate faithfully
 */
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
  const b = new GraphBuilder(weights);
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
    const convert = LAYER_CONVERTERS[layer.class_name];
    if (convert === undefined) {
      throw new ConversionError(
        `Layer ${layer.name} is a ${layer.class_name}, which is not supported (supported: InputLayer, ${Object.keys(LAYER_CONVERTERS).join(', ')})`,
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
