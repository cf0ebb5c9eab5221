/**
 * Reads the images out of an /invocations body, by Content-Type:
 * - `image/jpeg`, `image/png`, `image/webp`, `application/x-image`: the body is one image;
 * - `multipart/form-data`: every file in the `image` field (the gateway's
 *   passthrough route forwards client uploads as they are);
 * - `application/json`: `{"instances": [{"b64": "..."}, ...]}`, a batch;
 * - `application/x-npy`: RGB pixels at the model's input size, one image or a batch.
 */

import { ALLOWED_IMAGE_FORMATS, IMAGE_FIELD } from '#shared/contract.ts';
import { isGatewayError } from '#shared/errors.ts';
import { NPY_CONTENT_TYPE } from '#shared/model-input/npy.ts';
import { parseMultipart } from '#shared/multipart.ts';
import { multipartBoundary } from '#shared/multipart-boundary.ts';
import { InvocationError } from './errors.ts';
import { type InputSize, type PixelImage, readNpyImages } from './npy-input.ts';

/**
 * Content types whose body is one image: each allowed format's own type,
 * and SageMaker's generic `application/x-image`. The format itself is read
 * from the bytes, whatever the type says.
 */
export const IMAGE_CONTENT_TYPES = [
  ...ALLOWED_IMAGE_FORMATS.map((format) => `image/${format}` as const),
  'application/x-image',
] as const;

export const SUPPORTED_CONTENT_TYPES = [
  ...IMAGE_CONTENT_TYPES,
  'multipart/form-data',
  'application/json',
  NPY_CONTENT_TYPE,
] as const;

/**
 * One image of an invocation: encoded bytes to decode and resize, or (from
 * `.npy`) RGB pixels already at the model's input size.
 */
export type InvocationImage = { readonly name: string; readonly bytes: Uint8Array } | PixelImage;

export interface InvocationInput {
  /** Each image, and the name errors use for it. */
  readonly images: readonly InvocationImage[];
  /**
   * True when the answer must hold one list per image (JSON instances, an
   * `.npy` batch, or several multipart images); false for a single image,
   * answered flat.
   */
  readonly batch: boolean;
}

export interface InputLimits {
  readonly maxBatchSize: number;
  readonly maxBodyBytes: number;
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

// Standard alphabet, padded or not; whitespace (line breaks) is removed first.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function parseInstances(body: Buffer, limits: InputLimits): InvocationInput {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvocationError('badInput', 'The body is not valid JSON.');
  }
  const instances = (json as { instances?: unknown } | null)?.instances;
  if (!Array.isArray(instances) || instances.length === 0) {
    throw new InvocationError(
      'badInput',
      'The JSON body must be {"instances": [{"b64": "<base64 image>"}, ...]} with at least one instance.',
    );
  }
  if (instances.length > limits.maxBatchSize) {
    throw new InvocationError(
      'tooLarge',
      `The body has ${instances.length} instances, more than the limit of ${limits.maxBatchSize}.`,
    );
  }
  return {
    batch: true,
    images: instances.map((instance, index) => {
      const name = `instances[${index}]`;
      const b64 = (instance as { b64?: unknown } | null)?.b64;
      if (typeof b64 !== 'string') {
        throw new InvocationError('badInput', `${name} must be an object with a "b64" string.`);
      }
      const compact = b64.replace(/\s+/g, '');
      if (compact === '' || !BASE64.test(compact) || compact.length % 4 === 1) {
        throw new InvocationError('badInput', `${name}.b64 is not base64.`);
      }
      return { name, bytes: Buffer.from(compact, 'base64') };
    }),
  };
}

async function parseForm(
  contentType: string,
  body: Buffer,
  limits: InputLimits,
): Promise<InvocationInput> {
  try {
    const upload = await parseMultipart(body, multipartBoundary(contentType), {
      maxFiles: limits.maxBatchSize,
      maxFileBytes: limits.maxBodyBytes,
      maxFields: 64,
      maxFieldBytes: 4096,
      maxParts: limits.maxBatchSize + 64,
      maxPartHeaderPairs: 8,
    });
    return {
      batch: upload.images.length > 1,
      images: upload.images.map((image) => ({ name: image.part, bytes: image.bytes })),
    };
  } catch (error) {
    // The gateway's multipart parser speaks in its own codes; keep its
    // status (400, 413 or 415) and its client-safe detail.
    if (isGatewayError(error)) {
      const problem =
        error.status === 413 ? 'tooLarge' : error.status === 415 ? 'unsupported' : 'badInput';
      throw new InvocationError(problem, error.detail, { cause: error });
    }
    throw error;
  }
}

/**
 * Extracts the images of one invocation; `size` is the model's input size,
 * which `.npy` pixels must have. Throws InvocationError for bad input.
 */
export async function readInput(
  contentType: string | undefined,
  body: Buffer,
  limits: InputLimits,
  size: InputSize,
): Promise<InvocationInput> {
  const type = mediaType(contentType);
  if ((IMAGE_CONTENT_TYPES as readonly string[]).includes(type)) {
    if (body.length === 0) throw new InvocationError('badInput', 'The body is empty.');
    return { batch: false, images: [{ name: 'The body', bytes: body }] };
  }
  if (type === 'multipart/form-data') return parseForm(contentType ?? '', body, limits);
  if (type === 'application/json') return parseInstances(body, limits);
  if (type === NPY_CONTENT_TYPE) return readNpyImages(body, size, limits.maxBatchSize);
  throw new InvocationError(
    'unsupported',
    `Content-Type ${JSON.stringify(type)} is not supported; send one of ${SUPPORTED_CONTENT_TYPES.join(', ')} (images in the field "${IMAGE_FIELD}").`,
  );
}
