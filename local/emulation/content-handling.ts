/**
 * Payload encodings on non-proxy (AWS, HTTP, MOCK) integrations: whether a
 * payload is text or binary (its media type against binaryMediaTypes), and
 * what `contentHandling` turns it into, on the way to the integration and
 * on the way back. A text payload is read as UTF-8, so bytes that are not
 * valid UTF-8 are replaced, as the deployed API does. Source: API Gateway
 * developer guide, "Content type conversions in API Gateway".
 */
import { isUtf8 } from 'node:buffer';
import type { ContentHandling } from './api-model.ts';
import { firstAcceptedType, matchesMediaType } from './media-types.ts';

/** A CONVERT_TO_BINARY of text that is not base64: API Gateway answers an API configuration error. */
export const NOT_BASE64 = 'not base64';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The payload read as UTF-8 text and written back: invalid sequences become U+FFFD. */
function asText(payload: Buffer): Buffer {
  return isUtf8(payload) ? payload : Buffer.from(payload.toString('utf8'), 'utf8');
}

function base64Decoded(payload: Buffer): Buffer | typeof NOT_BASE64 {
  const text = payload.toString('latin1').replace(/\s/g, '');
  if (!BASE64.test(text) || text.length % 4 !== 0) return NOT_BASE64;
  return Buffer.from(text, 'base64');
}

function base64Encoded(payload: Buffer): Buffer {
  return Buffer.from(payload.toString('base64'), 'latin1');
}

/**
 * The integration request payload for a method request body whose
 * Content-Type is `contentType`. Binary (the type matches
 * binaryMediaTypes): as is, or base64 text with CONVERT_TO_TEXT. Text: as
 * UTF-8 text, or base64-decoded with CONVERT_TO_BINARY.
 */
export function integrationRequestPayload(
  body: Buffer,
  contentType: string | undefined,
  binaryMediaTypes: readonly string[],
  contentHandling: ContentHandling,
): Buffer | typeof NOT_BASE64 {
  if (matchesMediaType(contentType, binaryMediaTypes)) {
    return contentHandling === 'CONVERT_TO_TEXT' ? base64Encoded(body) : body;
  }
  return contentHandling === 'CONVERT_TO_BINARY' ? base64Decoded(body) : asText(body);
}

/**
 * The method response payload for an integration response body of
 * `contentType`, for a request whose first Accept type is `accept`.
 */
export function methodResponsePayload(
  body: Buffer,
  contentType: string | undefined,
  accept: string | undefined,
  binaryMediaTypes: readonly string[],
  contentHandling: ContentHandling,
): Buffer | typeof NOT_BASE64 {
  if (binaryMediaTypes.length === 0) {
    return contentHandling === 'CONVERT_TO_BINARY' ? base64Decoded(body) : asText(body);
  }
  const binaryPayload = matchesMediaType(contentType, binaryMediaTypes);
  const binaryAccept = matchesMediaType(firstAcceptedType(accept), binaryMediaTypes);
  if (contentHandling === 'CONVERT_TO_TEXT')
    return binaryPayload ? base64Encoded(body) : asText(body);
  if (contentHandling === 'CONVERT_TO_BINARY') return binaryPayload ? body : base64Decoded(body);
  if (binaryPayload) return binaryAccept ? body : base64Encoded(body);
  return binaryAccept ? base64Decoded(body) : asText(body);
}
