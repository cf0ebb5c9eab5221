/**
 * Names of the environment variables the predict function reads, and their
 * defaults. The one list both sides use: the config loader reads these names,
 * and the CDK stack and the local gateway build the function's environment
 * from them, so a rename cannot drift between cloud and laptop.
 */
import { DEFAULT_ENDPOINT_PROTOCOL } from './endpoint-protocol/presets.ts';
import { DEFAULT_PIXEL_LIMITS } from './image-decode/pixel-limits.ts';
import { DEFAULT_PROFILE_NAME, type ProfileField } from './model-input/profile.ts';

export const ENV = {
  /** SageMaker endpoint to invoke; the stage variable `endpointName` overrides it. */
  endpointName: 'SAGEMAKER_ENDPOINT_NAME',
  /** Production variant to target (`TargetVariant`); unset lets SageMaker choose. */
  targetVariant: 'SAGEMAKER_TARGET_VARIANT',
  /** Body format sent to the endpoint; unset, the profile's encoding decides it. */
  endpointContentType: 'ENDPOINT_CONTENT_TYPE',
  /** The model input profile: a built-in name or a JSON object (shared/model-input/profile.ts). */
  modelInputProfile: 'MODEL_INPUT_PROFILE',
  maxFiles: 'MAX_FILES',
  maxFileBytes: 'MAX_FILE_BYTES',
  maxFields: 'MAX_FIELDS',
  maxFieldBytes: 'MAX_FIELD_BYTES',
  maxParts: 'MAX_PARTS',
  maxPartHeaderPairs: 'MAX_PART_HEADER_PAIRS',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  maxInputSidePx: 'MAX_INPUT_SIDE_PX',
  maxAvifPixels: 'MAX_AVIF_PIXELS',
  maxInterlacedPixels: 'MAX_INTERLACED_PIXELS',
  maxGifPixels: 'MAX_GIF_PIXELS',
  maxWebpPixels: 'MAX_WEBP_PIXELS',
  maxRequestPixels: 'MAX_REQUEST_PIXELS',
  // Overrides of single profile fields (PROFILE_OVERRIDES).
  modelInputWidthPx: 'MODEL_INPUT_WIDTH_PX',
  modelInputHeightPx: 'MODEL_INPUT_HEIGHT_PX',
  resizeFit: 'RESIZE_FIT',
  modelInputCropFraction: 'MODEL_INPUT_CROP_FRACTION',
  modelInputResample: 'MODEL_INPUT_RESAMPLE',
  modelInputShrinkOnLoad: 'MODEL_INPUT_SHRINK_ON_LOAD',
  flattenBackground: 'FLATTEN_BACKGROUND',
  modelInputEncoding: 'MODEL_INPUT_ENCODING',
  jpegQuality: 'JPEG_QUALITY',
  jpegChromaSubsampling: 'JPEG_CHROMA_SUBSAMPLING',
  /** Labels of the model's scores, in score order: comma-separated, or a JSON array (labels with commas). */
  modelLabels: 'MODEL_LABELS',
  /**
   * A file of labels read once at cold start (nothing in the Lambda's 4 KB
   * environment): a JSON array, a JSON object with a `labels` array, or one
   * label per line. A relative path is resolved against LAMBDA_TASK_ROOT
   * (the bundle), else the working directory.
   */
  modelLabelsFile: 'MODEL_LABELS_FILE',
  topK: 'TOP_K',
  /** The container family's preset (shared/endpoint-protocol/presets.ts). */
  endpointProtocol: 'ENDPOINT_PROTOCOL',
  /** The Accept header of each invocation; the preset's by default. */
  endpointAccept: 'ENDPOINT_ACCEPT',
  /** raw, base64, multipart, json or triton; the preset's by default. */
  endpointBodyEncoding: 'ENDPOINT_BODY_ENCODING',
  /** The file field of a multipart body. */
  endpointMultipartField: 'ENDPOINT_MULTIPART_FIELD',
  /** A json body's template, with one "{{base64}}" or "{{tensor}}" placeholder. */
  endpointJsonTemplate: 'ENDPOINT_JSON_TEMPLATE',
  /** Triton tensors as JSON numbers (json) or binary+json (binary). */
  tritonTensorMode: 'TRITON_TENSOR_MODE',
  /** The Triton model's input tensor name. */
  tritonInputName: 'TRITON_INPUT_NAME',
  /** The Triton model's output tensor name. */
  tritonOutputName: 'TRITON_OUTPUT_NAME',
  /** classification (labelled scores) or passthrough (the answer as `output`, e.g. detectors). */
  modelOutputMode: 'MODEL_OUTPUT_MODE',
  /** RFC 6901 pointer to the scores in the model's answer. */
  modelScoresPointer: 'MODEL_SCORES_POINTER',
  /** RFC 6901 pointer to the labels in the model's answer. */
  modelLabelsPointer: 'MODEL_LABELS_POINTER',
  /**
   * Form fields forwarded to the model as custom attributes: names, or a
   * prefix ending in `*`. Nothing else a client sends reaches the container.
   */
  forwardFields: 'FORWARD_FIELDS',
  invokeConcurrency: 'INVOKE_CONCURRENCY',
  invokeMaxAttempts: 'INVOKE_MAX_ATTEMPTS',
  deadlineMarginMs: 'DEADLINE_MARGIN_MS',
  retryAfterSeconds: 'RETRY_AFTER_SECONDS',
  corsAllowOrigins: 'CORS_ALLOW_ORIGINS',
} as const;

