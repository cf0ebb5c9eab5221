import type { APIGatewayProxyEvent } from 'aws-lambda';
import { attachRawBody, base64Length, rawBodyOf } from '#shared/in-process-event.ts';
import { LOCAL_AWS } from './aws-identity.ts';
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
  /** @default us-east-1 */
  readonly region?: string;
  /**
   * API Gateway's own id for the request (`x-amz-apigw-id`).
   * @default derived from requestId, so a fixture is reproducible
   */
  readonly extendedRequestId?: string;
  /**
   * The X-Ray trace id API Gateway gives a request that carries none.
   * @default derived from requestTimeEpoch and requestId
   */
  readonly traceId?: string;
  /**
   * `requestContext.authorizer`: a Lambda authorizer's `principalId` and `context`.
   * @default null (no authorizer)
   */
  readonly authorizer?: Readonly<Record<string, unknown>>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `$context.requestTime`: CLF, `dd/MMM/yyyy:HH:mm:ss +0000`, in UTC. Source:
 * API Gateway developer guide, "API Gateway mapping template and access
 * logging variable reference".
 */
export function requestTimeClf(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** The request id's hex digits as `bytes` bytes (zero-padded): stable stand-ins for random ids. */
function idBytes(requestId: string, bytes: number): Buffer {
  const hex = requestId.replace(/[^0-9a-f]/gi, '').padEnd(bytes * 2, '0');
  return Buffer.from(hex.slice(0, bytes * 2), 'hex');
}

/**
 * `$context.extendedRequestId` / `x-amz-apigw-id`: 11 bytes, base64url with
 * its padding, as deployed APIs send it (e.g. `OPwe_ErKvHcF5ZA=`, observed).
 */
export function extendedRequestIdOf(bytes: Buffer): string {
  return `${bytes.subarray(0, 11).toString('base64url')}=`;
}

/**
 * An X-Ray trace header: `Root=1-{epoch seconds, 8 hex}-{96 bits, 24 hex}`.
 * Source: AWS X-Ray developer guide, "Amazon API Gateway active tracing
 * support for AWS X-Ray" (trace ID format).
 */
export function traceIdOf(epochMs: number, bytes: Buffer): string {
  const seconds = Math.floor(epochMs / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${seconds}-${bytes.subarray(0, 12).toString('hex')}`;
}

/**
 * The headers API Gateway sets on the request it passes on: Host (the
 * domain, when the client sent none), X-Amzn-Trace-Id (unless the client
 * sent one: "API Gateway adds a trace header to incoming HTTP requests that
 * don't already have one", AWS X-Ray developer guide), X-Forwarded-For (the
 * source IP appended to what the client sent, observed), X-Forwarded-Port
 * and X-Forwarded-Proto (443 and https: execute-api serves HTTPS only).
 * A header the client sent keeps its name, casing and place.
 */
function addGatewayHeaders(
  grouped: Map<string, string[]>,
  values: { host: string; traceId: string; sourceIp: string },
): void {
  const names = new Map([...grouped.keys()].map((name) => [name.toLowerCase(), name]));
  const set = (name: string, value: (sent: string[] | undefined) => string) => {
    const sentName = names.get(name.toLowerCase());
    grouped.set(sentName ?? name, [
      value(sentName === undefined ? undefined : grouped.get(sentName)),
    ]);
  };
  set('Host', (sent) => sent?.[sent.length - 1] ?? values.host);
  set('X-Amzn-Trace-Id', (sent) => sent?.[sent.length - 1] ?? values.traceId);
  set('X-Forwarded-For', (sent) =>
    sent === undefined ? values.sourceIp : `${sent.join(', ')}, ${values.sourceIp}`,
  );
  set('X-Forwarded-Port', () => '443');
  set('X-Forwarded-Proto', () => 'https');
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
 * `multiValueHeaders` all of them, plus the headers API Gateway adds; the
 * body is base64 with `isBase64Encoded: true` if and only if the
 * Content-Type matches binaryMediaTypes; otherwise it is decoded as UTF-8
 * text, destroying any binary bytes exactly as the deployed API would.
 * `requestContext` carries the request time (epoch and CLF), the domain
 * (the Host the client used, else the execute-api name) and the extended
 * request id. Pure: every value comes from `request` and `context`.
 */
export function buildProxyEvent(
  request: IncomingRequest,
  context: EventContext,
): APIGatewayProxyEvent {
  const grouped = groupHeaders(request.rawHeaders);
  const apiId = context.apiId ?? LOCAL_AWS.apiId;
  const sentHost = [...grouped.entries()].find(([name]) => name.toLowerCase() === 'host')?.[1];
  const host =
    sentHost?.[sentHost.length - 1] ??
    `${apiId}.execute-api.${context.region ?? LOCAL_AWS.region}.amazonaws.com`;
  // The domain name is the Host header's (mapping template reference), without a port.
  const domainName = host.replace(/:\d+$/, '');
  const stableBytes = idBytes(context.requestId, 23);
  addGatewayHeaders(grouped, {
    host,
    traceId: context.traceId ?? traceIdOf(context.requestTimeEpoch, stableBytes.subarray(11)),
    sourceIp: request.sourceIp,
  });
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
  const event: APIGatewayProxyEvent = {
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
      accountId: context.accountId ?? LOCAL_AWS.accountId,
      apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      extendedRequestId: context.extendedRequestId ?? extendedRequestIdOf(stableBytes),
      authorizer: context.authorizer === undefined ? null : { ...context.authorizer },
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
      requestTime: requestTimeClf(context.requestTimeEpoch),
      requestTimeEpoch: context.requestTimeEpoch,
      resourceId: context.resourceId ?? 'local',
      resourcePath: context.resourcePath,
    },
    body: request.body.length === 0 || binary ? null : request.body.toString('utf8'),
    isBase64Encoded: binary && request.body.length > 0,
  };
  // A binary body's base64 is made only if the handler reads it (see
  // shared/in-process-event.ts); the bytes travel beside it.
  return event.isBase64Encoded ? attachRawBody(event, request.body) : event;
}

/**
 * The event's size as JSON, as Lambda counts it against LAMBDA_MAX_EVENT_BYTES,
 * without serialising the body: base64 needs no escaping, so only a text
 * body is measured through JSON.stringify.
 */
export function eventBytes(event: APIGatewayProxyEvent): number {
  // Every field but the body, copied without reading it (reading an
  // in-process body would make its base64).
  const others: Record<string, unknown> = {};
  for (const key of Object.keys(event)) {
    if (key !== 'body') others[key] = event[key as keyof APIGatewayProxyEvent];
  }
  const rest = Buffer.byteLength(JSON.stringify({ ...others, body: '' })) - 2; // less the ""
  const raw = rawBodyOf(event);
  if (raw !== undefined) return rest + base64Length(raw.length) + 2;
  if (event.body === null) return rest + 4; // null
  return (
    rest +
    (event.isBase64Encoded ? event.body.length + 2 : Buffer.byteLength(JSON.stringify(event.body)))
  );
}
