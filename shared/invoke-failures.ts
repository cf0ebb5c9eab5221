/**
 * The one table of how the gateway answers a failed SageMaker Runtime
 * InvokeEndpoint call, for both routes: `/predict`'s error mapping
 * (functions/predict/invoke.ts) looks failures up by error type, then by
 * HTTP status; `/invocations`' integration responses
 * (infra/constructs/passthrough.ts) are generated from it and can only
 * select on the status (see `answerForStatus`).
 *
 * Each answer is a catalogue code (its status is the catalogue's), whether
 * Retry-After is sent, and a detail safe to show a client: never SageMaker's
 * message, an account id, or a 5xx body of the model container.
 */
import {
  SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS,
  SAGEMAKER_INFERENCE_ID_MAX_CHARS,
  SAGEMAKER_MAX_BODY_BYTES,
  SAGEMAKER_SERVERLESS_MAX_BODY_BYTES,
} from './aws-facts.ts';
import type { ErrorCode } from './errors.ts';

/** What a detail may depend on. */
export interface FailureContext {
  /** Seconds a client should wait before retrying (RETRY_AFTER_SECONDS). */
  readonly retryAfterSeconds: number;
}

/** How the client is answered. */
export interface FailureAnswer {
  readonly code: ErrorCode;
  /** True when the answer carries `Retry-After: retryAfterSeconds`. */
  readonly retryAfter: boolean;
  readonly detail: (context: FailureContext) => string;
}

const REJECTED: FailureAnswer = {
  code: 'ENDPOINT_REJECTED_REQUEST',
  retryAfter: false,
  detail: () => 'SageMaker rejected the invocation; the request id identifies it in the logs.',
};

const UNAVAILABLE: FailureAnswer = {
  code: 'ENDPOINT_UNAVAILABLE',
  retryAfter: true,
  detail: ({ retryAfterSeconds }) =>
    `The endpoint is busy or not ready; retry after ${retryAfterSeconds} s.`,
};

const NOT_ALLOWED: FailureAnswer = {
  code: 'INTERNAL_ERROR',
  retryAfter: false,
  detail: () =>
    'The gateway is not allowed to invoke this endpoint; the request id identifies it in the logs.',
};

const TOO_LARGE: FailureAnswer = {
  code: 'REQUEST_TOO_LARGE',
  retryAfter: false,
  detail: () =>
    `SageMaker accepts at most ${SAGEMAKER_MAX_BODY_BYTES} bytes per invocation (${SAGEMAKER_SERVERLESS_MAX_BODY_BYTES} on serverless endpoints).`,
};

const NOT_FOUND: FailureAnswer = {
  code: 'ENDPOINT_REJECTED_REQUEST',
  retryAfter: false,
  detail: () =>
    'The SageMaker Runtime URL has no such endpoint (404); the request id identifies it in the logs.',
};

const FAILED: FailureAnswer = {
  code: 'ENDPOINT_FAILURE',
  retryAfter: false,
  detail: () => 'The endpoint failed; the request id identifies it in the logs.',
};

/** The detail without the container's status; `modelErrorDetail` refines it. */
const MODEL_FAILED: FailureAnswer = {
  code: 'MODEL_ERROR',
  retryAfter: false,
  detail: () => MODEL_ERROR_DETAIL.noStatus,
};

/** One way SageMaker answers InvokeEndpoint with an error. */
export interface SageMakerFailure {
  /**
   * The error type SageMaker names in `x-amzn-errortype` (the SDK
   * exception's `name`); undefined when it sends none.
   */
  readonly errorType: string | undefined;
  /** SageMaker's HTTP status. */
  readonly status: number;
  readonly answer: FailureAnswer;
}

/**
 * SageMaker's failures. Source: SageMaker API reference, InvokeEndpoint
 * (Errors: ValidationError 400, ModelError 424, ModelNotReadyException 429,
 * InternalFailure 500, ServiceUnavailable 503, InternalDependencyException
 * 530) and Common Errors (ThrottlingException 400, AccessDeniedException
 * 403; older versions of that page say 400). An unknown endpoint is a
 * ValidationError. A body over the limit gets 413 without an error type
 * (*observed*, see model-server/aws-errors.ts). SageMaker documents no 404:
 * one comes from what answers at the runtime URL when it is not SageMaker
 * Runtime's InvokeEndpoint route (an endpoint URL override pointing at the
 * wrong server or path, a proxy), usually with a body that is not
 * SageMaker's JSON, which the SDK raises as a deserialisation error
 * carrying only the status. Where two failures share a
 * status, the first listed is the one `answerForStatus` gives: an unknown
 * endpoint (ValidationError) is far likelier behind a bare 400 than the
 * account's InvokeEndpoint throttle.
 */
export const SAGEMAKER_FAILURES: readonly SageMakerFailure[] = [
  { errorType: 'ValidationError', status: 400, answer: REJECTED },
  { errorType: 'ThrottlingException', status: 400, answer: UNAVAILABLE },
  { errorType: 'AccessDeniedException', status: 403, answer: NOT_ALLOWED },
  { errorType: undefined, status: 404, answer: NOT_FOUND },
  { errorType: undefined, status: 413, answer: TOO_LARGE },
  { errorType: 'ModelError', status: 424, answer: MODEL_FAILED },
  { errorType: 'ModelNotReadyException', status: 429, answer: UNAVAILABLE },
  { errorType: 'InternalFailure', status: 500, answer: FAILED },
  { errorType: 'ServiceUnavailable', status: 503, answer: UNAVAILABLE },
  { errorType: 'InternalDependencyException', status: 530, answer: FAILED },
];

