import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  API_GATEWAY_MAX_REQUEST_BYTES,
  ENDPOINT_NAME_RULE,
  isEndpointName,
} from '#shared/aws-facts.ts';
import { ConfigError, environment, Settings } from '#shared/config-kit.ts';
import type { FieldAllowlist } from '#shared/custom-attributes.ts';
import { ENDPOINT_PROTOCOLS } from '#shared/endpoint-protocol/presets.ts';
import type { PixelLimits } from '#shared/image-decode/pixel-limits.ts';
import type { ModelInputProfile } from '#shared/model-input/profile.ts';
import type { MultipartLimits } from '#shared/multipart.ts';
import { DEFAULTS, ENV, type EndpointContentType } from '#shared/predict-env.ts';
import { loadInputSettings } from './input-profile.ts';
import { type EndpointAdapter, loadForwardFields, loadProtocol } from './protocols/settings.ts';

/** Limits of one upload, enforced while parsing and decoding. */
interface UploadLimits extends MultipartLimits {
  readonly maxInputPixels: number;
}

/**
 * How an image is turned into what the model receives, and the pixel limits
 * (per upload, decided from its header before decoding) it must meet.
 */
export interface NormaliseOptions extends PixelLimits {
  /** Size, fit, kernel, colour and wire encoding of the model's input. */
  readonly profile: ModelInputProfile;
  /** Pixels of all the images of one request together, from their headers. */
  readonly maxRequestPixels: number;
}

export interface Config {
  readonly endpointName: string;
  readonly targetVariant: string | undefined;
  readonly endpointContentType: EndpointContentType;
  readonly limits: UploadLimits;
  readonly normalise: NormaliseOptions;
  readonly modelLabels: readonly string[];
  readonly topK: number;
  /** How invocations are framed and answers read (ENDPOINT_PROTOCOL and its fine-grained settings). */
  readonly protocol: EndpointAdapter;
  /** Form fields forwarded as custom attributes (FORWARD_FIELDS); none by default. */
  readonly forwardFields: FieldAllowlist;
  readonly invokeConcurrency: number;
  readonly invokeMaxAttempts: number;
  readonly deadlineMarginMs: number;
  readonly retryAfterSeconds: number;
  readonly corsAllowOrigins: readonly string[];
}

/**
 * Reads and validates the function's configuration. Called once per container
 * (cold start); messages name the variable, the value and what was expected.
 * @throws ConfigError when a variable is unset where required, or invalid
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Config {
  const read = new Settings(environment(env));
  const endpointName = read.optionalString(ENV.endpointName);
  if (endpointName === undefined) {
    throw new ConfigError(
      `Environment variable ${ENV.endpointName} must name the SageMaker endpoint, but it is not set`,
    );
  }
  if (!isEndpointName(endpointName)) {
    read.fail(ENV.endpointName, endpointName, `a SageMaker endpoint name (${ENDPOINT_NAME_RULE})`);
  }
  const targetVariant = read.optionalString(ENV.targetVariant);
  if (targetVariant !== undefined && !isEndpointName(targetVariant)) {
    read.fail(
      ENV.targetVariant,
      targetVariant,
      `a production variant name (${ENDPOINT_NAME_RULE})`,
    );
  }
  const corsAllowOrigins = read.list(ENV.corsAllowOrigins, DEFAULTS.corsAllowOrigins);
  for (const origin of corsAllowOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      read.fail(ENV.corsAllowOrigins, origin, '* or origins like https://example.com (no path)');
    }
  }
  const integer = (key: keyof typeof DEFAULTS & keyof typeof ENV, min: number, max: number) =>
    read.integer(ENV[key], DEFAULTS[key] as number, min, max);
  const pixels = (key: keyof PixelLimits | 'maxRequestPixels') => integer(key, 1, 2 ** 32 - 1);
  const maxInputPixels = pixels('maxInputPixels');
  const protocolName = read.oneOf(
    ENV.endpointProtocol,
    ENDPOINT_PROTOCOLS,
    DEFAULTS.endpointProtocol,
  );
  // Under raw-image with no body encoding, ENDPOINT_CONTENT_TYPE keeps its
  // first meaning (it picks the body); otherwise it is only the header.
  const legacy =
    protocolName === 'raw-image' && read.optionalString(ENV.endpointBodyEncoding) === undefined;
  const input = loadInputSettings(legacy ? read : withoutContentType(read));
  const { adapter, profile } = loadProtocol(read, protocolName, input, legacy);
  return Object.freeze({
    endpointName,
    targetVariant,
    endpointContentType: input.endpointContentType,
    limits: Object.freeze({
      maxFiles: integer('maxFiles', 1, 64),
      // No file can be larger than the request API Gateway lets through.
      maxFileBytes: integer('maxFileBytes', 1, API_GATEWAY_MAX_REQUEST_BYTES),
      maxFields: integer('maxFields', 0, 256),
      maxFieldBytes: integer('maxFieldBytes', 1, 1024 * 1024),
      maxParts: integer('maxParts', 1, 512),
      maxPartHeaderPairs: integer('maxPartHeaderPairs', 1, 64),
      maxInputPixels,
    }),
    normalise: Object.freeze({
      profile,
      maxInputPixels,
      maxInputSidePx: pixels('maxInputSidePx'),
      maxAvifPixels: pixels('maxAvifPixels'),
      maxInterlacedPixels: pixels('maxInterlacedPixels'),
      maxGifPixels: pixels('maxGifPixels'),
      maxWebpPixels: pixels('maxWebpPixels'),
      maxRequestPixels: pixels('maxRequestPixels'),
    }),
    modelLabels: adapter.reading.labels,
    topK: adapter.reading.topK,
    protocol: adapter,
    forwardFields: loadForwardFields(read),
    invokeConcurrency: integer('invokeConcurrency', 1, 64),
    invokeMaxAttempts: integer('invokeMaxAttempts', 1, 10),
    // Leaves at least a second for the model inside API Gateway's timeout.
    deadlineMarginMs: integer('deadlineMarginMs', 0, API_GATEWAY_INTEGRATION_TIMEOUT_MS - 1000),
    retryAfterSeconds: integer('retryAfterSeconds', 1, 3600),
    corsAllowOrigins,
  });
}

/** `read` with ENDPOINT_CONTENT_TYPE hidden: the input settings then take the profile's encoding. */
function withoutContentType(read: Settings): Settings {
  const { source } = read;
  return new Settings({
    get: (name) => (name === ENV.endpointContentType ? undefined : source.get(name)),
    describe: (name) => source.describe(name),
  });
}
