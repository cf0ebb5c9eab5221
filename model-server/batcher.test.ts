import { describe, expect, it } from 'vitest';
import { InferenceQueue } from './batcher.ts';
import { deferred } from './test/server.ts';

/** A runner that records each batch and finishes it only when released. */
function controlledRunner() {
  const runs: Array<{ values: number[]; release: (error?: Error) => void }> = [];
  const run = (inputs: Float32Array, count: number) => {
    const gate = deferred<Error | undefined>();
    runs.push({ values: [...inputs], release: (error) => gate.resolve(error) });
    return gate.promise.then((error) => {
      if (error !== undefined) throw error;
      // One result per image: its first value doubled.
      return Array.from({ length: count }, (_, i) => (inputs[i * 2] as number) * 2);
    });
  };
  return { runs, run };
}

const image = (first: number) => Float32Array.of(first, 0);
const images = (...firsts: number[]) => Float32Array.from(firsts.flatMap((v) => [v, 0]));
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('InferenceQueue', () => {
  it('runs one batch at a time and merges what waits, up to the batch limit', async () => {
    const { runs, run } = controlledRunner();
    const queue = new InferenceQueue(run, 2, 4);
    const a = queue.submit(image(1), 1);
    const b = queue.submit(image(2), 1);
    const c = queue.submit(images(3, 4), 2);
    const d = queue.submit(images(5, 6), 2);
    await tick();
    expect(runs.map((r) => r.values)).toEqual([[1, 0]]);
    runs[0]?.release();
    await tick();
    // b and c fit in 4 images; d would exceed the limit.
    expect(runs.map((r) => r.values)).toEqual([
      [1, 0],
      [2, 0, 3, 0, 4, 0],
    ]);
    runs[1]?.release();
    await tick();
    runs[2]?.release();
    expect(await Promise.all([a, b, c, d])).toEqual([[2], [4], [6, 8], [10, 12]]);
    expect(runs.map((r) => r.values.length / 2)).toEqual([1, 3, 2]);
  });

  it('runs an oversized request alone and fails only the batch that failed', async () => {
    const { runs, run } = controlledRunner();
    const queue = new InferenceQueue(run, 2, 2);
    const first = queue.submit(image(1), 1);
    const big = queue.submit(images(1, 2, 3), 3);
    const after = queue.submit(image(9), 1);
    await tick();
    runs[0]?.release(new Error('onnxruntime failed'));
    await expect(first).rejects.toThrow('onnxruntime failed');
    await tick();
    runs[1]?.release();
    await tick();
    runs[2]?.release();
    expect([await big, await after]).toEqual([[2, 4, 6], [18]]);
  });
});
