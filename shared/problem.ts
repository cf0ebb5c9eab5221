import { ERROR_CATALOGUE, type ErrorCode, isGatewayError } from './errors.ts';

/** The media type of every error body, from API Gateway or the Lambda. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details plus the gateway's stable `code` and the request id. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
  readonly requestId: string;
  /** The upload part at fault, as `field[index]`, when one part is. */
  readonly part?: string;
}

/** A tag URI: stable and unique without promising a resolvable web page. */
export function problemType(code: ErrorCode): string {
  return `urn:image-inference-gateway:error:${code}`;
}

/**
 * Describes any thrown value as a problem. Only a GatewayError's own detail
 * reaches the client; anything else becomes a generic INTERNAL_ERROR so that
 * stack traces, SDK messages and file paths never leak.
 */
export function toProblem(error: unknown, requestId: string): Problem {
  if (isGatewayError(error)) {
    const problem: Problem = {
      type: problemType(error.code),
      title: ERROR_CATALOGUE[error.code].title,
      status: error.status,
      detail: error.detail,
      code: error.code,
      requestId,
    };
    return error.part === undefined ? problem : { ...problem, part: error.part };
  }
  return {
    type: problemType('INTERNAL_ERROR'),
    title: ERROR_CATALOGUE.INTERNAL_ERROR.title,
    status: ERROR_CATALOGUE.INTERNAL_ERROR.status,
    detail: 'The gateway failed unexpectedly; the request id identifies it in the logs.',
    code: 'INTERNAL_ERROR',
    requestId,
  };
}
