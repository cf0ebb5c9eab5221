import { LAMBDA_MAX_RESPONSE_BYTES } from '#shared/aws-facts.ts';
import type { Prediction } from '#shared/contract.ts';
import { resolveJsonPointer } from '#shared/endpoint-protocol/json-pointer.ts';
import type { OutputMode } from '#shared/endpoint-protocol/presets.ts';
import { GatewayError } from '#shared/errors.ts';
import { parseTolerantJson } from './model-json.ts';

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

/**
 * The answer as the response carries it: labelled scores, or the model's
 * JSON; `warnings` says what the gateway had to tolerate or could not give
 * (non-finite scores, fewer results than TOP_K asked for).
 */
export type ModelOutput =
  | { readonly predictions: readonly Prediction[]; readonly warnings?: readonly string[] }
  | { readonly output: unknown; readonly warnings?: readonly string[] };

/** How an answer is read: built once from the configuration, used per invocation. */
export interface AnswerReading {
  readonly mode: OutputMode;
  /** Configured labels, in score order (MODEL_LABELS, MODEL_LABELS_FILE). */
  readonly labels: readonly string[];
  readonly topK: number;
  /** Say so when fewer than `topK` results come back (TOP_K was set explicitly). */
  readonly reportShortTopK: boolean;
  /** Parsed RFC 6901 pointer to the scores, or undefined to recognise common shapes. */
  readonly scoresAt: readonly string[] | undefined;
  /** Parsed RFC 6901 pointer to the labels, or undefined. */
  readonly labelsAt: readonly string[] | undefined;
}

/** Default reading: classification of the common shapes, no pointers. */
export function defaultReading(labels: readonly string[], topK: number): AnswerReading {
  return {
    mode: 'classification',
    labels,
    topK,
    reportShortTopK: false,
    scoresAt: undefined,
    labelsAt: undefined,
  };
}

