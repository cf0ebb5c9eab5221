/**
 * The converted model against its source: the nsfwjs weights run through
 * TensorFlow.js (the reference) and through onnxruntime must agree on
 * several images, within 1e-4 on every probability.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Classifier } from '../classifier.ts';
import { readClassifierConfig } from '../model-config.ts';
import { DEFAULT_MODEL_CONFIG } from '../paths.ts';
import { pixelTables, prepareImage } from '../preprocess.ts';
import { jpeg, PATTERNS, type PatternName, png } from '../test/images.ts';
import { tf } from '../test/tfjs.ts';
import { loadNsfwjsMobileNetV2, NSFWJS_LABELS } from './nsfwjs.ts';

const TOLERANCE = 1e-4;

let classifier: Classifier;
let reference: tf.LayersModel;

beforeAll(async () => {
  const config = await readClassifierConfig(DEFAULT_MODEL_CONFIG);
  classifier = await Classifier.load(config, { threads: 0 });
  const source = await loadNsfwjsMobileNetV2();
  const { buffer, byteOffset, byteLength } = source.weightData;
  reference = await tf.loadLayersModel(
    tf.io.fromMemory({
      // biome-ignore lint/suspicious/noExplicitAny: tfjs types its topology loosely (PyJsonDict).
      modelTopology: source.json.modelTopology as any,
      weightSpecs: source.json.weightsManifest[0]?.weights as tf.io.WeightsManifestEntry[],
      weightData: buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer,
    }),
  );
});

afterAll(async () => {
  await classifier.close();
  reference.dispose();
});

describe('the ONNX conversion of nsfwjs MobileNetV2', () => {
  it('matches TensorFlow.js within 1e-4 on several images', { timeout: 60_000 }, async () => {
    const config = classifier.config.input;
    const tables = pixelTables(config);
    const names = Object.keys(PATTERNS) as PatternName[];
    const images = [
      ...(await Promise.all(names.map((name) => png(name)))),
      await jpeg('gradient', 300),
    ];
    const size = classifier.imageSize;
    const batch = new Float32Array(images.length * size);
    await Promise.all(
      images.map((bytes, i) =>
        prepareImage(bytes, `image ${i}`, config, tables, batch.subarray(i * size, (i + 1) * size)),
      ),
    );
    const onnx = await classifier.run(batch, images.length);
    const input = tf.tensor4d(batch, [images.length, config.height, config.width, 3]);
    const expected = await (reference.predict(input) as tf.Tensor).array();
    input.dispose();

    let maxDiff = 0;
    onnx.forEach((predictions, i) => {
      for (const { label, score } of predictions) {
        const row = (expected as number[][])[i] as number[];
        const want = row[NSFWJS_LABELS.indexOf(label as (typeof NSFWJS_LABELS)[number])] as number;
        maxDiff = Math.max(maxDiff, Math.abs(score - want));
      }
    });
    expect(onnx).toHaveLength(images.length);
    expect(maxDiff).toBeLessThan(TOLERANCE);
  });
});
