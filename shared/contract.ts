/**
 * The public API contract: names and shapes the clients (curl, the browser
 * page), the CDK stack and the local gateway all rely on. Changing one of
 * these is a breaking change.
 */
import type { z } from 'zod';
import type {
  ImageErrorResultSchema,
  ImageResultSchema,
  PredictionSchema,
  PredictResponseSchema,
} from './contract-schema.ts';

/** The multipart field that carries images (repeat it for several). */
export const IMAGE_FIELD = 'image';

/**
 * The stage variable naming each stage's SageMaker endpoint: the handler
 * prefers it to SAGEMAKER_ENDPOINT_NAME, and the passthrough route's path uses it.
 */
export const ENDPOINT_NAME_STAGE_VARIABLE = 'endpointName';

/**
 * The query parameter of `/predict` that asks for per-image results: with
 * `?partial=true` a valid request answers 200 and an image at fault (refused,
 * or failed by the model) gets its problem in its own result; the endpoint
 * failing, busy or late still fails the request. Any other value or none:
 * all or nothing.
 */
export const PARTIAL_QUERY_PARAMETER = 'partial';

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

/**
 * Formats accepted after sniffing the bytes: sharp's names, and `heic` for
 * HEIC/HEIF (HEVC-coded; sharp names the container `heif`).
 */
export const ALLOWED_IMAGE_FORMATS = [
  'jpeg',
  'png',
  'webp',
  'gif',
  'avif',
  'tiff',
  'heic',
] as const;
export type AllowedImageFormat = (typeof ALLOWED_IMAGE_FORMATS)[number];

/** One class and its score (a probability, 0..1, for a softmax classifier). */
export type Prediction = z.infer<typeof PredictionSchema>;

/** What the model said about one image (field, filename, the image as received, what was sent). */
export type ImageResult = z.infer<typeof ImageResultSchema>;

/** Partial mode (`?partial=true`): an image that got no prediction, with its problem. */
export type ImageErrorResult = z.infer<typeof ImageErrorResultSchema>;

/** The success body of `POST /{stage}/predict`. */
export type PredictResponse = z.infer<typeof PredictResponseSchema>;