export type ConfigKey = keyof typeof ENV;

/** Most predictions TOP_K may ask for per image (the handler and the CDK context check it). */
export const MAX_TOP_K = 1000;

/**
 * Body formats the gateway can send to the endpoint: the encoded input
 * itself (`image/jpeg`, `image/png`, `application/x-npy`), or an image file
 * framed as SageMaker's built-in algorithms, a form, or JSON instances expect.
 */
export const ENDPOINT_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'application/x-npy',
  'application/x-image',
  'multipart/form-data',
  'application/json',
] as const;
export type EndpointContentType = (typeof ENDPOINT_CONTENT_TYPES)[number];

/** The variable that overrides each field of the model input profile. */
export const PROFILE_OVERRIDES = {
  width: 'modelInputWidthPx',
  height: 'modelInputHeightPx',
  resize: 'resizeFit',
  cropFraction: 'modelInputCropFraction',
  resample: 'modelInputResample',
  shrinkOnLoad: 'modelInputShrinkOnLoad',
  background: 'flattenBackground',
  encoding: 'modelInputEncoding',
  jpegQuality: 'jpegQuality',
  chromaSubsampling: 'jpegChromaSubsampling',
} as const satisfies Record<ProfileField, ConfigKey>;

/**
 * Defaults, each with its unit in the name. `@default` docs in the README's
 * configuration table repeat these values; a test keeps the two equal.
 */
export const DEFAULTS = {
  /** The embedded model's profile; its fields are the defaults of the overrides. */
  modelInputProfile: DEFAULT_PROFILE_NAME,
  maxFiles: 8,
  /** Larger than API Gateway lets through a Lambda (about 4.4 MB of file); direct invocations may send more. */
  maxFileBytes: 5 * 1024 * 1024,
  maxFields: 16,
  maxFieldBytes: 1024,
  maxParts: 32,
  maxPartHeaderPairs: 8,
  // Per image, from the header (shared with the model server: pixel-limits.ts).
  maxInputPixels: DEFAULT_PIXEL_LIMITS.maxInputPixels,
  maxInputSidePx: DEFAULT_PIXEL_LIMITS.maxInputSidePx,
  maxAvifPixels: DEFAULT_PIXEL_LIMITS.maxAvifPixels,
  maxInterlacedPixels: DEFAULT_PIXEL_LIMITS.maxInterlacedPixels,
  maxGifPixels: DEFAULT_PIXEL_LIMITS.maxGifPixels,
  maxWebpPixels: DEFAULT_PIXEL_LIMITS.maxWebpPixels,
  /** The images of one request together, from their headers. */
  maxRequestPixels: 100_000_000,
  modelLabels: [] as readonly string[],
  topK: 5,
  endpointProtocol: DEFAULT_ENDPOINT_PROTOCOL,
  /** None: a container routes on attributes (TF Serving's `tfs-model-name`), so clients set none. */
  forwardFields: [] as readonly string[],
  invokeConcurrency: 4,
  invokeMaxAttempts: 3,
  deadlineMarginMs: 1000,
  retryAfterSeconds: 2,
  corsAllowOrigins: ['*'] as readonly string[],
} as const satisfies Partial<Record<ConfigKey, unknown>>;
