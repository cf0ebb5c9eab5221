import type { Prediction } from '#shared/contract.ts';
import { GatewayError } from '#shared/errors.ts';

export type ModelOutput =
  | { readonly predictions: readonly Prediction[] }
  | { readonly output: unknown };

const decoder = new TextDecoder('utf-8', { fatal: true });

function isScore(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isPredictionList(value: unknown): value is Prediction[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as Prediction).label === 'string' &&
        isScore((item as Prediction).score),
    )
  );
}

function isScoreList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every(isScore);
}

function isScoreMap(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const values = Object.values(value);
  return values.length > 0 && values.every(isScore);
}

/** A batch of one (`[[...]]`) is the same as its only item. */
function unwrapSingle(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 && Array.isArray(value[0]) ? value[0] : value;
}

function topK(predictions: readonly Prediction[], k: number): Prediction[] {
  // Stable: equal scores keep the model's order.
  return predictions
    .map(({ label, score }) => ({ label, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

function fromScores(scores: readonly number[], labels: readonly string[]): Prediction[] {
  if (scores.length !== labels.length) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      `The model returned ${scores.length} scores but ${labels.length} labels are configured.`,
    );
  }
  return scores.map((score, i) => ({ label: labels[i] as string, score }));
}

/**
 * Turns the model's answer into `predictions` (sorted by score, top-k) when
 * it is a classifier's, in any of the shapes common containers produce:
 * `{"predictions":[{label,score}]}`, a probability array (with configured
 * labels), or `{label: score}`. Any other JSON is passed through as `output`;
 * anything that is not JSON is a BAD_MODEL_OUTPUT.
 */
export function mapModelOutput(
  body: Uint8Array,
  labels: readonly string[],
  k: number,
): ModelOutput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(body));
  } catch (cause) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      'The model answered with something that is not JSON.',
      {
        cause,
      },
    );
  }
  const candidates: unknown[] = [parsed];
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    for (const key of ['predictions', 'probabilities', 'scores']) {
      if (key in parsed) candidates.unshift((parsed as Record<string, unknown>)[key]);
    }
  }
  for (const candidate of candidates.map(unwrapSingle)) {
    if (isPredictionList(candidate)) return { predictions: topK(candidate, k) };
    if (isScoreList(candidate) && labels.length > 0) {
      return { predictions: topK(fromScores(candidate, labels), k) };
    }
    if (isScoreMap(candidate)) {
      return {
        predictions: topK(
          Object.entries(candidate).map(([label, score]) => ({ label, score })),
          k,
        ),
      };
    }
  }
  return { output: parsed };
}
