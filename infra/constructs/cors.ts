import { EXPOSED_HEADERS, REQUEST_HEADERS } from '#shared/contract.ts';

/** Request headers a browser may send across origins (lower case, as browsers list them). */
export const CORS_ALLOW_HEADERS: readonly string[] = [
  'content-type',
  REQUEST_HEADERS.apiKey,
  REQUEST_HEADERS.requestId,
  REQUEST_HEADERS.clientId,
];

/** How long a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/** The origin header mapping that echoes the caller's Origin back. */
export const ECHO_ORIGIN = 'method.request.header.Origin';

/**
 * Where a CORS header mapping goes: a gateway response may map request
 * headers, an integration response may not (only integration response
 * data, context and stage variables, and static values).
 */
export type ResponseKind = 'gateway-response' | 'integration-response';

/**
 * CORS headers for responses API Gateway writes itself (gateway responses,
 * the passthrough route), as header name -> mapping expression. Neither kind
 * can choose a value conditionally, so:
 * - `*` is sent as `*`;
 * - one origin is sent as that origin, whatever the caller's;
 * - several origins: a gateway response echoes the caller's Origin (these
 *   carry only an error code and a request id, never anyone's data); an
 *   integration response cannot read request headers and sends the first
 *   origin, so only that origin's pages can read /invocations answers.
 * The Lambda's own responses (`corsHeaders` in functions/predict/proxy-result.ts)
 * check the origin against the list, as CORS_ALLOW_ORIGINS tells them.
 */
export function corsResponseHeaders(
  origins: readonly string[],
  kind: ResponseKind,
): Record<string, string> {
  const [first] = origins;
  if (first === undefined) throw new Error('corsResponseHeaders needs at least one origin');
  const allowOrigin =
    origins.length > 1 && kind === 'gateway-response' ? ECHO_ORIGIN : `'${first}'`;
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': allowOrigin,
    'Access-Control-Expose-Headers': `'${EXPOSED_HEADERS.join(',')}'`,
  };
  if (first !== '*') headers.Vary = "'Origin'";
  return headers;
}
