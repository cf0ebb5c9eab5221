import { fileURLToPath } from 'node:url';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { ImageInferenceApiStage } from './constructs/image-inference-api.ts';
import type { ModelEndpointMode, ModelEndpointProps } from './constructs/model-endpoint.ts';

/**
 * The app's settings, read from CDK context (`cdk synth -c key=value`, or
 * the `context` of cdk.json) with documented defaults. The defaults live
 * here, not in cdk.json, so an in-process synth (tests, the local gateway)
 * builds the same stack as `npm run synth`.
 */

/** Where `model: asset` builds the model server image from. */
export const MODEL_ASSET_DIRECTORY = fileURLToPath(new URL('../model-server/', import.meta.url));

/** Every context key the app reads, with its default as `-c` would spell it. */
export const CONTEXT_DEFAULTS = {
  /** The CloudFormation stack. */
  stackName: 'ImageInferenceGateway',
  /** Stage names (comma-separated), or a JSON array of stage names or stage objects. */
  stages: 'dev,prod',
  /** The endpoint stages invoke (the local model server's default name). */
  endpointName: 'image-moderation',
  /** `*`, or comma-separated origins like https://example.com. */
  corsOrigins: '*',
  /** The predict Lambda's architecture: arm64 or x86_64. */
  architecture: 'arm64',
  /** none (use the existing endpoint), asset (build model-server/Dockerfile), or an ECR image URI. */
  model: 'none',
  /** s3:// URL of a model.tar.gz for the deployed model. */
  modelDataUrl: '',
  /** serverless or realtime. */
  modelMode: 'serverless',
  /** Real-time instance type. */
  modelInstanceType: 'ml.c6i.large',
  /** Real-time instance count. */
  modelInstanceCount: '1',
  /** Serverless memory, 1024..6144 in steps of 1024. */
  modelMemorySizeMb: '2048',
  /** Serverless concurrent invocations. */
  modelMaxConcurrency: '5',
} as const;

export type ContextKey = keyof typeof CONTEXT_DEFAULTS;

export const CONTEXT_KEYS = Object.keys(CONTEXT_DEFAULTS) as ContextKey[];

export interface AppSettings {
  readonly stackName: string;
  readonly endpointName: string;
  readonly stages: readonly ImageInferenceApiStage[];
  readonly corsOrigins: readonly string[];
  readonly architecture: Architecture;
  /** The model to deploy, or undefined to use the existing endpoint `endpointName`. */
  readonly model: Omit<ModelEndpointProps, 'endpointName'> | undefined;
}

/** A context value the app cannot use; the message names the key, the value and what was expected. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

function fail(key: string, value: unknown, expected: string): never {
  throw new ContextError(
    `Context value ${key} must be ${expected}, but received ${JSON.stringify(value)}`,
  );
}

/** Reads one context value: `-c` gives strings, cdk.json gives JSON values. */
export type ContextReader = (key: string) => unknown;

const STAGE_KEYS = [
  'stageName',
  'endpointName',
  'throttleRateLimitRps',
  'throttleBurstLimit',
  'keyRateLimitRps',
  'keyBurstLimit',
  'quotaLimit',
  'quotaPeriod',
  'apiKeyCount',
] as const;
const NUMERIC_STAGE_KEYS = [
  'throttleRateLimitRps',
  'throttleBurstLimit',
  'keyRateLimitRps',
  'keyBurstLimit',
  'quotaLimit',
  'apiKeyCount',
] as const;
const PERIODS: Readonly<Record<string, Period>> = {
  DAY: Period.DAY,
  WEEK: Period.WEEK,
  MONTH: Period.MONTH,
};

function text(read: ContextReader, key: ContextKey): string {
  const value = read(key) ?? CONTEXT_DEFAULTS[key];
  if (typeof value !== 'string') fail(key, value, 'a string');
  return value.trim();
}

