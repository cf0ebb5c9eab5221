import { fileURLToPath } from 'node:url';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { cdkContext, Settings } from '#shared/config-kit.ts';
import {
  DEFAULT_ENDPOINT_PROTOCOL,
  MODEL_SERVER_PROTOCOL_ENV,
} from '#shared/endpoint-protocol/presets.ts';
import { DEFAULT_PROFILE_NAME } from '#shared/model-input/profile.ts';
import type { ConfigKey } from '#shared/predict-env.ts';
import type { ImageInferenceApiStage } from './constructs/image-inference-api.ts';
import type { ModelEndpointMode, ModelEndpointProps } from './constructs/model-endpoint.ts';
import { alarmEmail, authorizer, type JwtAuthorizerSettings } from './operations-settings.ts';
import { protocolEnvironment } from './protocol-settings.ts';

/**
 * The app's settings, read from CDK context (`cdk synth -c key=value`, or
 * the `context` of cdk.json) with documented defaults. The defaults live
 * here, not in cdk.json, so an in-process synth (tests, the local gateway)
 * builds the same stack as `npm run synth`.
 */

/**
 * Where `model: asset` builds the model server image from: the repository
 * root is the Docker build context (the image needs the root's package.json,
 * lockfile and .npmrc, and shared/), narrowed to what the Dockerfile copies
 * by `<Dockerfile>.dockerignore` (ModelEndpoint reads it, as BuildKit does).
 */
export const MODEL_ASSET_DIRECTORY = fileURLToPath(new URL('../', import.meta.url));

/** The model server's Dockerfile, relative to MODEL_ASSET_DIRECTORY. */
export const MODEL_ASSET_FILE = 'model-server/Dockerfile';

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
  /**
   * create: the stack sets the account's API Gateway CloudWatch Logs role
   * (stages with access logs need one); existing: the account has one.
   */
  apiGatewayAccountRole: 'create',
  /** The model input profile: a built-in name or a JSON profile (MODEL_INPUT_PROFILE). */
  modelInputProfile: DEFAULT_PROFILE_NAME,
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
  /** Real-time: fewest instances Application Auto Scaling keeps. */
  modelMinInstances: '1',
  /** Real-time: most instances Application Auto Scaling adds. */
  modelMaxInstances: '4',
  /**
   * Real-time: the target of SageMakerVariantInvocationsPerInstance
   * (invocations per instance per minute) that scaling tracks.
   */
  modelTargetInvocationsPerInstance: '600',
  /** none (API keys only) or jwt (a Lambda TOKEN authorizer verifying bearer JWTs as well). */
  authorizer: 'none',
  /** With authorizer=jwt: the `iss` tokens must carry (an https URL). Required then. */
  jwtIssuer: '',
  /** With authorizer=jwt: the audiences (comma-separated), one of which a token's `aud` names. */
  jwtAudience: 'image-inference-gateway',
  /** With authorizer=jwt: the issuer's JWK Set URL; empty: `<jwtIssuer>/.well-known/jwks.json`. */
  jwtJwksUrl: '',
  /** With authorizer=jwt: seconds API Gateway caches a token's policy (0 to 3600). */
  authorizerCacheTtlSeconds: '300',
  /** An email address the alarm topic sends to (confirmed by its owner); empty: none. */
  alarmEmail: '',
  /**
   * The model container's family (shared/endpoint-protocol/presets.ts):
   * request body, Content-Type, Accept and how the answer is read
   * (ENDPOINT_PROTOCOL; `npm start` also sets the local model server's
   * MODEL_SERVER_PROTOCOL from it).
   */
  endpointProtocol: DEFAULT_ENDPOINT_PROTOCOL,
  /** Form fields forwarded as custom attributes: names or `prefix*`, comma-separated; none by default (FORWARD_FIELDS). */
  forwardFields: '',
  /** The Accept of each invocation (ENDPOINT_ACCEPT); the preset's when empty. */
  endpointAccept: '',
  /** raw, base64, multipart, json or triton (ENDPOINT_BODY_ENCODING); the preset's when empty. */
  endpointBodyEncoding: '',
  /** The request Content-Type (ENDPOINT_CONTENT_TYPE); the preset's when empty. */
  endpointContentType: '',
  /** The file field of a multipart body (ENDPOINT_MULTIPART_FIELD). */
  endpointMultipartField: '',
  /** A json body's template with "{{base64}}" or "{{tensor}}" (ENDPOINT_JSON_TEMPLATE). */
  endpointJsonTemplate: '',
  /** json or binary (TRITON_TENSOR_MODE). */
  tritonTensorMode: '',
  /** The Triton input tensor (TRITON_INPUT_NAME). */
  tritonInputName: '',
  /** The Triton output tensor (TRITON_OUTPUT_NAME). */
  tritonOutputName: '',
  /** classification or passthrough (MODEL_OUTPUT_MODE). */
  outputMode: '',
  /** RFC 6901 pointer to the scores in the answer (MODEL_SCORES_POINTER). */
  scoresPointer: '',
  /** RFC 6901 pointer to the labels in the answer (MODEL_LABELS_POINTER). */
  labelsPointer: '',
  /** The model's labels: comma-separated, or a JSON array (MODEL_LABELS). */
  labels: '',
  /**
   * A labels file on this machine (JSON array, `{"labels": [...]}`, or one
   * per line), copied into the function's bundle (MODEL_LABELS_FILE).
   */
  labelsFile: '',
  /**
   * Predictions returned per image (TOP_K). Set, a model that gives fewer
   * scores is reported in each result's `warnings`.
   */
  topK: '5',
} as const;

