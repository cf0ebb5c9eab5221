import {
  DEFAULTS,
  ENDPOINT_CONTENT_TYPES,
  ENV,
  type EndpointContentType,
  RESIZE_FITS,
  type ResizeFit,
} from './env.ts';

/** Limits of one upload, enforced while parsing and decoding. */
export interface UploadLimits {
  readonly maxFiles: number;
  readonly maxFileBytes: number;
  readonly maxFields: number;
  readonly maxFieldBytes: number;
  readonly maxParts: number;
  readonly maxPartHeaderPairs: number;
  readonly maxInputPixels: number;
}

/** How an image is turned into what the model receives. */
export interface NormaliseOptions {
  readonly widthPx: number;
  readonly heightPx: number;
  readonly fit: ResizeFit;
  readonly background: string;
  readonly jpegQuality: number;
  readonly maxInputPixels: number;
}

export interface Config {
  readonly endpointName: string;
  readonly targetVariant: string | undefined;
  readonly endpointContentType: EndpointContentType;
  readonly limits: UploadLimits;
  readonly normalise: NormaliseOptions;
  readonly modelLabels: readonly string[];
  readonly topK: number;
  readonly invokeConcurrency: number;
  readonly invokeMaxAttempts: number;
  readonly deadlineMarginMs: number;
  readonly retryAfterSeconds: number;
  readonly corsAllowOrigins: readonly string[];
}

/** Thrown once, at cold start, when the environment is unusable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, key: keyof typeof ENV): string | undefined {
  const value = env[ENV[key]];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function fail(key: keyof typeof ENV, value: string, expected: string): never {
  throw new ConfigError(
    `Environment variable ${ENV[key]} must be ${expected}, but received ${JSON.stringify(value)}`,
  );
}

function integer(env: Env, key: keyof typeof ENV, fallback: number, min: number, max: number) {
  const value = raw(env, key);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    fail(key, value, `an integer from ${min} to ${max}`);
  }
  return parsed;
}

function oneOf<T extends string>(
  env: Env,
  key: keyof typeof ENV,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = raw(env, key);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    fail(key, value, `one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function list(env: Env, key: keyof typeof ENV, fallback: readonly string[]): readonly string[] {
  const value = raw(env, key);
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

// SageMaker's own patterns: endpoint names and variant names.
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

/** True when `name` is a valid SageMaker endpoint name (1..63 chars). */
export function isEndpointName(name: string): boolean {
  return name.length <= 63 && ENDPOINT_NAME.test(name);
}

/**
 * Reads and validates the function's configuration. Called once per container
 * (cold start); messages name the variable, the value and what was expected.
 */
export function loadConfig(env: Env = process.env): Config {
  const endpointName = raw(env, 'endpointName');
  if (endpointName === undefined) {
    throw new ConfigError(
      `Environment variable ${ENV.endpointName} must name the SageMaker endpoint, but it is not set`,
    );
  }
  if (!isEndpointName(endpointName)) {
    fail('endpointName', endpointName, 'a SageMaker endpoint name (1-63 of a-z A-Z 0-9 -)');
  }
  const targetVariant = raw(env, 'targetVariant');
  if (targetVariant !== undefined && !isEndpointName(targetVariant)) {
    fail('targetVariant', targetVariant, 'a production variant name (1-63 of a-z A-Z 0-9 -)');
  }
  const background = raw(env, 'flattenBackground') ?? DEFAULTS.flattenBackground;
  if (!/^#[0-9a-fA-F]{6}$/.test(background)) {
    fail('flattenBackground', background, 'a colour as #rrggbb');
  }
  const modelLabels = list(env, 'modelLabels', DEFAULTS.modelLabels);
  if (new Set(modelLabels).size !== modelLabels.length) {
    fail('modelLabels', raw(env, 'modelLabels') ?? '', 'a comma-separated list of distinct labels');
  }
  const corsAllowOrigins = list(env, 'corsAllowOrigins', DEFAULTS.corsAllowOrigins);
  for (const origin of corsAllowOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      fail('corsAllowOrigins', origin, '* or origins like https://example.com (no path)');
    }
  }
  const maxInputPixels = integer(env, 'maxInputPixels', DEFAULTS.maxInputPixels, 1, 2 ** 32 - 1);
  return Object.freeze({
    endpointName,
    targetVariant,
    endpointContentType: oneOf(
      env,
      'endpointContentType',
      ENDPOINT_CONTENT_TYPES,
      DEFAULTS.endpointContentType,
    ),
    limits: Object.freeze({
      maxFiles: integer(env, 'maxFiles', DEFAULTS.maxFiles, 1, 64),
      maxFileBytes: integer(env, 'maxFileBytes', DEFAULTS.maxFileBytes, 1, 10 * 1024 * 1024),
      maxFields: integer(env, 'maxFields', DEFAULTS.maxFields, 0, 256),
      maxFieldBytes: integer(env, 'maxFieldBytes', DEFAULTS.maxFieldBytes, 1, 1024 * 1024),
      maxParts: integer(env, 'maxParts', DEFAULTS.maxParts, 1, 512),
      maxPartHeaderPairs: integer(env, 'maxPartHeaderPairs', DEFAULTS.maxPartHeaderPairs, 1, 64),
      maxInputPixels,
    }),
    normalise: Object.freeze({
      widthPx: integer(env, 'modelInputWidthPx', DEFAULTS.modelInputWidthPx, 1, 4096),
      heightPx: integer(env, 'modelInputHeightPx', DEFAULTS.modelInputHeightPx, 1, 4096),
      fit: oneOf<ResizeFit>(env, 'resizeFit', RESIZE_FITS, DEFAULTS.resizeFit),
      background: background.toLowerCase(),
      jpegQuality: integer(env, 'jpegQuality', DEFAULTS.jpegQuality, 1, 100),
      maxInputPixels,
    }),
    modelLabels,
    topK: integer(env, 'topK', DEFAULTS.topK, 1, 1000),
    invokeConcurrency: integer(env, 'invokeConcurrency', DEFAULTS.invokeConcurrency, 1, 64),
    invokeMaxAttempts: integer(env, 'invokeMaxAttempts', DEFAULTS.invokeMaxAttempts, 1, 10),
    deadlineMarginMs: integer(env, 'deadlineMarginMs', DEFAULTS.deadlineMarginMs, 0, 28_000),
    retryAfterSeconds: integer(env, 'retryAfterSeconds', DEFAULTS.retryAfterSeconds, 1, 3600),
    corsAllowOrigins,
  });
}
