import type { APIGatewayProxyEvent } from 'aws-lambda';
import { matchesMediaType } from './media-types.ts';

/** What the local gateway knows about one HTTP request when it builds the event. */
export interface IncomingRequest {
  readonly method: string;
  /** Path without the stage, e.g. `/predict`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Raw header pairs as received, client casing kept (`IncomingMessage.rawHeaders`). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface EventContext {
  readonly stage: string;
  readonly resourcePath: string;
  readonly stageVariables: Readonly<Record<string, string>> | null;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly apiKey: string | null;
  readonly apiKeyId: string | null;
  readonly binaryMediaTypes: readonly string[];
  readonly accountId?: string;
  readonly apiId?: string;
  readonly resourceId?: string;
}

/** Header names and values in arrival order, grouped by the client's first casing. */
function groupHeaders(rawHeaders: readonly string[]): Map<string, string[]> {
  const byLower = new Map<string, { name: string; values: string[] }>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const entry = byLower.get(name.toLowerCase());
    if (entry === undefined) byLower.set(name.toLowerCase(), { name, values: [value] });
    else entry.values.push(value);
  }
  return new Map([...byLower.values()].map(({ name, values }) => [name, values]));
}

/**
 * Builds the Lambda proxy (v1) event the way API Gateway does: header names
 * keep the client's casing, `headers` holds the last value of each and
 * `multiValueHeaders` all of them, and the body is base64 with
 * `isBase64Encoded: true` if and only if the Content-Type matches
 * binaryMediaTypes; otherwise it is decoded as UTF-8 text, destroying any
 * binary bytes exactly as the deployed API would.
 */
export function buildProxyEvent(
  request: IncomingRequest,
  context: EventContext,
): APIGatewayProxyEvent {
  const grouped = groupHeaders(request.rawHeaders);
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of grouped) {
    headers[name] = values[values.length - 1] as string;
    multiValueHeaders[name] = values;
  }
  const contentType = [...grouped.entries()].find(
    ([name]) => name.toLowerCase() === 'content-type',
  )?.[1][0];
  const binary = matchesMediaType(contentType, context.binaryMediaTypes);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of request.query) {
    query[key] = value;
    multiQuery[key] = [...(multiQuery[key] ?? []), value];
  }
  const hasQuery = Object.keys(query).length > 0;
  const userAgent =
    headers[[...grouped.keys()].find((n) => n.toLowerCase() === 'user-agent') ?? ''] ?? null;
  return {
    resource: context.resourcePath,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: null,
    stageVariables: context.stageVariables,
    requestContext: {
      accountId: context.accountId ?? '000000000000',
      apiId: context.apiId ?? 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: request.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: context.apiKey,
        apiKeyId: context.apiKeyId,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path: `/${context.stage}${request.path}`,
      stage: context.stage,
      requestId: context.requestId,
      requestTimeEpoch: context.requestTimeEpoch,
      resourceId: context.resourceId ?? 'local',
      resourcePath: context.resourcePath,
    },
    body: request.body.length === 0 ? null : request.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary && request.body.length > 0,
  };
}

/**
 * The event's size as JSON, as Lambda counts it against LAMBDA_MAX_EVENT_BYTES,
 * without serialising the body: base64 needs no escaping, so only a text
 * body is measured through JSON.stringify.
 */
export function eventBytes(event: APIGatewayProxyEvent): number {
  const rest = Buffer.byteLength(JSON.stringify({ ...event, body: '' })) - 2; // less the ""
  if (event.body === null) return rest + 4; // null
  return (
    rest +
    (event.isBase64Encoded ? event.body.length + 2 : Buffer.byteLength(JSON.stringify(event.body)))
  );
}
