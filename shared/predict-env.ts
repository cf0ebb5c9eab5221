/**
 * Names of the environment variables the predict function reads, and their
 * defaults. The one list both sides use: the config loader reads these names,
 * and the CDK stack and the local gateway build the function's environment
 * from them, so a rename cannot drift between cloud and laptop.
 */
export const ENV = {
  /** SageMaker endpoint to invoke; the stage variable `endpointName` overrides it. */
  endpointName: 'SAGEMAKER_ENDPOINT_NAME',
  /** Production variant to target (`TargetVariant`); unset lets SageMaker choose. */
  targetVariant: 'SAGEMAKER_TARGET_VARIANT',
  /** Body format sent to the endpoint. */
  endpointContentType: 'ENDPOINT_CONTENT_TYPE',
  maxFiles: 'MAX_FILES',
  maxFileBytes: 'MAX_FILE_BYTES',
  maxFields: 'MAX_FIELDS',
  maxFieldBytes: 'MAX_FIELD_BYTES',
  maxParts: 'MAX_PARTS',
  maxPartHeaderPairs: 'MAX_PART_HEADER_PAIRS',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  modelInputWidthPx: 'MODEL_INPUT_WIDTH_PX',
  modelInputHeightPx: 'MODEL_INPUT_HEIGHT_PX',
  resizeFit: 'RESIZE_FIT',
  flattenBackground: 'FLATTEN_BACKGROUND',
  jpegQuality: 'JPEG_QUALITY',
  modelLabels: 'MODEL_LABELS',
  topK: 'TOP_K',
  invokeConcurrency: 'INVOKE_CONCURRENCY',
  invokeMaxAttempts: 'INVOKE_MAX_ATTEMPTS',
  deadlineMarginMs: 'DEADLINE_MARGIN_MS',
  retryAfterSeconds: 'RETRY_AFTER_SECONDS',
  corsAllowOrigins: 'CORS_ALLOW_ORIGINS',
} as const;

export type ConfigKey = keyof typeof ENV;

/** Body formats the gateway can send to the endpoint. */
export const ENDPOINT_CONTENT_TYPES = [
  'image/jpeg',
  'application/x-image',
  'multipart/form-data',
  'application/json',
] as const;
export type EndpointContentType = (typeof ENDPOINT_CONTENT_TYPES)[number];

/** sharp's resize fits. */
export const RESIZE_FITS = ['cover', 'contain', 'fill', 'inside', 'outside'] as const;
export type ResizeFit = (typeof RESIZE_FITS)[number];

/**
 * Defaults, each with its unit in the name. `@default` docs in the README's
 * configuration table repeat these values; a test keeps the two equal.
 */
export const DEFAULTS = {
  endpointContentType: 'image/jpeg',
  maxFiles: 8,
  /** Larger than API Gateway lets through a Lambda (about 4.4 MB of file); direct invocations may send more. */
  maxFileBytes: 5 * 1024 * 1024,
  maxFields: 16,
  maxFieldBytes: 1024,
  maxParts: 32,
  maxPartHeaderPairs: 8,
  maxInputPixels: 40_000_000,
  modelInputWidthPx: 224,
  modelInputHeightPx: 224,
  resizeFit: 'cover',
  flattenBackground: '#ffffff',
  jpegQuality: 90,
  modelLabels: [] as readonly string[],
  topK: 5,
  invokeConcurrency: 4,
  invokeMaxAttempts: 3,
  deadlineMarginMs: 1000,
  retryAfterSeconds: 2,
  corsAllowOrigins: ['*'] as readonly string[],
} as const satisfies Partial<Record<ConfigKey, unknown>>;
