/**
 * Serialises inference and merges what waits. One onnxruntime run at a
 * time already uses every core, so concurrent runs would only contend;
 * requests that arrive during a run join the next one (up to `maxBatch`
 * images), first come first served.
 */

export type BatchRunner<T> = (inputs: Float32Array, count: number) => Promise<T[]>;

interface Job<T> {
  readonly inputs: Float32Array;
  readonly count: number;
  readonly resolve: (results: T[]) => void;
  readonly reject: (error: unknown) => void;
}

export class InferenceQueue<T> {
  private readonly waiting: Job<T>[] = [];
  private running = false;
  private readonly run: BatchRunner<T>;
  private readonly imageSize: number;
  private readonly maxBatch: number;

  constructor(run: BatchRunner<T>, imageSize: number, maxBatch: number) {
    this.run = run;
    this.imageSize = imageSize;
    this.maxBatch = maxBatch;
  }

  /** Queues `count` images (back to back in `inputs`); resolves with one result per image. */
  submit(inputs: Float32Array, count: number): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ inputs, count, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private takeBatch(): Job<T>[] {
    const jobs = [this.waiting.shift() as Job<T>];
    let images = jobs[0]?.count ?? 0;
    while (this.waiting.length > 0 && images + (this.waiting[0]?.count ?? 0) <= this.maxBatch) {
      const job = this.waiting.shift() as Job<T>;
      jobs.push(job);
      images += job.count;
    }
    return jobs;
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const jobs = this.takeBatch();
      try {
        const results = await this.runJobs(jobs);
        let offset = 0;
        for (const job of jobs) {
          job.resolve(results.slice(offset, offset + job.count));
          offset += job.count;
        }
      } catch (error) {
        for (const job of jobs) job.reject(error);
      }
    }
    this.running = false;
  }

  private runJobs(jobs: Job<T>[]): Promise<T[]> {
    const [only] = jobs;
    if (jobs.length === 1 && only !== undefined) return this.run(only.inputs, only.count);
    const count = jobs.reduce((sum, job) => sum + job.count, 0);
    const merged = new Float32Array(count * this.imageSize);
    let offset = 0;
    for (const job of jobs) {
      merged.set(job.inputs, offset);
      offset += job.inputs.length;
    }
    return this.run(merged, count);
  }
}
