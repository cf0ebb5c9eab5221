/**
 * Pieces the benchmark scripts share: a model that answers at once, so only
 * the gateway's own work is timed, and the median of a sample.
 */
import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker-runtime';
import type { RuntimeClient } from '../functions/predict/invoke.ts';

const ANSWER = Buffer.from(JSON.stringify({ predictions: [{ label: 'Neutral', score: 0.9 }] }));

/** Answers every InvokeEndpoint at once, without HTTP, as a classifier would. */
export const instantModel: RuntimeClient = {
  send: async (command: InvokeEndpointCommand) => {
    if (!(command instanceof InvokeEndpointCommand)) throw new Error('unexpected command');
    return {
      Body: ANSWER,
      ContentType: 'application/json',
      InvokedProductionVariant: 'AllTraffic',
      $metadata: {},
    } as unknown as InvokeEndpointCommandOutput;
  },
};

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** `values` as printed in the benchmarks: `median<unit> (min to max)`, `digits` decimals. */
export function medianRange(values: readonly number[], digits: number, unit = ''): string {
  const fixed = (n: number) => n.toFixed(digits);
  return `${fixed(median(values))}${unit} (${fixed(Math.min(...values))} to ${fixed(Math.max(...values))})`;
}
