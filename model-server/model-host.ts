/**
 * Holds the model through its life: loading (the server already answers,
 * `/ping` says not ready), ready, or failed to load. Everything that needs
 * the model asks the host, so readiness has one source.
 */
import type { Prediction } from '#shared/contract.ts';
import { InferenceQueue } from './batcher.ts';
import type { Classifier } from './classifier.ts';
import { type ChannelAffine, channelAffine } from './preprocess.ts';

export type ModelStatus = 'loading' | 'ready' | 'failed';

export interface LoadedModel {
  readonly classifier: Classifier;
  readonly queue: InferenceQueue<Prediction[]>;
  /** The input spec's scale, mean and std per channel, computed once. */
  readonly affine: ChannelAffine;
}

export class ModelHost {
  private state:
    | { readonly status: 'loading' }
    | { readonly status: 'ready'; readonly model: LoadedModel }
    | { readonly status: 'failed'; readonly error: unknown } = { status: 'loading' };
  private closed = false;
  private readonly maxBatchSize: number;

  constructor(maxBatchSize: number) {
    this.maxBatchSize = maxBatchSize;
  }

  get status(): ModelStatus {
    return this.state.status;
  }

  /** The model when ready, else undefined. */
  get model(): LoadedModel | undefined {
    return this.state.status === 'ready' ? this.state.model : undefined;
  }

  get failure(): unknown {
    return this.state.status === 'failed' ? this.state.error : undefined;
  }

  /** Loads with `load`; never rejects: a failure is kept and reported by `/ping`. */
  async start(load: () => Promise<Classifier>): Promise<void> {
    try {
      const classifier = await load();
      if (this.closed) {
        await classifier.close();
        return;
      }
      const batch = Math.min(this.maxBatchSize, classifier.maxRunBatch);
      const queue = new InferenceQueue<Prediction[]>(
        (inputs, count) => classifier.run(inputs, count),
        classifier.imageSize,
        batch,
      );
      this.state = {
        status: 'ready',
        model: { classifier, queue, affine: channelAffine(classifier.config.input) },
      };
    } catch (error) {
      this.state = { status: 'failed', error };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.model?.classifier.close();
  }
}
