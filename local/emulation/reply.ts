/**
 * What the local gateway answers: either a response it has built, or a
 * fault (an error API Gateway makes itself), which only the gateway turns
 * into a response, through the stack's gateway responses.
 */
import { GATEWAY_RESPONSE_DEFAULTS } from './gateway-responses.ts';

/** A response ready to send. */
export interface Reply {
  readonly status: number;
  /** Header pairs in order; a name may repeat. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /**
   * The gateway response type (`$context.error.responseType`) of an error
   * API Gateway makes itself; `x-amzn-ErrorType` carries its exception name.
   */
  readonly errorType?: GatewayResponseType;
}

/**
 * The response types of the errors the local gateway makes. Source: API
 * Gateway developer guide, "Gateway response types for API Gateway".
 */
export type GatewayResponseType =
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_API_KEY'
  | 'THROTTLED'
  | 'QUOTA_EXCEEDED'
  | 'INTEGRATION_TIMEOUT'
  | 'INTEGRATION_FAILURE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST_TOO_LARGE'
  | 'API_CONFIGURATION_ERROR'
  | 'UNAUTHORIZED'
  | 'ACCESS_DENIED'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'DEFAULT_5XX';

/** An error API Gateway makes itself; `message` overrides its default message. */
export interface Fault {
  readonly fault: GatewayResponseType;
  readonly message?: string;
}

/** What an integration or a check produces. */
export type Outcome = Reply | Fault;

export function isFault(outcome: Outcome): outcome is Fault {
  return 'fault' in outcome;
}

/** The ids API Gateway puts on every response besides the request id. */
export interface ResponseIds {
  /** `$context.extendedRequestId`, sent as `x-amz-apigw-id`. */
  readonly extendedRequestId: string;
  /** The request's `X-Amzn-Trace-Id`. */
  readonly traceId?: string;
}

/**
 * The reply's headers as `ServerResponse.writeHead` takes them (a repeated
 * name becomes an array), plus what API Gateway adds to every response
 * (`x-amzn-RequestId`, `x-amz-apigw-id`, `X-Amzn-Trace-Id`) and, on its own
 * errors, the exception name in `x-amzn-ErrorType`.
 */
export function responseHeaders(
  reply: Reply,
  requestId: string,
  ids?: ResponseIds,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of reply.headers) {
    // The length is the body's own (below), whatever an integration said.
    if (name.toLowerCase() === 'content-length') continue;
    const existing = headers[name];
    headers[name] =
      existing === undefined
        ? value
        : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  // A length, as API Gateway sends, not chunked framing (RFC 9110 section
  // 8.6: none on a 204 or 304).
  if (reply.status !== 204 && reply.status !== 304) {
    headers['Content-Length'] = String(reply.body.length);
  }
  headers['x-amzn-RequestId'] = requestId;
  const exception =
    reply.errorType === undefined
      ? undefined
      : GATEWAY_RESPONSE_DEFAULTS[reply.errorType].errorType;
  if (exception !== undefined) headers['x-amzn-ErrorType'] = exception;
  if (ids !== undefined) {
    headers['x-amz-apigw-id'] = ids.extendedRequestId;
    if (ids.traceId !== undefined) headers['X-Amzn-Trace-Id'] = ids.traceId;
  }
  return headers;
}
