/**
 * What the local gateway answers: either a response it has built, or a
 * fault (an error API Gateway makes itself), which only the gateway turns
 * into a response, through the stack's gateway responses.
 */

/** A response ready to send. */
export interface Reply {
  readonly status: number;
  /** Header pairs in order; a name may repeat. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  /** API Gateway's `x-amzn-ErrorType`, set on the errors it makes itself. */
  readonly errorType?: string;
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
  | 'REQUEST_TOO_LARGE'
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

/**
 * The reply's headers as `ServerResponse.writeHead` takes them (a repeated
 * name becomes an array), plus the request id API Gateway always adds and
 * the error type on its own errors.
 */
export function responseHeaders(
  reply: Reply,
  requestId: string,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of reply.headers) {
    const existing = headers[name];
    headers[name] =
      existing === undefined
        ? value
        : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  headers['x-amzn-RequestId'] = requestId;
  if (reply.errorType !== undefined) headers['x-amzn-ErrorType'] = reply.errorType;
  return headers;
}
