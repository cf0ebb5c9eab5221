import { Duration, Token } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import {
  API_GATEWAY_ACCOUNT_BURST_LIMIT,
  API_GATEWAY_ACCOUNT_RATE_LIMIT_RPS,
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_STAGE_NAME,
  LAMBDA_MAX_MEMORY_MB,
  LAMBDA_MIN_MEMORY_MB,
  STAGE_NAME_RULE,
} from '#shared/aws-facts.ts';
import { BINARY_MEDIA_TYPES } from '#shared/contract.ts';
import { type ModelInputProfile, profileFromSetting } from '#shared/model-input/profile.ts';
import { type ConfigKey, DEFAULTS, ENV } from '#shared/predict-env.ts';
import { checkEndpointName, checkInteger, checkNumber, fail, show } from './validate.ts';

/**
 * ImageInferenceApi's props: their shapes, their defaults (one object each,
 * the same values as the `@default` tags) and the checks that turn them
 * into resolved options or a PropsError naming the prop.
 */

/** One deployment stage: its URL prefix, endpoint, limits and keys. */
export interface ImageInferenceApiStage {
  /** The stage name, the first segment of the URL path (`/dev/predict`). */
  readonly stageName: string;
  /**
   * The SageMaker endpoint this stage invokes (stage variable `endpointName`).
   * @default - the API's `endpointName`
   */
  readonly endpointName?: string;
  /**
   * Steady requests per second for the whole stage (method throttling on `/*` `/*`).
   * @default 50
   */
  readonly throttleRateLimitRps?: number;
  /**
   * Requests the whole stage may take at once above the steady rate.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Steady requests per second per API key (the stage's usage plan).
   * @default 10
   */
  readonly keyRateLimitRps?: number;
  /**
   * Burst per API key (the stage's usage plan).
   * @default 20
   */
  readonly keyBurstLimit?: number;
  /**
   * Requests per API key per `quotaPeriod`.
   * @default 10000
   */
  readonly quotaLimit?: number;
  /**
   * The period `quotaLimit` counts over.
   * @default apigw.Period.DAY
   */
  readonly quotaPeriod?: apigw.Period;
  /**
   * API keys generated for the stage's usage plan. Their values are generated
   * by API Gateway and never appear in the template.
   * @default 1
   */
  readonly apiKeyCount?: number;
}

