/**
 * The one error catalogue. Every error the gateway reports has a stable `code`
 * with exactly one HTTP status and title here; a code never changes meaning.
 * The README's error table is checked against this object by a test.
 */
export const ERROR_CATALOGUE = {
  // 400: the request is malformed or breaks a rule of the contract.
  MALFORMED_MULTIPART: { status: 400, title: 'Malformed multipart body' },
  BINARY_BODY_NOT_ENCODED: { status: 400, title: 'Binary body was not base64-encoded' },
  NO_IMAGE: { status: 400, title: 'No image in the upload' },
  IMAGE_NOT_A_FILE: { status: 400, title: 'The image field is not a file' },
  UNEXPECTED_FILE_FIELD: { status: 400, title: 'Unexpected file field' },
  EMPTY_FILE: { status: 400, title: 'Empty file' },
  TOO_MANY_FILES: { status: 400, title: 'Too many files' },
  TOO_MANY_FIELDS: { status: 400, title: 'Too many fields' },
  TOO_MANY_PARTS: { status: 400, title: 'Too many parts' },
  TOO_MANY_PART_HEADERS: { status: 400, title: 'Too many part headers' },
  INVALID_REQUEST_ID: { status: 400, title: 'Invalid X-Request-Id header' },
  CUSTOM_ATTRIBUTES_TOO_LONG: { status: 400, title: 'Custom attributes too long' },
  // API Gateway's own refusals, restyled by the stack's gateway responses
  // (codes named after the gateway response types).
  BAD_REQUEST_PARAMETERS: { status: 400, title: 'Missing required request header' },
  BAD_REQUEST_BODY: { status: 400, title: 'Request body failed validation' },
  // Only on API Gateway's DEFAULT_4XX, which keeps the status of the
  // response it stands in for: its body carries no status, and 400 is nominal.
  REQUEST_REJECTED: { status: 400, title: 'Request rejected by API Gateway' },
  // 401: an authorizer could not authenticate the caller (API Gateway).
  UNAUTHORIZED: { status: 401, title: 'Unauthorized' },
  // 403: API Gateway refused the caller.
  INVALID_API_KEY: { status: 403, title: 'Missing or invalid API key' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, title: 'No such route' },
  ACCESS_DENIED: { status: 403, title: 'Access denied' },
  EXPIRED_TOKEN: { status: 403, title: 'Expired credentials' },
  INVALID_SIGNATURE: { status: 403, title: 'Invalid request signature' },
  WAF_FILTERED: { status: 403, title: 'Blocked by the web application firewall' },
  // 404: API Gateway found no resource after authorization.
  RESOURCE_NOT_FOUND: { status: 404, title: 'Resource not found' },
  // 413: something is larger than a limit; the detail names the limit.
  FILE_TOO_LARGE: { status: 413, title: 'File too large' },
  FIELD_TOO_LARGE: { status: 413, title: 'Field too large' },
  IMAGE_TOO_MANY_PIXELS: { status: 413, title: 'Image has too many pixels' },
  REQUEST_TOO_LARGE: { status: 413, title: 'Request too large' },
  // 415: the request or the image is of a type the gateway does not take.
  UNSUPPORTED_CONTENT_TYPE: { status: 415, title: 'Request is not multipart/form-data' },
  UNSUPPORTED_IMAGE_FORMAT: { status: 415, title: 'Image format not allowed' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Media type not supported by API Gateway' },
  // 422: well-formed request, undecodable image.
  IMAGE_UNDECODABLE: { status: 422, title: 'Image cannot be decoded' },
  // 429: a usage plan's limits (API Gateway).
  THROTTLED: { status: 429, title: 'Too many requests' },
  QUOTA_EXCEEDED: { status: 429, title: 'Quota exceeded' },
  // 5xx: the model or the gateway failed; details are logged, never returned.
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  MODEL_ERROR: { status: 502, title: 'The model failed' },
  ENDPOINT_REJECTED_REQUEST: { status: 502, title: 'The endpoint rejected the request' },
  ENDPOINT_FAILURE: { status: 502, title: 'The endpoint failed' },
  BAD_MODEL_OUTPUT: { status: 502, title: 'The model answered something unusable' },
  INTEGRATION_FAILURE: { status: 502, title: 'API Gateway could not reach its backend' },
  ENDPOINT_UNAVAILABLE: { status: 503, title: 'The endpoint is unavailable' },
  ENDPOINT_TIMEOUT: { status: 504, title: 'The model did not answer in time' },
} as const satisfies Record<string, { status: ErrorStatus; title: string }>;

type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

export interface GatewayErrorOptions {
  /** The upload part at fault, e.g. `image[1]` ("field[index]" in upload order). */
  readonly part?: string;
  /** Seconds a client should wait before retrying (503). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/**
 * The only error type the pipeline throws on purpose. `detail` is safe to
 * show to a client; anything internal goes into `cause`, which is logged.
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly detail: string;
  readonly part: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: GatewayErrorOptions = {}) {
    super(`${code}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.detail = detail;
    this.part = options.part;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The same error, attributed to an upload part (keeps code, detail and cause). */
  withPart(part: string): GatewayError {
    if (this.part !== undefined) return this;
    return new GatewayError(this.code, this.detail, {
      part,
      retryAfterSeconds: this.retryAfterSeconds,
      cause: this.cause,
    });
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}
