import { LAMBDA_MAX_RESPONSE_BYTES } from '#shared/aws-facts.ts';
import { firstAcceptedType, matchesMediaType } from './media-types.ts';

/** Why a result over Lambda's response limit is refused, the limit in MB. */
const OVER_RESPONSE_LIMIT =
  `response payload over ${LAMBDA_MAX_RESPONSE_BYTES / (1024 * 1024)} MB` as const;

export interface HttpResponse {
  readonly statusCode: number;
  /** Header pairs; a name may repeat (multiValueHeaders). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

/** Why API Gateway would refuse a Lambda proxy result (it answers 502 to each). */
export type InvalidResult =
  | 'not an object'
  | 'statusCode is not an integer from 100 to 599'
  | 'a header value is not a string'
  | 'body is not a string'
  | 'isBase64Encoded is not a boolean'
  | 'body is not valid base64'
  | typeof OVER_RESPONSE_LIMIT;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Turns a Lambda proxy result into the HTTP response API Gateway would send,
 * or says why it would answer 502 instead. `headers` and `multiValueHeaders`
 * are merged (single values win only where no multi-value entry exists, as
 * API Gateway does); a base64 body is decoded to bytes only when the FIRST
 * media type of the request's Accept matches binaryMediaTypes, otherwise the
 * base64 text itself is sent.
 */
export function translateResult(
  result: unknown,
  accept: string | undefined,
  binaryMediaTypes: readonly string[],
): HttpResponse | { invalid: InvalidResult } {
  if (typeof result !== 'object' || result === null) return { invalid: 'not an object' };
  const r = result as Record<string, unknown>;
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(result));
  } catch {
    return { invalid: 'not an object' };
  }
  if (size > LAMBDA_MAX_RESPONSE_BYTES) return { invalid: OVER_RESPONSE_LIMIT };
  const status = r.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) {
    return { invalid: 'statusCode is not an integer from 100 to 599' };
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') {
    return { invalid: 'body is not a string' };
  }
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean') {
    return { invalid: 'isBase64Encoded is not a boolean' };
  }
  const headers: Array<[string, string]> = [];
  const multi = (r.multiValueHeaders ?? {}) as Record<string, unknown>;
  const multiNames = new Set(Object.keys(multi).map((name) => name.toLowerCase()));
  for (const [name, value] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
    const text = headerText(value);
    if (text === undefined) return { invalid: 'a header value is not a string' };
    if (!multiNames.has(name.toLowerCase())) headers.push([name, text]);
  }
  for (const [name, values] of Object.entries(multi)) {
    if (!Array.isArray(values)) return { invalid: 'a header value is not a string' };
    for (const value of values) {
      const text = headerText(value);
      if (text === undefined) return { invalid: 'a header value is not a string' };
      headers.push([name, text]);
    }
  }
  const text = (r.body as string | undefined | null) ?? '';
  let body: Buffer;
  if (r.isBase64Encoded === true) {
    if (!BASE64.test(text) || text.length % 4 !== 0) return { invalid: 'body is not valid base64' };
    body = matchesMediaType(firstAcceptedType(accept), binaryMediaTypes)
      ? Buffer.from(text, 'base64')
      : Buffer.from(text, 'utf8');
  } else {
    body = Buffer.from(text, 'utf8');
  }
  return { statusCode: status, headers, body };
}
