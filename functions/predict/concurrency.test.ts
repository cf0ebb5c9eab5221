import { describe, expect, it } from 'vitest';
import { mapLimit } from './concurrency.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapLimit', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < n; i++) await tick();
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('stops starting tasks after a failure, aborts the running ones and throws the first failure', async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const failure = new Error('boom');
    await expect(
      mapLimit([0, 1, 2, 3, 4], 2, async (n, _i, signal) => {
        started.push(n);
        if (n === 0) {
          await tick();
          throw failure;
        }
        for (let i = 0; i < 5; i++) await tick();
        if (signal.aborted) aborted.push(n);
        return n;
      }),
    ).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(aborted).toEqual([1]);
  });

  it('handles an empty list', async () => {
    expect(await mapLimit([], 3, async () => 1)).toEqual([]);
  });
});