function isScore(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A score slot: a finite number, or what NaN/Infinity became (null, or a non-finite number). */
function isScoreSlot(value: unknown): value is number | null {
  return value === null || typeof value === 'number';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `[{label, score}]` (Hugging Face, the embedded model) or `[{class, probability}]` (MXNet). */
function predictionItems(value: unknown): Array<[string, number | null]> | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const items: Array<[string, number | null]> = [];
  for (const item of value) {
    if (!isRecord(item)) return undefined;
    const label = item.label ?? item.class;
    const score = item.score ?? item.probability;
    if (typeof label !== 'string' || !isScoreSlot(score)) return undefined;
    items.push([label, score]);
  }
  return items;
}

/** Numbers, of which NaN and Infinity may have become null; rankScores refuses a list with no finite one. */
function isScoreList(value: unknown): value is Array<number | null> {
  return Array.isArray(value) && value.length > 0 && value.every(isScoreSlot);
}

function isLabelList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

/** A batch of one (`[[...]]`, `[{...}]`) is the same as its only item. */
function unwrapSingle(value: unknown): unknown {
  return Array.isArray(value) &&
    value.length === 1 &&
    (Array.isArray(value[0]) || isRecord(value[0]))
    ? value[0]
    : value;
}

/** Keys under which containers put scores, most specific first. */
const SCORE_KEYS = ['predictions', 'probabilities', 'probs', 'scores', 'prediction'] as const;
/** Keys whose presence marks a detector's answer: its classes index boxes, not labels. */
const DETECTION_KEYS = ['normalized_boxes', 'boxes', 'bboxes', 'bounding_boxes'] as const;

function bad(detail: string): GatewayError {
  return new GatewayError('BAD_MODEL_OUTPUT', detail);
}

/**
 * Ranks labelled scores: drops (and reports) the ones that are not finite,
 * sorts (stable: equal scores keep the model's order) and cuts to top-k.
 * @throws BAD_MODEL_OUTPUT when no score is a finite number
 */
export function rankScores(
  pairs: ReadonlyArray<readonly [string, number | null]>,
  reading: AnswerReading,
): ModelOutput {
  const finite: Prediction[] = [];
  const dropped: string[] = [];
  for (const [label, score] of pairs) {
    if (isScore(score)) finite.push({ label, score });
    else dropped.push(label);
  }
  if (finite.length === 0) {
    throw bad(`None of the model's ${pairs.length} scores is a finite number.`);
  }
  const predictions = finite.sort((a, b) => b.score - a.score).slice(0, reading.topK);
  const warnings: string[] = [];
  if (dropped.length > 0) {
    warnings.push(
      `${dropped.length} of the model's scores were not finite numbers (NaN, Infinity or null) and are left out: ${dropped.join(', ')}.`,
    );
  }
  if (reading.reportShortTopK && predictions.length < reading.topK) {
    warnings.push(
      `TOP_K is ${reading.topK} but the model gave ${predictions.length} finite scores; all ${predictions.length} are returned.`,
    );
  }
  return warnings.length === 0 ? { predictions } : { predictions, warnings };
}

/** Pairs scores with labels, which must be as many. */
export function labelScores(
  scores: ArrayLike<number | null>,
  labels: readonly string[],
  source: string,
): Array<[string, number | null]> {
  if (scores.length !== labels.length) {
    throw bad(`The model returned ${scores.length} scores but ${labels.length} labels ${source}.`);
  }
  return Array.from(labels, (label, i) => [label, scores[i] ?? null]);
}

/**
 * `{label: score}`. TorchServe's image_classifier answers class indexes as
 * keys (`{"281": 0.4}`) when its archive has no index_to_name.json: with
 * configured labels, index keys name those labels.
 */
function scoreMap(
  value: Record<string, unknown>,
  labels: readonly string[],
): Array<[string, number | null]> | undefined {
  const entries = Object.entries(value);
  if (entries.length === 0 || !entries.every(([, v]) => isScoreSlot(v))) return undefined;
  if (!entries.some(([, v]) => isScore(v))) return undefined;
  const indexed = labels.length > 0 && entries.every(([key]) => /^(0|[1-9]\d*)$/.test(key));
  return entries.map(([key, score]) => {
    if (!indexed) return [key, score as number | null];
    const label = labels[Number(key)];
    if (label === undefined) {
      throw bad(`The model scored class ${key} but ${labels.length} labels are configured.`);
    }
    return [label, score as number | null];
  });
}

/** The first classifier shape found in `value`, or undefined. */
function recognise(
  value: unknown,
  labels: readonly string[],
): Array<[string, number | null]> | undefined {
  const candidates: unknown[] = [value];
  let answerLabels: unknown;
  const top = unwrapSingle(value);
  if (isRecord(top)) {
    if (DETECTION_KEYS.some((key) => key in top)) return undefined;
    for (const key of [...SCORE_KEYS].reverse()) {
      if (key in top) candidates.unshift(top[key]);
    }
    // JumpStart's verbose answer and TF multi-output name the labels beside the scores.
    answerLabels = top.labels ?? (isLabelList(top.classes) ? top.classes : undefined);
  }
  for (const raw of candidates) {
    const direct = predictionItems(raw);
    if (direct?.some(([, score]) => isScore(score))) return direct;
    const candidate = unwrapSingle(raw);
    const items = predictionItems(candidate);
    if (items?.some(([, score]) => isScore(score))) return items;
    if (isScoreList(candidate)) {
      if (isLabelList(answerLabels)) return labelScores(candidate, answerLabels, 'in its answer');
      if (labels.length > 0) return labelScores(candidate, labels, 'are configured');
      continue;
    }
    if (isRecord(candidate)) {
      const nested = SCORE_KEYS.find((key) => key in candidate);
      if (nested !== undefined && candidate !== top) {
        const inner = recognise(candidate, labels);
        if (inner !== undefined) return inner;
      }
      const map = scoreMap(candidate, labels);
      if (map !== undefined) return map;
    }
  }
  return undefined;
}

/** Scores (and labels) where the configured pointers say. */
function pointed(value: unknown, reading: AnswerReading): Array<[string, number | null]> {
  const scoresAt = reading.scoresAt as readonly string[];
  const scores = unwrapSingle(resolveJsonPointer(value, scoresAt));
  const where = `/${scoresAt.join('/')}`;
  if (!isScoreList(scores)) {
    const map = isRecord(scores) ? scoreMap(scores, reading.labels) : undefined;
    if (map !== undefined) return map;
    throw bad(`The model's answer has no list of scores at ${where} (MODEL_SCORES_POINTER).`);
  }
  if (reading.labelsAt !== undefined) {
    const labels = unwrapSingle(resolveJsonPointer(value, reading.labelsAt));
    if (isLabelList(labels)) return labelScores(scores, labels, 'in its answer');
    if (reading.labels.length === 0) {
      throw bad(
        `The model's answer has no list of labels at /${reading.labelsAt.join('/')} (MODEL_LABELS_POINTER).`,
      );
    }
  }
  if (reading.labels.length === 0) {
    throw bad(`The model's scores at ${where} come without labels, and none are configured.`);
  }
  return labelScores(scores, reading.labels, 'are configured');
}

/**
 * Reads a parsed answer: in `passthrough` mode, or when it is not a
 * classifier's, the JSON as `output` (bounded by MODEL_OUTPUT_MAX_BYTES);
 * else labelled scores, sorted, top-k.
 */
export function readAnswer(
  value: unknown,
  bytes: number,
  nonFinite: number,
  reading: AnswerReading,
): ModelOutput {
  if (reading.mode === 'classification') {
    const pairs =
      reading.scoresAt === undefined ? recognise(value, reading.labels) : pointed(value, reading);
    if (pairs !== undefined) return rankScores(pairs, reading);
  }
  if (bytes > MODEL_OUTPUT_MAX_BYTES) {
    throw bad(
      `The model answered with ${bytes} bytes of JSON that is not a classifier's; a Lambda response holds at most ${MODEL_OUTPUT_MAX_BYTES} bytes.`,
    );
  }
  return nonFinite === 0
    ? { output: value }
    : {
        output: value,
        warnings: [
          `The model's answer held ${nonFinite} non-finite numbers (NaN or Infinity), which JSON cannot carry; they are null in output.`,
        ],
      };
}

/**
 * Turns the model's JSON answer into `predictions` (sorted by score, top-k)
 * when it is a classifier's, in any of the shapes common containers produce
 * (`{"predictions":[{label,score}]}`, `[{class, probability}]`, a score
 * array with labels configured or beside it, `{label or index: score}`,
 * under `predictions`, `probabilities`, `probs`, `scores` or `prediction`),
 * or where the reading's pointers say. Detector answers and anything else
 * pass through as `output`. NaN and Infinity (Python's and TF Serving's
 * JSON) are tolerated and reported in `warnings`.
 * BAD_MODEL_OUTPUT: not JSON, nested deeper than MODEL_OUTPUT_MAX_DEPTH,
 * labels and scores that disagree, or passed through but larger than
 * MODEL_OUTPUT_MAX_BYTES.
 */
export function mapModelOutput(
  body: Uint8Array,
  labels: readonly string[],
  k: number,
  reading: AnswerReading = defaultReading(labels, k),
): ModelOutput {
  const { value, nonFinite } = parseTolerantJson(body, MODEL_OUTPUT_MAX_DEPTH);
  return readAnswer(value, body.length, nonFinite, reading);
}
