/**
 * The Keras-to-ONNX converter on small models built with TensorFlow.js:
 * every supported layer, including the variants MobileNetV2 does not use
 * (TF "same" padding with stride 2, depth multiplier, max pooling, flatten
 * of a spatial map), must compute what tfjs computes.
 */

import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { tf } from '../test/tfjs.ts';
import { kerasToOnnx } from './keras.ts';
import { ConversionError, type KerasTopology } from './keras-topology.ts';
import { encodeModel } from './onnx.ts';
import { decodeWeights, type WeightSpec } from './tfjs-weights.ts';

interface Artifacts {
  readonly topology: KerasTopology;
  readonly specs: WeightSpec[];
  readonly data: Uint8Array;
}

/** Gives every weight seeded random values (variances positive) and saves the model. */
async function artifactsOf(model: tf.LayersModel): Promise<Artifacts> {
  model.setWeights(
    model.weights.map((weight, index) =>
      weight.name.includes('moving_variance')
        ? tf.randomUniform(weight.shape as number[], 0.5, 1.5, 'float32', 100 + index)
        : tf.randomUniform(weight.shape as number[], -0.5, 0.5, 'float32', 100 + index),
    ),
  );
  let saved: Artifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        topology: artifacts.modelTopology as unknown as KerasTopology,
        specs: artifacts.weightSpecs as WeightSpec[],
        data: new Uint8Array(artifacts.weightData as ArrayBuffer),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (saved === undefined) throw new Error('tfjs saved nothing');
  return saved;
}

function apply(layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) {
  return layer.apply(input) as tf.SymbolicTensor;
}

/** Convolution trunk: padding, strides, depthwise with multiplier, BN, ReLU6, residual add. */
function convolutional(): tf.LayersModel {
  const input = tf.input({ shape: [13, 11, 3] });
  let x = apply(
    tf.layers.zeroPadding2d({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }),
    input,
  );
  x = apply(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, useBias: false }), x);
  x = apply(tf.layers.batchNormalization({ epsilon: 0.001 }), x);
  x = apply(tf.layers.reLU({ maxValue: 6 }), x);
  const a = apply(
    tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2 }),
    x,
  );
  const b = apply(tf.layers.conv2d({ filters: 12, kernelSize: 1, activation: 'relu' }), x);
  x = apply(tf.layers.add(), [a, b]);
  x = apply(
    tf.layers.conv2d({
      filters: 5,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu6',
    }),
    x,
  );
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }), x);
  x = apply(tf.layers.flatten(), x);
  x = apply(tf.layers.dense({ units: 8, activation: 'relu' }), x);
  x = apply(tf.layers.dropout({ rate: 0.5 }), x);
  x = apply(tf.layers.dense({ units: 4, activation: 'softmax' }), x);
  return tf.model({ inputs: input, outputs: x });
}

/** Pooling head: average pooling with TF "same" padding, global pooling, Activation layer. */
function pooling(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 4] });
  let x = apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), input);
  x = apply(
    tf.layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 1, activation: 'tanh' }),
    x,
  );
  x = apply(tf.layers.globalAveragePooling2d({}), x);
  x = apply(tf.layers.batchNormalization({}), x);
  x = apply(tf.layers.dense({ units: 2 }), x);
  x = apply(tf.layers.activation({ activation: 'sigmoid' }), x);
  return tf.model({ inputs: input, outputs: x });
}

async function convertAndRun(artifacts: Artifacts, input: tf.Tensor): Promise<Float32Array> {
  const converted = kerasToOnnx(
    artifacts.topology,
    decodeWeights(artifacts.specs, artifacts.data),
    {
      inputName: 'x',
      outputName: 'y',
    },
  );
  const bytes = encodeModel({
    producerName: 'test',
    producerVersion: '0',
    opsetVersion: 13,
    graph: converted.graph,
    metadata: {},
  });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = { x: new ort.Tensor('float32', await input.data<'float32'>(), input.shape) };
    return (await session.run(feeds)).y?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('kerasToOnnx', () => {
  it.each([
    { name: 'a convolutional trunk', build: convolutional, shape: [3, 13, 11, 3] },
    { name: 'a pooling head', build: pooling, shape: [2, 9, 9, 4] },
  ])('computes what tfjs computes for $name', async ({ build, shape }) => {
    const model = build();
    const artifacts = await artifactsOf(model);
    const input = tf.randomUniform(shape, 0, 1, 'float32', 7);
    const expected = await (model.predict(input) as tf.Tensor).data<'float32'>();
    const actual = await convertAndRun(artifacts, input);
    expect(maxAbsDiff(actual, expected)).toBeLessThan(1e-5);
  });

  it('refuses a layer it does not support, naming it', async () => {
    const artifacts = await artifactsOf(pooling());
    const topology = JSON.parse(JSON.stringify(artifacts.topology));
    topology.config.layers[1].class_name = 'Conv3D';
    expect(() =>
      kerasToOnnx(topology, decodeWeights(artifacts.specs, artifacts.data), {
        inputName: 'x',
        outputName: 'y',
      }),
    ).toThrowError(
      new ConversionError(
        `Layer ${topology.config.layers[1].name} is a Conv3D, which is not supported (supported: InputLayer, Conv2D, DepthwiseConv2D, BatchNormalization, ReLU, Activation, ZeroPadding2D, AveragePooling2D, MaxPooling2D, GlobalAveragePooling2D, Flatten, Dense, Add, Dropout)`,
      ),
    );
  });

  it('refuses weights that no layer uses', async () => {
    const artifacts = await artifactsOf(pooling());
    const weights = decodeWeights(artifacts.specs, artifacts.data);
    const extra = new Map(weights).set('ghost/kernel', { shape: [1], values: new Float32Array(1) });
    expect(() =>
      kerasToOnnx(artifacts.topology, extra, { inputName: 'x', outputName: 'y' }),
    ).toThrowError(new ConversionError('Weights not used by any layer: ghost/kernel'));
  });

  it('refuses a missing weight', async () => {
    const artifacts = await artifactsOf(pooling());
    const weights = new Map(decodeWeights(artifacts.specs, artifacts.data));
    const dense = [...weights.keys()].find(
      (name) => name.endsWith('/kernel') && name.includes('dense'),
    );
    weights.delete(dense as string);
    expect(() =>
      kerasToOnnx(artifacts.topology, weights, { inputName: 'x', outputName: 'y' }),
    ).toThrowError(new ConversionError(`Weight ${dense} is missing`));
  });
});