/**
 * The answer when only SageMaker's status is known: the first failure of
 * the table with that status, else any other 4xx (a request SageMaker
 * refused) or 5xx (SageMaker failed). Undefined below 400.
 */
export function answerForStatus(status: number): FailureAnswer | undefined {
  const listed = SAGEMAKER_FAILURES.find((failure) => failure.status === status);
  if (listed !== undefined) return listed.answer;
  if (status >= 400 && status <= 499) return REJECTED;
  if (status >= 500 && status <= 599) return FAILED;
  return undefined;
}

/**
 * The answer to an error SageMaker sent: by its error type when the table
 * lists it (ThrottlingException and ValidationError share 400), else by
 * status. Undefined when neither is known.
 */
export function answerForSageMakerError(
  errorType: string | undefined,
  status: number | undefined,
): FailureAnswer | undefined {
  const byType =
    errorType === undefined
      ? undefined
      : SAGEMAKER_FAILURES.find((failure) => failure.errorType === errorType);
  if (byType !== undefined) return byType.answer;
  return status === undefined ? undefined : answerForStatus(status);
}

/**
 * Failures on the caller's side of the connection (`/predict` only:
 * on `/invocations` API Gateway answers these through its gateway
 * responses, INTEGRATION_TIMEOUT and INTEGRATION_FAILURE).
 */
export const CLIENT_FAILURES = {
  /** The connection was refused, reset or broken (ECONNREFUSED, ECONNRESET, EPIPE). */
  unreachable: UNAVAILABLE,
  /** Any other network error (DNS, TLS): a system error code and no HTTP status. */
  network: FAILED,
  /** Anything else is a bug in the gateway; nothing of it is shown. */
  unexpected: {
    code: 'INTERNAL_ERROR',
    retryAfter: false,
    detail: () => 'The gateway failed unexpectedly; the request id identifies it in the logs.',
  },
} as const satisfies Record<string, FailureAnswer>;

/** System error codes of a connection that failed: the endpoint is unreachable for now. */
export const UNREACHABLE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
]);

/** The deadline's detail: `budgetMs` is the time the invocations had. */
export function timeoutDetail(budgetMs: number): string {
  return `The model did not answer within ${(budgetMs / 1000).toFixed(1)} s.`;
}

/**
 * How much of the container's own 4xx message a MODEL_ERROR detail quotes:
 * enough for any error sentence, bounded whatever the container sends.
 */
export const MODEL_MESSAGE_MAX_CHARS = 512;

/**
 * The MODEL_ERROR details, in pieces so /invocations' mapping template can
 * be built from the same words (`modelErrorDetail` chooses among them).
 */
export const MODEL_ERROR_DETAIL = {
  /** The container refused the input (4xx): its status and its own message. */
  clientError: (status: string, message: string) =>
    `The model container answered with status ${status}: ${message}`,
  /** Any other status: the number only, its 5xx body may hold internals. */
  otherStatus: (status: string) => `The model container answered with status ${status}.`,
  noStatus: 'The model container answered with an error.',
} as const;

/**
 * The MODEL_ERROR detail from ModelError's `OriginalStatusCode` and
 * `OriginalMessage`: the message (its first MODEL_MESSAGE_MAX_CHARS
 * characters) only for a 4xx, which is the container speaking to the client.
 */
export function modelErrorDetail(
  originalStatus: number | undefined,
  originalMessage: string | undefined,
): string {
  if (typeof originalStatus !== 'number' || !(originalStatus >= 0))
    return MODEL_ERROR_DETAIL.noStatus;
  const message = (originalMessage ?? '').slice(0, MODEL_MESSAGE_MAX_CHARS);
  if (originalStatus >= 400 && originalStatus <= 499 && message !== '') {
    return MODEL_ERROR_DETAIL.clientError(String(originalStatus), message);
  }
  return MODEL_ERROR_DETAIL.otherStatus(String(originalStatus));
}

/**
 * The InferenceId rule as the gateway checks X-Request-Id before SageMaker
 * would refuse it (InvokeEndpoint `InferenceId`).
 */
export const INVALID_REQUEST_ID_DETAIL = `X-Request-Id must be 1 to ${SAGEMAKER_INFERENCE_ID_MAX_CHARS} printable ASCII characters, not starting with a space.`;

/**
 * `/invocations` forwards X-Client-Id as the custom attributes unchanged,
 * so it is checked against SageMaker's limit as is (InvokeEndpoint
 * `CustomAttributes`). `length` is the header's length in characters.
 */
export function clientIdTooLongDetail(length: string): string {
  return `X-Client-Id has ${length} characters; SageMaker allows ${SAGEMAKER_CUSTOM_ATTRIBUTES_MAX_CHARS} characters of custom attributes.`;
}