export interface ImageInferenceApiProps {
  /** The SageMaker endpoint stages invoke unless they name their own. */
  readonly endpointName: string;
  /**
   * The deployment stages.
   * @default - `dev` and `prod`, each with the default limits
   */
  readonly stages?: readonly ImageInferenceApiStage[];
  /**
   * Origins browsers may call from: `['*']`, or origins like `https://example.com`.
   * @default ['*']
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Request types that reach the Lambda base64-encoded (and pass through
   * `/invocations` as bytes). Must cover `multipart/form-data`.
   * @default BINARY_MEDIA_TYPES (shared/contract.ts)
   */
  readonly binaryMediaTypes?: readonly string[];
  /**
   * The Lambda's architecture; sharp's binary is bundled to match.
   * @default lambda.Architecture.ARM_64
   */
  readonly architecture?: lambda.Architecture;
  /**
   * The Lambda's memory (CPU scales with it).
   * @default 1024
   */
  readonly memorySizeMb?: number;
  /**
   * The Lambda's timeout: below API Gateway's 29 s, with room for a cold
   * start, so a slow model yields the handler's own 504.
   * @default Duration.seconds(25)
   */
  readonly timeout?: Duration;
  /**
   * The model input profile the Lambda prepares images with (size, fit,
   * resampling kernel, colour, wire encoding): a built-in profile's name, or
   * a profile (shared/model-input/profile.ts). It reaches the function as
   * MODEL_INPUT_PROFILE and is validated here, at synth.
   * @default - the embedded model's profile, `nsfwjs-mobilenet-v2`
   */
  readonly modelInputProfile?: string | ModelInputProfile;
  /**
   * Further handler settings, by config key (shared/predict-env.ts). The
   * endpoint name, the CORS origins and the model input profile come from
   * their own props.
   * @default - the handler's defaults
   */
  readonly functionEnvironment?: Partial<Record<ConfigKey, string | number>>;
  /**
   * How long the function's logs and the access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The REST API's name.
   * @default - the stack name
   */
  readonly restApiName?: string;
  /**
   * Set the account's API Gateway CloudWatch Logs role (one per account and
   * region), without which no stage with access logs can be created. False
   * where the account has one already.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** Stage options with every default applied. */
export interface ResolvedStage {
  readonly stageName: string;
  readonly endpointName: string;
  readonly throttleRateLimitRps: number;
  readonly throttleBurstLimit: number;
  readonly keyRateLimitRps: number;
  readonly keyBurstLimit: number;
  readonly quotaLimit: number;
  readonly quotaPeriod: apigw.Period;
  readonly apiKeyCount: number;
}

/** The API's options with every default applied and every check passed. */
export interface ResolvedApiProps {
  readonly endpointName: string;
  /** At least one; the first comes with the RestApi's own deployment. */
  readonly stages: readonly [ResolvedStage, ...ResolvedStage[]];
  readonly corsOrigins: readonly string[];
  readonly binaryMediaTypes: readonly string[];
  readonly architecture: lambda.Architecture;
  readonly memorySizeMb: number;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly functionEnvironment: Partial<Record<ConfigKey, string | number>>;
  /** Undefined: the stack name. */
  readonly restApiName: string | undefined;
  readonly cloudWatchRole: boolean;
  /** `Retry-After` on 503s: the Lambda's setting, so both routes say the same. */
  readonly retryAfterSeconds: number;
}

export const STAGE_DEFAULTS = {
  throttleRateLimitRps: 50,
  throttleBurstLimit: 100,
  keyRateLimitRps: 10,
  keyBurstLimit: 20,
  quotaLimit: 10_000,
  quotaPeriod: apigw.Period.DAY,
  apiKeyCount: 1,
} as const;

export const DEFAULT_STAGE_NAMES = ['dev', 'prod'] as const;

/** The defaults of the API-wide props, as their `@default` tags say. */
export const API_DEFAULTS = {
  corsOrigins: DEFAULTS.corsAllowOrigins,
  binaryMediaTypes: BINARY_MEDIA_TYPES,
  architecture: lambda.Architecture.ARM_64,
  memorySizeMb: 1024,
  timeout: Duration.seconds(25),
  logRetention: logs.RetentionDays.ONE_MONTH,
  cloudWatchRole: true,
} as const;

const ORIGIN = /^https?:\/\/[^/\s]+$/;
const MEDIA_TYPE = /^(\*\/\*|[A-Za-z0-9!#$&^_.+-]+\/(\*|[A-Za-z0-9!#$&^_.+-]+))$/;

/** True when API Gateway treats `multipart/form-data` as binary under `types`. */
function coversMultipart(types: readonly string[]): boolean {
  return types.some((t) => t === '*/*' || t === 'multipart/*' || t === 'multipart/form-data');
}

/**
 * Applies the defaults and checks every prop, in the order the props are
 * documented. Throws PropsError (at `scope`) for the first prop it cannot use.
 */
export function resolveApiProps(
  scope: IConstruct,
  props: ImageInferenceApiProps,
): ResolvedApiProps {
  checkEndpointName(scope, 'endpointName', props.endpointName);
  const stages = resolveStages(scope, props);
  const resolved = {
    endpointName: props.endpointName,
    stages,
    corsOrigins: props.corsOrigins ?? API_DEFAULTS.corsOrigins,
    binaryMediaTypes: props.binaryMediaTypes ?? API_DEFAULTS.binaryMediaTypes,
    architecture: props.architecture ?? API_DEFAULTS.architecture,
    memorySizeMb: props.memorySizeMb ?? API_DEFAULTS.memorySizeMb,
    timeout: props.timeout ?? API_DEFAULTS.timeout,
    logRetention: props.logRetention ?? API_DEFAULTS.logRetention,
    functionEnvironment: props.functionEnvironment ?? {},
    restApiName: props.restApiName,
    cloudWatchRole: props.cloudWatchRole ?? API_DEFAULTS.cloudWatchRole,
    retryAfterSeconds: Number(
      props.functionEnvironment?.retryAfterSeconds ?? DEFAULTS.retryAfterSeconds,
    ),
  };
  checkCorsOrigins(scope, resolved.corsOrigins);
  checkBinaryMediaTypes(scope, resolved.binaryMediaTypes);
  checkFunction(scope, resolved.architecture, resolved.memorySizeMb, resolved.timeout);
  for (const key of ['endpointName', 'corsAllowOrigins', 'modelInputProfile'] as const) {
    if (resolved.functionEnvironment[key] !== undefined) {
      fail(
        scope,
        `functionEnvironment.${key} must be left out (its own prop sets ${ENV[key]}), but received ${show(resolved.functionEnvironment[key])}`,
      );
    }
  }
  checkInteger(scope, 'functionEnvironment.retryAfterSeconds', resolved.retryAfterSeconds, 1, 3600);
  const profile = modelInputProfileSetting(scope, props.modelInputProfile);
  return profile === undefined
    ? resolved
    : {
        ...resolved,
        functionEnvironment: { ...resolved.functionEnvironment, modelInputProfile: profile },
      };
}

/** The MODEL_INPUT_PROFILE value for `profile`, checked with the Lambda's own parser. */
function modelInputProfileSetting(
  scope: IConstruct,
  profile: string | ModelInputProfile | undefined,
): string | undefined {
  if (profile === undefined) return undefined;
  const value = typeof profile === 'string' ? profile : JSON.stringify(profile);
  if (Token.isUnresolved(value)) return value;
  profileFromSetting(value, (field, expected, received) =>
    fail(
      scope,
      `modelInputProfile${field === undefined ? '' : `.${field}`} must be ${expected}, but received ${show(received)}`,
    ),
  );
  return value;
}

function resolveStages(
  scope: IConstruct,
  props: ImageInferenceApiProps,
): [ResolvedStage, ...ResolvedStage[]] {
  const given: readonly ImageInferenceApiStage[] =
    props.stages ?? DEFAULT_STAGE_NAMES.map((stageName) => ({ stageName }));
  if (given.length === 0) fail(scope, 'stages must list at least one stage, but received []');
  const seen = new Set<string>();
  const resolved = given.map((stage, index) => {
    const where = `stages[${index}]`;
    if (!API_GATEWAY_STAGE_NAME.test(stage.stageName)) {
      fail(
        scope,
        `${where}.stageName must be ${STAGE_NAME_RULE}, but received ${show(stage.stageName)}`,
      );
    }
    if (seen.has(stage.stageName)) {
      fail(
        scope,
        `${where}.stageName must be unique, but ${show(stage.stageName)} is listed twice`,
      );
    }
    seen.add(stage.stageName);
    const settings: ResolvedStage = {
      ...STAGE_DEFAULTS,
      ...definedOnly(stage),
      stageName: stage.stageName,
      endpointName: stage.endpointName ?? props.endpointName,
    };
    checkEndpointName(scope, `${where}.endpointName`, settings.endpointName);
    checkNumber(
      scope,
      `${where}.throttleRateLimitRps`,
      settings.throttleRateLimitRps,
      0,
      API_GATEWAY_ACCOUNT_RATE_LIMIT_RPS,
    );
    checkInteger(
      scope,
      `${where}.throttleBurstLimit`,
      settings.throttleBurstLimit,
      0,
      API_GATEWAY_ACCOUNT_BURST_LIMIT,
    );
    checkNumber(
      scope,
      `${where}.keyRateLimitRps`,
      settings.keyRateLimitRps,
      0,
      API_GATEWAY_ACCOUNT_RATE_LIMIT_RPS,
    );
    checkInteger(
      scope,
      `${where}.keyBurstLimit`,
      settings.keyBurstLimit,
      0,
      API_GATEWAY_ACCOUNT_BURST_LIMIT,
    );
    checkInteger(scope, `${where}.quotaLimit`, settings.quotaLimit, 1, 2 ** 31 - 1);
    checkInteger(scope, `${where}.apiKeyCount`, settings.apiKeyCount, 1, 10);
    return settings;
  });
  return resolved as [ResolvedStage, ...ResolvedStage[]];
}

function checkCorsOrigins(scope: IConstruct, corsOrigins: readonly string[]): void {
  if (corsOrigins.length === 0) {
    fail(scope, `corsOrigins must be ['*'] or a list of origins, but received []`);
  }
  for (const origin of corsOrigins) {
    if (origin === '*' && corsOrigins.length > 1) {
      fail(
        scope,
        `corsOrigins must be ['*'] alone or origins only, but received ${show(corsOrigins.join(','))}`,
      );
    }
    if (origin !== '*' && !ORIGIN.test(origin)) {
      fail(
        scope,
        `corsOrigins must hold * or origins like https://example.com (scheme and host, no path), but received ${show(origin)}`,
      );
    }
  }
}

function checkBinaryMediaTypes(scope: IConstruct, binaryMediaTypes: readonly string[]): void {
  for (const type of binaryMediaTypes) {
    if (!MEDIA_TYPE.test(type)) {
      fail(
        scope,
        `binaryMediaTypes must hold media types like image/* or */*, but received ${show(type)}`,
      );
    }
  }
  if (!coversMultipart(binaryMediaTypes)) {
    fail(
      scope,
      `binaryMediaTypes must cover multipart/form-data (or uploads reach the Lambda as corrupted text), but received ${show(binaryMediaTypes.join(','))}`,
    );
  }
}

function checkFunction(
  scope: IConstruct,
  architecture: lambda.Architecture,
  memorySizeMb: number,
  timeout: Duration,
): void {
  if (
    architecture.name !== lambda.Architecture.ARM_64.name &&
    architecture.name !== lambda.Architecture.X86_64.name
  ) {
    fail(scope, `architecture must be arm64 or x86_64, but received ${show(architecture.name)}`);
  }
  // Lambda's memory range: 128 MB to 10,240 MB (Lambda developer guide, "Lambda quotas").
  checkInteger(scope, 'memorySizeMb', memorySizeMb, LAMBDA_MIN_MEMORY_MB, LAMBDA_MAX_MEMORY_MB);
  const timeoutMs = timeout.toMilliseconds();
  if (timeoutMs < 1000 || timeoutMs >= API_GATEWAY_INTEGRATION_TIMEOUT_MS) {
    fail(
      scope,
      `timeout must be from 1 s to less than API Gateway's ${API_GATEWAY_INTEGRATION_TIMEOUT_MS / 1000} s, but received ${timeout.toHumanString()}`,
    );
  }
}

/** The props the caller set, without `undefined` values hiding the defaults. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
