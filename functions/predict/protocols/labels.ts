import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Settings } from '#shared/config-kit.ts';
import { DEFAULTS, ENV } from '#shared/predict-env.ts';

/** Most labels a list may hold: ImageNet-21k's 21,843 with room to spare. */
export const MAX_LABELS = 100_000;

function distinct(labels: readonly string[]): boolean {
  return new Set(labels).size === labels.length;
}

/** Labels out of a file's text: a JSON array, `{"labels": [...]}` (classifier.json), or one per line. */
function labelsInFile(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return undefined;
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { labels?: unknown }).labels;
    return Array.isArray(list) && list.every((item) => typeof item === 'string') ? list : undefined;
  }
  return trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

const FILE_EXPECTED =
  'a readable file of distinct labels (a JSON array, a JSON object with a "labels" array, or one label per line)';

/**
 * The model's labels in score order, read once at cold start:
 * MODEL_LABELS (comma-separated, or a JSON array when a label holds a
 * comma) or MODEL_LABELS_FILE (no size limit; nothing in the Lambda's 4 KB
 * environment), never both. A relative file path is resolved against
 * LAMBDA_TASK_ROOT (where the bundle is), else the working directory.
 * @throws ConfigError naming the variable and what was expected
 */
export function loadLabels(read: Settings): readonly string[] {
  const inline = read.optionalString(ENV.modelLabels);
  const file = read.optionalString(ENV.modelLabelsFile);
  if (inline !== undefined && file !== undefined) {
    read.fail(ENV.modelLabelsFile, file, `left out while ${ENV.modelLabels} is set`);
  }
  if (file !== undefined) {
    const root = read.optionalString('LAMBDA_TASK_ROOT') ?? process.cwd();
    const path = isAbsolute(file) ? file : resolve(root, file);
    let labels: string[] | undefined;
    try {
      labels = labelsInFile(readFileSync(path, 'utf8'));
    } catch {
      labels = undefined;
    }
    if (
      labels === undefined ||
      labels.length === 0 ||
      labels.length > MAX_LABELS ||
      labels.some((label) => label.trim() === '') ||
      !distinct(labels)
    ) {
      read.fail(ENV.modelLabelsFile, file, `${FILE_EXPECTED}, at most ${MAX_LABELS}`);
    }
    return Object.freeze(labels);
  }
  if (inline?.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(inline);
    } catch {
      parsed = undefined;
    }
    if (
      !Array.isArray(parsed) ||
      !parsed.every((item) => typeof item === 'string' && item.trim() !== '') ||
      !distinct(parsed)
    ) {
      read.fail(ENV.modelLabels, inline, 'a JSON array of distinct, non-empty strings');
    }
    return Object.freeze(parsed as string[]);
  }
  const labels = read.list(ENV.modelLabels, DEFAULTS.modelLabels);
  if (!distinct(labels)) {
    read.fail(ENV.modelLabels, inline, 'a comma-separated list of distinct labels');
  }
  return labels;
}
