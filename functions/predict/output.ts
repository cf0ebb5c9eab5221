import { LAMBDA_MAX_RESPONSE_BYTES } from '#shared/aws-facts.ts';
import type { Prediction } from '#shared/contract.ts';
import { GatewayError } from '#shared/errors.ts';

/**
 * How deep the model's JSON may nest: arrays and objects, 64 levels. The
 * answer is serialised again into the response and the logs, which recurse
 * (V8's JSON.stringify overflows its stack a few thousand levels down, and
 * that would be a 500); real outputs nest a few levels (a batch of boxes is
 * 3, an image tensor 4).
 */
export const MODEL_OUTPUT_MAX_DEPTH = 64;

/**
 * The largest answer passed through as `output`: what one Lambda response
 * can hold at all (LAMBDA_MAX_RESPONSE_BYTES). A classifier's answer is cut
 * to top-k, so it is not bounded here.
 */
export const MODEL_OUTPUT_MAX_BYTES = LAMBDA_MAX_RESPONSE_BYTES;

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

/** True when arrays and objects in `json` (valid JSON text) nest deeper than `max`; no recursion. */
function nestsDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > max) return true;
    } else if (code === 0x5d || code === 0x7d) {
      depth--;
    }
  }
  return false;
}

/**
 * Turns the model's answer into `predictions` (sorted by score, top-k) when
 * it is a classifier's, in any of the shapes common containers produce:
 * `{"predictions":[{label,score}]}`, a probability array (with configured
 * labels), or `{label: score}`. Any other JSON is passed through as `output`.
 * BAD_MODEL_OUTPUT: not JSON, nested deeper than MODEL_OUTPUT_MAX_DEPTH, or
 * passed through but larger than MODEL_OUTPUT_MAX_BYTES.
 */
export function mapModelOutput(
  body: Uint8Array,
  labels: readonly string[],
  k: number,
): ModelOutput {
  let parsed: unknown;
  let text: string;
  try {
    text = decoder.decode(body);
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      'The model answered with something that is not JSON.',
      {
        cause,
      },
    );
  }
  if (nestsDeeperThan(text, MODEL_OUTPUT_MAX_DEPTH)) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      `The model answered with JSON nested more than ${MODEL_OUTPUT_MAX_DEPTH} levels deep; the gateway passes at most ${MODEL_OUTPUT_MAX_DEPTH} on.`,
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
  if (body.length > MODEL_OUTPUT_MAX_BYTES) {
    throw new GatewayError(
      'BAD_MODEL_OUTPUT',
      `The model answered with ${body.length} bytes of JSON that is not a classifier's; a Lambda response holds at most ${MODEL_OUTPUT_MAX_BYTES} bytes.`,
    );
  }
  return { output: parsed };
}
