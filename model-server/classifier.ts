/**
 * An ONNX image classifier on onnxruntime-node (CPU): checks at load that
 * the model and its classifier.json agree, runs batches of prepared input
 * tensors and turns the output into labelled, sorted scores.
 */
import * as ort from 'onnxruntime-node';
import type { Prediction } from '#shared/contract.ts';
import type { ClassifierConfig } from './model-config.ts';
import { imageSize } from './preprocess.ts';

/**
 * Most images per onnxruntime run. On CPU a larger batch is no faster per
 * image (measured here: 1 -> 4.1 ms, 2 -> 3.9 ms, 8 -> 4.8 ms, 16 -> 4.3 ms)
 * but holds every image's activations at once (about 15 MB each for
 * MobileNetV2 at 224 px, kept by onnxruntime's arena), so larger batches
 * are split.
 */
export const MAX_RUN_BATCH = 2;

export interface LoadOptions {
  /** onnxruntime intra-op threads; 0 = onnxruntime's default (one per core). */
  readonly threads: number;
}

/** The model and its description disagree, or the model cannot be loaded. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

function tensorMetadata(
  list: readonly ort.InferenceSession.ValueMetadata[],
  wanted: string | undefined,
  what: string,
  file: string,
): ort.InferenceSession.TensorValueMetadata {
  const found = wanted === undefined ? list[0] : list.find((value) => value.name === wanted);
  if (found === undefined) {
    throw new ModelLoadError(
      `${file} has no ${what} ${wanted ?? ''}; it has ${list.map((v) => v.name).join(', ')}`,
    );
  }
  if (!found.isTensor || found.type !== 'float32') {
    throw new ModelLoadError(`${file}: ${what} ${found.name} is not a float32 tensor`);
  }
  return found;
}

function matches(dim: number | string | undefined, expected: number): boolean {
  // Symbolic (string) or unknown (-1) dimensions accept any size.
  return typeof dim === 'string' || dim === -1 || dim === expected;
}

function softmax(values: Float32Array): Float32Array {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((v) => v / sum);
}

export class Classifier {
  /** Images per onnxruntime run: MAX_RUN_BATCH, or 1 when the model's batch dimension is fixed at 1. */
  readonly maxRunBatch: number;
  readonly imageSize: number;
  private readonly inputName: string;
  private readonly outputName: string;
  private readonly dims: readonly number[];
  readonly config: ClassifierConfig;
  private readonly session: ort.InferenceSession;

  private constructor(config: ClassifierConfig, session: ort.InferenceSession) {
    this.config = config;
    this.session = session;
    const file = config.modelPath;
    const input = tensorMetadata(session.inputMetadata, config.input.name, 'input', file);
    const output = tensorMetadata(session.outputMetadata, config.output.name, 'output', file);
    const { width, height, layout } = config.input;
    this.dims = layout === 'NHWC' ? [height, width, 3] : [3, height, width];
    if (input.shape.length !== 4 || !this.dims.every((d, i) => matches(input.shape[i + 1], d))) {
      throw new ModelLoadError(
        `${file}: input ${input.name} has shape [${input.shape.join(', ')}], but classifier.json describes ${layout} [batch, ${this.dims.join(', ')}]`,
      );
    }
    const classes = config.labels.length;
    if (output.shape.length !== 2 || !matches(output.shape[1], classes)) {
      throw new ModelLoadError(
        `${file}: output ${output.name} has shape [${output.shape.join(', ')}], but classifier.json lists ${classes} labels`,
      );
    }
    this.inputName = input.name;
    this.outputName = output.name;
    this.maxRunBatch = input.shape[0] === 1 ? 1 : MAX_RUN_BATCH;
    this.imageSize = imageSize(config.input);
  }

  static async load(config: ClassifierConfig, options: LoadOptions): Promise<Classifier> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(config.modelPath, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: options.threads,
        // onnxruntime's intra-op threads busy-wait for the next operator by
        // default. Requests come one at a time with gaps between them, so a
        // spinning thread burns a core for nothing; under `npm start` that
        // core is the gateway's and sharp's (bench:local: 60 -> 78 req/s
        // through sharp and the model, one image's inference no slower).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (error) {
      throw new ModelLoadError(`Cannot load the ONNX model ${config.modelPath}`, { cause: error });
    }
    const classifier = new Classifier(config, session);
    // The first runs allocate and tune; do them before /ping says ready.
    const warmUp = new Float32Array(classifier.imageSize);
    for (let i = 0; i < 3; i++) await classifier.run(warmUp, 1);
    return classifier;
  }

  /**
   * Runs `count` images laid out back to back in `inputs`; returns one list
   * of predictions per image, best first, top-K of the config.
   */
  async run(inputs: Float32Array, count: number): Promise<Prediction[][]> {
    if (count > this.maxRunBatch) {
      const results: Prediction[][] = [];
      for (let first = 0; first < count; first += this.maxRunBatch) {
        const chunk = Math.min(this.maxRunBatch, count - first);
        const slice = inputs.subarray(first * this.imageSize, (first + chunk) * this.imageSize);
        results.push(...(await this.run(slice, chunk)));
      }
      return results;
    }
    const feeds = { [this.inputName]: new ort.Tensor('float32', inputs, [count, ...this.dims]) };
    const outputs = await this.session.run(feeds, [this.outputName]);
    const output = outputs[this.outputName];
    const classes = this.config.labels.length;
    if (output === undefined || output.data.length !== count * classes) {
      throw new Error(
        `The model produced ${output?.data.length ?? 0} values, expected ${count * classes}`,
      );
    }
    const data = output.data as Float32Array;
    const results: Prediction[][] = [];
    for (let i = 0; i < count; i++) {
      results.push(this.predictions(data.subarray(i * classes, (i + 1) * classes)));
    }
    return results;
  }

  private predictions(raw: Float32Array): Prediction[] {
    const { activation, topK } = this.config.output;
    const scores =
      activation === 'softmax'
        ? softmax(raw)
        : activation === 'sigmoid'
          ? raw.map((v) => 1 / (1 + Math.exp(-v)))
          : raw;
    return this.config.labels
      .map((label, index) => ({ label, score: scores[index] as number }))
      .sort((a, b) => b.score - a.score)
      .slice(0, topK);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