export type ContextKey = keyof typeof CONTEXT_DEFAULTS;

export const CONTEXT_KEYS = Object.keys(CONTEXT_DEFAULTS) as ContextKey[];

/** Who provides the account's API Gateway CloudWatch Logs role. */
export const API_GATEWAY_ACCOUNT_ROLES = ['create', 'existing'] as const;
export type ApiGatewayAccountRole = (typeof API_GATEWAY_ACCOUNT_ROLES)[number];

export interface AppSettings {
  readonly stackName: string;
  readonly endpointName: string;
  readonly stages: readonly ImageInferenceApiStage[];
  readonly corsOrigins: readonly string[];
  readonly architecture: Architecture;
  /** Whether the stack sets the account's API Gateway CloudWatch Logs role. */
  readonly apiGatewayAccountRole: ApiGatewayAccountRole;
  /** The model input profile the Lambda prepares images with (a name or JSON). */
  readonly modelInputProfile: string;
  /** The model to deploy, or undefined to use the existing endpoint `endpointName`. */
  readonly model: Omit<ModelEndpointProps, 'endpointName'> | undefined;
  /** The JWT authorizer in front of every method, or undefined for API keys only. */
  readonly authorizer: JwtAuthorizerSettings | undefined;
  /** Where alarm notifications are emailed, or undefined for the topic alone. */
  readonly alarmEmail: string | undefined;
  /** The endpoint protocol settings, as the predict function's environment (by config key). */
  readonly functionEnvironment: Partial<Record<ConfigKey, string>>;
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

function text(settings: Settings, key: ContextKey): string {
  return settings.string(key, CONTEXT_DEFAULTS[key]);
}

/**
 * A whole number, from JSON or from a `-c` string of digits. The range is
 * the constructs' to check (their messages name the prop and its range).
 */
function integer(settings: Settings, key: ContextKey): number {
  return settings.integer(
    key,
    Number(CONTEXT_DEFAULTS[key]),
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
    'a whole number',
  );
}

function stageFromObject(
  settings: Settings,
  value: unknown,
  index: number,
): ImageInferenceApiStage {
  const where = `stages[${index}]`;
  if (typeof value === 'string') return { stageName: value.trim() };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    settings.fail(where, value, 'a stage name or an object with stageName');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(STAGE_KEYS as readonly string[]).includes(key)) {
      settings.fail(
        `${where}.${key}`,
        record[key],
        `left out (a stage has ${STAGE_KEYS.join(', ')})`,
      );
    }
  }
  for (const key of ['stageName', 'endpointName'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      settings.fail(`${where}.${key}`, record[key], 'a string');
    }
  }
  if (typeof record.stageName !== 'string') {
    settings.fail(`${where}.stageName`, record.stageName, 'a string');
  }
  for (const key of NUMERIC_STAGE_KEYS) {
    if (record[key] !== undefined && typeof record[key] !== 'number') {
      settings.fail(`${where}.${key}`, record[key], 'a number');
    }
  }
  let quotaPeriod: Period | undefined;
  if (record.quotaPeriod !== undefined) {
    quotaPeriod = PERIODS[String(record.quotaPeriod)];
    if (quotaPeriod === undefined) {
      settings.fail(`${where}.quotaPeriod`, record.quotaPeriod, 'one of DAY, WEEK, MONTH');
    }
  }
  return { ...(record as unknown as ImageInferenceApiStage), quotaPeriod };
}

