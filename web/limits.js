// @ts-check
/**
 * What the page knows of the gateway before it uploads. The gateway is the
 * authority (it re-checks everything); these only let the page refuse or
 * shrink a file before sending it. web/plan.test.ts checks each value
 * against the definition the gateway itself uses (shared/contract.ts,
 * shared/predict-env.ts, shared/aws-facts.ts), so a change there fails the
 * tests until it is made here too.
 */

/** The multipart field that carries images (shared/contract.ts IMAGE_FIELD). */
export const IMAGE_FIELD = 'image';

/** Image files per request (the handler's MAX_FILES default). */
export const MAX_FILES = 8;

/** Bytes per file (the handler's MAX_FILE_BYTES default, 5 MiB). */
export const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** Pixels per image, decided from the header (the handler's MAX_INPUT_PIXELS default). */
export const MAX_INPUT_PIXELS = 40_000_000;

/**
 * The most request body one upload may carry through API Gateway to the
 * Lambda: the event is at most 6 MB and carries the body base64-encoded
 * (4/3 of its size) next to the headers and request context, so about
 * 4.4 MB of body is the practical ceiling. Source: Lambda developer guide,
 * "Lambda quotas" (invocation payload, synchronous: 6 MB), as
 * shared/aws-facts.ts LAMBDA_MAX_EVENT_BYTES; README "Limits".
 */
export const REQUEST_BODY_BUDGET_BYTES = 4_400_000;

/** Multipart framing per file: boundary lines and part headers, generously. */
export const PART_OVERHEAD_BYTES = 1024;

/** JPEG quality of a downscaled upload (the gateway re-encodes at its own quality). */
export const DOWNSCALE_JPEG_QUALITY = 0.9;

/**
 * Declared types of the formats the gateway accepts (shared/contract.ts
 * ALLOWED_IMAGE_FORMATS), with the extensions that stand in when a browser
 * declares no type.
 */
export const ACCEPTED_TYPES = /** @type {const} */ ({
  'image/jpeg': { name: 'JPEG', extensions: ['.jpg', '.jpeg', '.jfif'] },
  'image/png': { name: 'PNG', extensions: ['.png'] },
  'image/webp': { name: 'WebP', extensions: ['.webp'] },
  'image/gif': { name: 'GIF', extensions: ['.gif'] },
  'image/avif': { name: 'AVIF', extensions: ['.avif'] },
  'image/tiff': { name: 'TIFF', extensions: ['.tif', '.tiff'] },
  // iPhones' default. Chromium and Firefox cannot decode it: sent as it is, decoded by the gateway.
  'image/heic': { name: 'HEIC', extensions: ['.heic', '.heif'] },
});

/** Declared types that name an accepted format under another name. */
export const TYPE_ALIASES = /** @type {const} */ ({
  'image/heif': 'image/heic',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heic',
});

/** Where the page keeps the API key: this tab's sessionStorage only, never the URL. */
export const API_KEY_STORAGE_KEY = 'image-inference-gateway.apiKey';

/** Where the page keeps the base URL and stage between visits (not secret). */
export const SETTINGS_STORAGE_KEY = 'image-inference-gateway.settings';
