import type { APIGatewayProxyResult } from 'aws-lambda';
import { EXPOSED_HEADERS } from '#shared/contract.ts';
import { isGatewayError } from '#shared/errors.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, toProblem } from '#shared/problem.ts';

export type Headers = Record<string, string>;

/**
 * CORS headers for one response. The allowed origin is echoed (or `*`), and
 * `Vary: Origin` is always set so caches never serve one origin's answer to
 * another.
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Headers {
  const headers: Headers = { Vary: 'Origin' };
  const allowOrigin = allowed.includes('*')
    ? '*'
    : origin !== undefined && allowed.includes(origin)
      ? origin
      : undefined;
  if (allowOrigin !== undefined) {
    headers['Access-Control-Allow-Origin'] = allowOrigin;
    headers['Access-Control-Expose-Headers'] = EXPOSED_HEADERS.join(', ');
  }
  return headers;
}

export function jsonResult(
  statusCode: number,
  body: unknown,
  headers: Headers,
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
}

/**
 * The one place an error becomes an HTTP response: problem+json with the
 * catalogue's status, `Retry-After` when the error carries one, and the
 * request id echoed.
 */
export function errorResult(
  error: unknown,
  requestId: string,
  headers: Headers,
): { result: APIGatewayProxyResult; problem: Problem } {
  const problem = toProblem(error, requestId);
  const extra: Headers = {};
  if (isGatewayError(error) && error.retryAfterSeconds !== undefined) {
    extra['Retry-After'] = String(error.retryAfterSeconds);
  }
  return {
    problem,
    result: {
      statusCode: problem.status,
      headers: { ...headers, ...extra, 'Content-Type': PROBLEM_CONTENT_TYPE },
      body: JSON.stringify(problem),
    },
  };
}
