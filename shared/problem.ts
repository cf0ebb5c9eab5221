import type { z } from 'zod';
import type { ImageProblemSchema, ProblemSchema } from './contract-schema.ts';
import { ERROR_CATALOGUE, type ErrorCode, isGatewayError } from './errors.ts';

/** The media type of every error body, from API Gateway or the Lambda. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** RFC 9457 problem details plus the gateway's stable `code` and the request id. */
export type Problem = z.infer<typeof ProblemSchema>;

/** Partial mode: the problem of one image, inside a 200 body (no request id of its own). */
export type ImageProblem = z.infer<typeof ImageProblemSchema>;

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

/** `problem` as one image's error in a partial answer: the request id stays on the envelope. */
export function toImageProblem(problem: Problem, part: string): ImageProblem {
  const { type, title, status, detail, code } = problem;
  return { type, title, status, detail, code, part: problem.part ?? part };
}
