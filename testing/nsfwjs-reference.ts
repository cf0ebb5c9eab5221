/**
 * The embedded model's reference pipeline, as nsfwjs's own `classify` runs
 * it: the decoded, EXIF-oriented image's pixels as float / 255, then
 * `tf.image.resizeBilinear(image, [224, 224], alignCorners=true)` on the
 * full-resolution frame, through the nsfwjs MobileNetV2 weights in
 * TensorFlow.js. What the gateway answers is compared with this.
 *
 * Decoding is sharp's (libvips), written out here rather than shared with
 * the gateway, so the comparison does not reuse the code under test beyond
 * what "decoded" means: orientation applied, sRGB, 8 bits, transparency
 * flattened onto white (nsfwjs itself takes RGB and ignores alpha).
 */
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { loadNsfwjsMobileNetV2, NSFWJS_LABELS } from '../model-server/model/nsfwjs.ts';

tf.enableProdMode();

/** Scores by label, in NSFWJS_LABELS order. */
export type Scores = Readonly<Record<(typeof NSFWJS_LABELS)[number], number>>;

export interface Reference {
  /** The reference scores of an image file. */
  classify(bytes: Buffer): Promise<Scores>;
  dispose(): void;
}

/** Loads the TensorFlow.js model from the weights inside the nsfwjs package (a few seconds). */
export async function loadReference(): Promise<Reference> {
  const source = await loadNsfwjsMobileNetV2();
  const { buffer, byteOffset, byteLength } = source.weightData;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      // biome-ignore lint/suspicious/noExplicitAny: tfjs types its topology loosely (PyJsonDict).
      modelTopology: source.json.modelTopology as any,
      weightSpecs: source.json.weightsManifest[0]?.weights as tf.io.WeightsManifestEntry[],
      weightData: buffer.slice(byteOffset, byteOffset + byteLength) as ArrayBuffer,
    }),
  );
  return {
    async classify(bytes) {
      const { data, info } = await sharp(bytes)
        .rotate()
        .toColourspace('srgb')
        .flatten({ background: '#ffffff' })
        .removeAlpha()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      const values = tf.tidy(() => {
        const image = tf.tensor3d(data, [info.height, info.width, 3], 'int32').toFloat().div(255);
        const resized =
          info.width === 224 && info.height === 224
            ? image
            : tf.image.resizeBilinear(image as tf.Tensor3D, [224, 224], true);
        return (model.predict(resized.reshape([1, 224, 224, 3])) as tf.Tensor).dataSync();
      });
      return Object.fromEntries(
        NSFWJS_LABELS.map((label, i) => [label, values[i] as number]),
      ) as Scores;
    },
    dispose() {
      model.dispose();
    },
  };
}

/** Scores from a `predictions` list ({label, score}, any order, all labels). */
export function scoresOf(predictions: ReadonlyArray<{ label: string; score: number }>): Scores {
  return Object.fromEntries(
    NSFWJS_LABELS.map((label) => [
      label,
      predictions.find((p) => p.label === label)?.score ?? Number.NaN,
    ]),
  ) as Scores;
}

/** The largest absolute difference between two sets of scores. */
export function maxDifference(a: Scores, b: Scores): number {
  return Math.max(...NSFWJS_LABELS.map((label) => Math.abs(a[label] - b[label])));
}

/** The best-scoring label. */
export function topLabel(scores: Scores): string {
  return NSFWJS_LABELS.reduce((best, label) => (scores[label] > scores[best] ? label : best));
}
