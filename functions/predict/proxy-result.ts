/**
 * Builds the Lambda proxy integration results (`APIGatewayProxyResult`: status,
 * headers, string body) the handler returns to API Gateway, and holds the one
 * function that turns an error into an HTTP response, `errorResult`.
 * Source: API Gateway developer guide, "Output format of a Lambda function for
 * proxy integration".
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { EXPOSED_HEADERS } from '#shared/contract.ts';
import { isGatewayError } from '#shared/errors.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, toProblem } from '#shared/problem.ts';

/** Response headers by name, one value each (the proxy result's `headers`). */
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

/** A JSON result: `body` serialised, `Content-Type: application/json` over `headers`. */
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
 * The one place an error becomes an HTTP response: problem+json (RFC 9457)
 * with the catalogue's status, `Retry-After` when the error carries one, and
 * the request id echoed. Anything but a GatewayError becomes INTERNAL_ERROR
 * with its message hidden (`toProblem`). Returns the problem too, for the logs
 * and metrics.
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
