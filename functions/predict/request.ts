import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isInferenceId } from '#shared/aws-facts.ts';
import { GatewayError } from '#shared/errors.ts';
import { rawBodyOf } from '#shared/in-process-event.ts';
import { INVALID_REQUEST_ID_DETAIL } from '#shared/invoke-failures.ts';

/**
 * A header's value, found case-insensitively: API Gateway keeps the client's
 * casing in both `headers` and `multiValueHeaders`, and either may be null
 * (test consoles, direct invocations).
 */
export function eventHeader(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values !== undefined && values.length > 0) {
      return values[values.length - 1];
    }
  }
  return undefined;
}

// U+FFFD is what a UTF-8 decode leaves of invalid bytes; C0 controls other
// than tab, CR and LF never occur in text form fields but fill binary files.
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control bytes is the point
const NOT_TEXT = /[\uFFFD\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

/**
 * The raw request body. API Gateway base64-encodes it only when the request
 * Content-Type matches the API's binaryMediaTypes; otherwise it has decoded
 * the bytes as UTF-8 and any image in it is already destroyed, so say why
 * instead of passing garbage on. An event built in-process may carry the
 * bytes beside the body (shared/in-process-event.ts): they are returned as is.
 */
export function decodeBody(event: APIGatewayProxyEvent): Buffer {
  // Run in-process (the local gateway), the event also holds the bytes its
  // base64 body encodes: the same bytes, without making and decoding the string.
  const raw = event.isBase64Encoded ? rawBodyOf(event) : undefined;
  if (raw !== undefined && raw.length > 0) return raw;
  const body = event.body;
  if (body === null || body === undefined || body === '') {
    throw new GatewayError('MALFORMED_MULTIPART', 'The request has no body.');
  }
  if (event.isBase64Encoded) return Buffer.from(body, 'base64');
  if (NOT_TEXT.test(body)) {
    throw new GatewayError(
      'BINARY_BODY_NOT_ENCODED',
      'The body reached the function as text, so its file bytes were altered on the way. ' +
        "The likely cause is API Gateway's binaryMediaTypes not matching the request " +
        'Content-Type (it must list multipart/form-data).',
    );
  }
  return Buffer.from(body, 'utf8');
}

/**
 * The request id used everywhere: the client's `X-Request-Id` when it is a
 * valid SageMaker InferenceId, else API Gateway's own request id.
 */
export function resolveRequestId(clientValue: string | undefined, gatewayId: string): string {
  if (clientValue === undefined) return gatewayId;
  if (!isInferenceId(clientValue)) {
    throw new GatewayError('INVALID_REQUEST_ID', INVALID_REQUEST_ID_DETAIL);
  }
  return clientValue;
}