/** A comma-separated string or an array of strings. */
function list(read: ContextReader, key: ContextKey): string[] {
  const value = read(key) ?? CONTEXT_DEFAULTS[key];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null;
  if (items === null || !items.every((item) => typeof item === 'string')) {
    fail(key, value, 'a comma-separated string or an array of strings');
  }
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

/** A whole number, from JSON or from a `-c` string. */
function integer(read: ContextReader, key: ContextKey): number {
  const value = read(key) ?? CONTEXT_DEFAULTS[key];
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isSafeInteger(parsed) || (typeof value === 'string' && !/^\s*\d+\s*$/.test(value))) {
    fail(key, value, 'a whole number');
  }
  return parsed;
}

function stageFromObject(value: unknown, index: number): ImageInferenceApiStage {
  const where = `stages[${index}]`;
  if (typeof value === 'string') return { stageName: value.trim() };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(where, value, 'a stage name or an object with stageName');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(STAGE_KEYS as readonly string[]).includes(key)) {
      fail(`${where}.${key}`, record[key], `left out (a stage has ${STAGE_KEYS.join(', ')})`);
    }
  }
  for (const key of ['stageName', 'endpointName'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      fail(`${where}.${key}`, record[key], 'a string');
    }
  }
  if (typeof record.stageName !== 'string')
    fail(`${where}.stageName`, record.stageName, 'a string');
  for (const key of NUMERIC_STAGE_KEYS) {
    if (record[key] !== undefined && typeof record[key] !== 'number') {
      fail(`${where}.${key}`, record[key], 'a number');
    }
  }
  let quotaPeriod: Period | undefined;
  if (record.quotaPeriod !== undefined) {
    quotaPeriod = PERIODS[String(record.quotaPeriod)];
    if (quotaPeriod === undefined) {
      fail(`${where}.quotaPeriod`, record.quotaPeriod, 'one of DAY, WEEK, MONTH');
    }
  }
  return { ...(record as unknown as ImageInferenceApiStage), quotaPeriod };
}

function stages(read: ContextReader): ImageInferenceApiStage[] {
  let value = read('stages') ?? CONTEXT_DEFAULTS.stages;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      value = JSON.parse(value);
    } catch {
      fail('stages', value, 'valid JSON when it starts with [');
    }
  }
  if (typeof value === 'string') {
    return list(() => value, 'stages').map((stageName) => ({ stageName }));
  }
  if (!Array.isArray(value)) fail('stages', value, 'stage names or a JSON array of stages');
  return value.map(stageFromObject);
}

function architecture(read: ContextReader): Architecture {
  const value = text(read, 'architecture');
  if (value === 'arm64') return Architecture.ARM_64;
  if (value === 'x86_64') return Architecture.X86_64;
  return fail('architecture', value, 'arm64 or x86_64');
}

function model(read: ContextReader): AppSettings['model'] {
  const source = text(read, 'model');
  const modelKeys = CONTEXT_KEYS.filter((key) => key.startsWith('model') && key !== 'model');
  if (source === 'none') {
    for (const key of modelKeys) {
      if (read(key) !== undefined) {
        fail(key, read(key), 'left out while model is none (the endpoint already exists)');
      }
    }
    return undefined;
  }
  const mode = text(read, 'modelMode');
  if (mode !== 'serverless' && mode !== 'realtime') {
    fail('modelMode', mode, 'serverless or realtime');
  }
  const modelDataUrl = text(read, 'modelDataUrl');
  const image =
    source === 'asset' ? { imageAssetDirectory: MODEL_ASSET_DIRECTORY } : { imageUri: source };
  const common = {
    ...image,
    mode: mode as ModelEndpointMode,
    modelDataUrl: modelDataUrl || undefined,
  };
  return mode === 'realtime'
    ? {
        ...common,
        instanceType: text(read, 'modelInstanceType'),
        instanceCount: integer(read, 'modelInstanceCount'),
      }
    : {
        ...common,
        serverlessMemorySizeMb: integer(read, 'modelMemorySizeMb'),
        serverlessMaxConcurrency: integer(read, 'modelMaxConcurrency'),
      };
}

/** Every setting, from the context with the defaults above. */
export function readSettings(read: ContextReader): AppSettings {
  return {
    stackName: text(read, 'stackName'),
    endpointName: text(read, 'endpointName'),
    stages: stages(read),
    corsOrigins: list(read, 'corsOrigins'),
    architecture: architecture(read),
    model: model(read),
  };
}
