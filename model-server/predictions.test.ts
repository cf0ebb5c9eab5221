/**
 * Sensible answers from the bundled model on generated images: nothing
 * innocuous is called explicit, and featureless images read as drawings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelServer } from './server.ts';
import { type PatternName, png } from './test/images.ts';
import { startTestServer } from './test/server.ts';

let server: ModelServer;

beforeAll(async () => {
  server = await startTestServer();
  await server.loaded;
});
afterAll(() => server.close(0));

async function classify(pattern: PatternName) {
  const response = await fetch(`${server.url}/invocations`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/png' },
    body: await png(pattern),
  });
  const { predictions } = (await response.json()) as {
    predictions: Array<{ label: string; score: number }>;
  };
  return Object.fromEntries(predictions.map((p) => [p.label, p.score]));
}

describe('predictions of the bundled model', () => {
  it.each([
    { pattern: 'grey', top: 'Drawing' },
    { pattern: 'white', top: 'Drawing' },
    { pattern: 'gradient', top: 'Drawing' },
    { pattern: 'checkerboard', top: 'Neutral' },
    { pattern: 'noise', top: 'Neutral' },
  ] as const)('reads a $pattern image as $top, and not as explicit', async ({ pattern, top }) => {
    const scores = await classify(pattern);
    const best = Object.entries(scores).sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(best).toBe(top);
    expect((scores.Porn ?? 1) + (scores.Hentai ?? 1) + (scores.Sexy ?? 1)).toBeLessThan(0.1);
  });
});
