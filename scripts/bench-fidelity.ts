/**
 * `npm run bench:fidelity` (part of `npm run bench`): how close `/predict`
 * stays to the embedded model's reference pipeline (nsfwjs in
 * TensorFlow.js), and what the normalisation costs, for the exact profile
 * and for the faster shrink-on-load variant, so a user can choose with
 * numbers. The whole deployed path runs: the local API Gateway, the real
 * handler, the real SDK over HTTP, the model server (ONNX).
 *
 * Targets (issue: model fidelity): the exact profile's worst max |score
 * difference| at most 0.02, and the same top label on every image.
 */
import './quiet.ts';
import { startLocalStack } from '../local/stack.ts';
import { median } from '../testing/bench-support.ts';
import {
  fidelityCases,
  predictViaGateway,
  UNTHROTTLED_CONTEXT,
} from '../testing/fidelity-cases.ts';
import {
  loadReference,
  maxDifference,
  type Scores,
  scoresOf,
  topLabel,
} from '../testing/nsfwjs-reference.ts';

const KEY = 'bench-fidelity-key-000000001';
const TARGET = 0.02;
const REPEATS = 3;

interface Row {
  readonly diff: number;
  readonly agrees: boolean;
  readonly normaliseMs: number;
}

const cases = await fidelityCases();
const reference = await loadReference();
const expected: Scores[] = [];
for (const image of cases) expected.push(await reference.classify(image.bytes));
reference.dispose();

async function measure(functionEnv: Record<string, string>): Promise<Row[]> {
  const stack = await startLocalStack({
    port: 0,
    modelPort: 0,
    apiKey: KEY,
    functionEnv,
    // The measurement, not the usage plan, sets the pace.
    context: UNTHROTTLED_CONTEXT,
  });
  try {
    const rows: Row[] = [];
    for (const [index, image] of cases.entries()) {
      const times: number[] = [];
      let scores: Scores | undefined;
      for (let i = 0; i < REPEATS; i++) {
        const answer = await predictViaGateway(stack.url, KEY, image);
        scores = scoresOf(answer.predictions);
        times.push(answer.normaliseMs);
      }
      const want = expected[index] as Scores;
      rows.push({
        diff: maxDifference(want, scores as Scores),
        agrees: topLabel(want) === topLabel(scores as Scores),
        normaliseMs: median(times),
      });
    }
    return rows;
  } finally {
    await stack.stop();
  }
}

function summary(name: string, rows: readonly Row[], target?: number): string {
  const worst = Math.max(...rows.map((r) => r.diff));
  const agree = rows.filter((r) => r.agrees).length;
  const cost = median(rows.map((r) => r.normaliseMs));
  const slowest = Math.max(...rows.map((r) => r.normaliseMs));
  const verdict =
    target === undefined
      ? ''
      : `  (target <= ${target} and ${rows.length}/${rows.length}: ${worst <= target && agree === rows.length ? 'met' : 'NOT met'})`;
  return `${name.padEnd(34)} worst |diff| ${worst.toFixed(5)}  top-1 ${agree}/${rows.length}  normalise median ${cost.toFixed(1)} ms (slowest ${slowest.toFixed(1)} ms)${verdict}`;
}

const exact = await measure({});
const shrink = await measure({ MODEL_INPUT_SHRINK_ON_LOAD: 'true' });
console.log(
  `fidelity against nsfwjs's reference pipeline, ${cases.length} images (${cases.map((c) => c.name).join(', ')})`,
);
for (const [index, image] of cases.entries()) {
  const a = exact[index] as Row;
  const b = shrink[index] as Row;
  console.log(
    `  ${image.name.padEnd(22)} exact ${a.diff.toFixed(5)} ${a.normaliseMs.toFixed(1).padStart(6)} ms   shrink-on-load ${b.diff.toFixed(5)} ${b.normaliseMs.toFixed(1).padStart(6)} ms`,
  );
}
console.log(summary('exact profile (nsfwjs-mobilenet-v2)', exact, TARGET));
console.log(summary('with shrink-on-load', shrink));
