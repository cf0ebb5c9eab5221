import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IMAGE_FIELD } from '#shared/contract.ts';
import {
  buildMultipart,
  eventFor,
  type ImageName,
  loadImage,
  type MultipartPart,
} from '../fixtures/index.ts';

/** The boundary of every `uploadEvent` body. */
export const UPLOAD_BOUNDARY = '----test-boundary-7MA4YWxkTrZu0gW';

/** The `Content-Type` header of an `uploadEvent`. */
export const UPLOAD_CONTENT_TYPE = `multipart/form-data; boundary=${UPLOAD_BOUNDARY}`;

/**
 * A file part carrying the fixture `name`, declared `image/jpeg` whatever it
 * holds (the gateway trusts bytes, not declared types).
 */
export function imagePart(
  name: ImageName,
  filename: string = name,
  field: string = IMAGE_FIELD,
): MultipartPart {
  return { name: field, filename, contentType: 'image/jpeg', bytes: loadImage(name) };
}

/** A v1 proxy event carrying `parts` as multipart/form-data, plus extra `headers`. */
export function uploadEvent(
  parts: readonly MultipartPart[],
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyEvent {
  return eventFor(buildMultipart(parts, UPLOAD_BOUNDARY), UPLOAD_CONTENT_TYPE, { headers });
}
