/**
 * The model server against the model's source, nsfwjs (its own loader, on
 * TensorFlow.js):
 * - the ONNX conversion: the same prepared tensors through TensorFlow.js and
 *   through onnxruntime agree within 1e-4 on every probability;
 * - the whole pipeline: the server's answer to a raw, non-square image
 *   equals `nsfwjs.classify` on that image's full-resolution, EXIF-oriented
 *   decode (which divides by 255 and resizes with resizeBilinear,
 *   alignCorners) within 1e-3 on every score.
 */
import { load, type NSFWJS } from 'nsfwjs/core';
import { MobileNetV2Model } from 'nsfwjs/models/mobilenet_v2';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Classifier } from '../classifier.ts';
import { readClassifierConfig } from '../model-config.ts';
import { DEFAULT_MODEL_CONFIG } from '../paths.ts';
import { channelAffine, prepareImage } from '../preprocess.ts';
import type { ModelServer } from '../server.ts';
import { jpeg, PATTERNS, type PatternName, png } from '../test/images.ts';
import { startTestServer } from '../test/server.ts';
import { tf } from '../test/tfjs.ts';
import { NSFWJS_LABELS } from './nsfwjs.ts';

const CONVERSION_TOLERANCE = 1e-4;
const PIPELINE_TOLERANCE = 1e-3;

type Scores = Readonly<Record<string, number>>;

let classifier: Classifier;
let nsfwjs: NSFWJS;
let reference: tf.LayersModel;

beforeAll(async () => {
  const config = await readClassifierConfig(DEFAULT_MODEL_CONFIG);
  classifier = await Classifier.load(config, { threads: 0 });
  // nsfwjs announces the model it loads on console.info.
  const info = vi.spyOn(console, 'info').mockImplementation(() => undefined);
  try {
    nsfwjs = await load('MobileNetV2', { modelDefinitions: [MobileNetV2Model] });
  } finally {
    info.mockRestore();
  }
  reference = nsfwjs.model as tf.LayersModel;
}, 60_000);

afterAll(async () => {
  await classifier.close();
  nsfwjs.dispose();
});

function largestDifference(a: Scores, b: Scores): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  return Math.max(...Object.keys(a).map((label) => Math.abs((a[label] ?? 0) - (b[label] ?? 0))));
}

describe('the ONNX conversion of nsfwjs MobileNetV2', () => {
  it('matches TensorFlow.js within 1e-4 on several images', { timeout: 60_000 }, async () => {
    const config = classifier.config.input;
    const affine = channelAffine(config);
    const names = Object.keys(PATTERNS) as PatternName[];
    const images = [
      ...(await Promise.all(names.map((name) => png(name)))),
      await jpeg('gradient', 300),
    ];
    const size = classifier.imageSize;
    const batch = new Float32Array(images.length * size);
    await Promise.all(
      images.map((bytes, i) =>
        prepareImage(bytes, `image ${i}`, config, affine, batch.subarray(i * size, (i + 1) * size)),
      ),
    );
    const onnx = await classifier.run(batch, images.length);
    const input = tf.tensor4d(batch, [images.length, config.height, config.width, 3]);
    const expected = (await (reference.predict(input) as tf.Tensor).array()) as number[][];
    input.dispose();

    let maxDiff = 0;
    onnx.forEach((predictions, i) => {
      const row = expected[i] as number[];
      const want = Object.fromEntries(NSFWJS_LABELS.map((label, k) => [label, row[k] as number]));
      const got = Object.fromEntries(predictions.map(({ label, score }) => [label, score]));
      maxDiff = Math.max(maxDiff, largestDifference(got, want));
    });
    expect(onnx).toHaveLength(images.length);
    expect(maxDiff).toBeLessThan(CONVERSION_TOLERANCE);
  });
});

describe("the model server against nsfwjs's reference pipeline", () => {
  let server: ModelServer;

  beforeAll(async () => {
    server = await startTestServer();
    await server.loaded;
  });
  afterAll(() => server.close(0));

  /** `nsfwjs.classify` on the image's decoded pixels, as a browser's <img> would give them. */
  async function nsfwjsScores(bytes: Buffer): Promise<Scores> {
    const { data, info } = await sharp(bytes)
      .rotate()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = tf.tensor3d(data, [info.height, info.width, 3], 'int32');
    try {
      const predictions = await nsfwjs.classify(pixels, NSFWJS_LABELS.length);
      return Object.fromEntries(predictions.map((p) => [p.className, p.probability]));
    } finally {
      pixels.dispose();
    }
  }

  async function serverScores(bytes: Buffer, contentType: string): Promise<Scores> {
    const response = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body: bytes,
    });
    expect(response.status).toBe(200);
    const { predictions } = (await response.json()) as {
      predictions: Array<{ label: string; score: number }>;
    };
    return Object.fromEntries(predictions.map((p) => [p.label, p.score]));
  }

  it.each([
    {
      what: 'a 300 x 200 photo-like JPEG',
      type: 'image/jpeg',
      image: () => jpeg('photo', 300, 200),
    },
    { what: 'a 180 x 320 noise PNG', type: 'image/png', image: () => png('noise', 180, 320) },
    {
      what: 'a 500 x 280 JPEG shown rotated by its EXIF orientation (6)',
      type: 'image/jpeg',
      image: async () =>
        sharp(await jpeg('photo', 500, 280))
          .withMetadata({ orientation: 6 })
          .jpeg({ quality: 95 })
          .toBuffer(),
    },
  ])('answers as nsfwjs.classify does for $what', { timeout: 60_000 }, async ({ type, image }) => {
    const bytes = await image();
    const [got, want] = await Promise.all([serverScores(bytes, type), nsfwjsScores(bytes)]);
    expect(largestDifference(got, want)).toBeLessThan(PIPELINE_TOLERANCE);
  });
});
