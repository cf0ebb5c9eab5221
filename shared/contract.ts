/**
 * The public API contract: names and shapes the clients (curl, the browser
 * page), the CDK stack and the local gateway all rely on. Changing one of
 * these is a breaking change.
 */

/** The multipart field that carries images (repeat it for several). */
export const IMAGE_FIELD = 'image';

/**
 * The stage variable naming each stage's SageMaker endpoint: the handler
 * prefers it to SAGEMAKER_ENDPOINT_NAME, and the passthrough route's path uses it.
 */
export const ENDPOINT_NAME_STAGE_VARIABLE = 'endpointName';

/** Request headers the gateway reads (lower case; lookup is case-insensitive). */
export const REQUEST_HEADERS = {
  requestId: 'x-request-id',
  clientId: 'x-client-id',
  apiKey: 'x-api-key',
} as const;

/** Response headers a browser may read across origins. */
export const EXPOSED_HEADERS = ['x-request-id', 'retry-after'] as const;

/**
 * API Gateway binaryMediaTypes: request bodies of these types reach the
 * Lambda base64-encoded, and `/invocations` passes them to SageMaker as
 * bytes, instead of being decoded as UTF-8 text (which destroys image
 * bytes). Every binary body either route takes: uploads, image files,
 * SageMaker's generic `application/x-image` and `application/x-npy` tensors.
 */
export const BINARY_MEDIA_TYPES = [
  'multipart/form-data',
  'image/*',
  'application/x-image',
  'application/x-npy',
] as const;

/** Formats accepted after sniffing the bytes (sharp names). */
export const ALLOWED_IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const;
export type AllowedImageFormat = (typeof ALLOWED_IMAGE_FORMATS)[number];

export interface Prediction {
  readonly label: string;
  readonly score: number;
}

export interface ImageResult {
  /** The multipart field the image came in (always `image`). */
  readonly field: string;
  /** The client's file name (UTF-8), or null when none was sent. */
  readonly filename: string | null;
  /** The uploaded image as received: format from its bytes, size as displayed (EXIF orientation applied). */
  readonly image: {
    readonly format: AllowedImageFormat;
    readonly width: number;
    readonly height: number;
    readonly orientation: number;
    readonly bytes: number;
  };
  /** What the model received. */
  readonly sent: {
    /** The invocation's Content-Type. */
    readonly contentType: string;
    /** How the pixels were encoded: `npy` (float32 tensor), `png` or `jpeg`. */
    readonly encoding: 'npy' | 'png' | 'jpeg';
    /** The model input profile that prepared them. */
    readonly profile: string;
    readonly width: number;
    readonly height: number;
    /** Bytes of the invocation body. */
    readonly bytes: number;
  };
  /** Present when the model answered as a classifier. */
  readonly predictions?: readonly Prediction[];
  /** The model's JSON as it answered, when it is not a classifier's. */
  readonly output?: unknown;
  /** What the gateway tolerated or could not give: non-finite scores, fewer results than TOP_K. */
  readonly warnings?: readonly string[];
}

export interface PredictResponse {
  readonly requestId: string;
  readonly endpoint: { readonly name: string; readonly variant: string | null };
  readonly results: readonly ImageResult[];
  readonly timingsMs: {
    readonly parse: number;
    readonly normalise: number;
    readonly inference: number;
    readonly total: number;
  };
}