/** Stage names (comma-separated), or a JSON array (a value, or a `-c` string starting with `[`). */
function stages(settings: Settings): ImageInferenceApiStage[] {
  let value = settings.source.get('stages') ?? CONTEXT_DEFAULTS.stages;
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      value = JSON.parse(value);
    } catch {
      settings.fail('stages', value, 'valid JSON when it starts with [');
    }
  }
  if (typeof value === 'string') {
    return settings
      .list('stages', CONTEXT_DEFAULTS.stages.split(','))
      .map((stageName) => ({ stageName }));
  }
  if (!Array.isArray(value)) {
    settings.fail('stages', value, 'stage names or a JSON array of stages');
  }
  return value.map((stage, index) => stageFromObject(settings, stage, index));
}

function architecture(settings: Settings): Architecture {
  const value = text(settings, 'architecture');
  if (value === 'arm64') return Architecture.ARM_64;
  if (value === 'x86_64') return Architecture.X86_64;
  return settings.fail('architecture', value, 'arm64 or x86_64');
}

function model(settings: Settings): AppSettings['model'] {
  const source = text(settings, 'model');
  // The keys that describe a model to deploy (not the input profile, which any endpoint has).
  const modelKeys = CONTEXT_KEYS.filter(
    (key) => key.startsWith('model') && key !== 'model' && key !== 'modelInputProfile',
  );
  if (source === 'none') {
    for (const key of modelKeys) {
      const value = settings.source.get(key);
      if (value !== undefined) {
        settings.fail(key, value, 'left out while model is none (the endpoint already exists)');
      }
    }
    return undefined;
  }
  const mode = text(settings, 'modelMode');
  if (mode !== 'serverless' && mode !== 'realtime') {
    settings.fail('modelMode', mode, 'serverless or realtime');
  }
  const modelDataUrl = text(settings, 'modelDataUrl');
  const image =
    source === 'asset'
      ? { imageAssetDirectory: MODEL_ASSET_DIRECTORY, imageAssetFile: MODEL_ASSET_FILE }
      : { imageUri: source };
  // The bundled model server presents the container contract the function speaks.
  const protocol = settings.optionalString('endpointProtocol');
  const common = {
    ...image,
    mode: mode as ModelEndpointMode,
    modelDataUrl: modelDataUrl || undefined,
    ...(source === 'asset' && protocol !== undefined && protocol !== DEFAULT_ENDPOINT_PROTOCOL
      ? { containerEnvironment: { [MODEL_SERVER_PROTOCOL_ENV]: protocol } }
      : {}),
  };
  return mode === 'realtime'
    ? {
        ...common,
        instanceType: text(settings, 'modelInstanceType'),
        instanceCount: integer(settings, 'modelInstanceCount'),
        autoScaling: {
          minInstances: integer(settings, 'modelMinInstances'),
          maxInstances: integer(settings, 'modelMaxInstances'),
          targetInvocationsPerInstance: integer(settings, 'modelTargetInvocationsPerInstance'),
        },
      }
    : {
        ...common,
        serverlessMemorySizeMb: integer(settings, 'modelMemorySizeMb'),
        serverlessMaxConcurrency: integer(settings, 'modelMaxConcurrency'),
      };
}

/**
 * Every setting, from the context with the defaults above.
 * @throws ConfigError (shared/config-kit.ts) naming the first unusable value:
 * `Context value <key> must be <expected>, but received <value as JSON>`
 */
export function readSettings(read: ContextReader): AppSettings {
  const settings = new Settings(cdkContext(read));
  const functionEnvironment = protocolEnvironment(settings);
  return {
    stackName: text(settings, 'stackName'),
    endpointName: text(settings, 'endpointName'),
    stages: stages(settings),
    corsOrigins: settings.list('corsOrigins', CONTEXT_DEFAULTS.corsOrigins.split(',')),
    architecture: architecture(settings),
    apiGatewayAccountRole: settings.oneOf(
      'apiGatewayAccountRole',
      API_GATEWAY_ACCOUNT_ROLES,
      CONTEXT_DEFAULTS.apiGatewayAccountRole,
    ),
    modelInputProfile: text(settings, 'modelInputProfile'),
    // Checked first: model() passes the protocol to the bundled model server.
    functionEnvironment,
    model: model(settings),
    authorizer: authorizer(settings),
    alarmEmail: alarmEmail(settings),
  };
}
