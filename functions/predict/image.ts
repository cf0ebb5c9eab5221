import sharp from 'sharp';
import type { AllowedImageFormat } from '#shared/contract.ts';
import { GatewayError } from '#shared/errors.ts';
import {
  DecodeRefusal,
  decodeImage,
  type ImageHeader,
  readImageHeader,
} from '#shared/image-decode/decode.ts';
import { type PixelLimitBreach, pixelLimitBreach } from '#shared/image-decode/pixel-limits.ts';
import { ALLOWED_DESCRIPTION, sniffImage } from '#shared/image-format.ts';
import { type EncodedInput, prepareEncoded } from '#shared/model-input/prepare.ts';
import type { RgbImage } from '#shared/model-input/resample.ts';
import type { NormaliseOptions } from './config.ts';

// Every upload is a different image: libvips' operation cache only holds
// memory a Lambda container needs for the next request.
sharp.cache(false);

/** The checked upload and what it became. */
export interface NormalisedImage {
  readonly original: {
    readonly format: AllowedImageFormat;
    /** As displayed, EXIF orientation applied. */
    readonly width: number;
    readonly height: number;
    readonly orientation: number;
    readonly bytes: number;
  };
  /** The model's input under the profile, encoded for the wire, metadata-free. */
  readonly input: EncodedInput;
}

/** An upload whose format and header passed every check, not decoded yet. */
export interface InspectedImage {
  readonly label: string;
  readonly bytes: number;
  /** "JPEG", "AVIF", ...: for messages. */
  readonly description: string;
  readonly header: ImageHeader;
  /** Stored width x height, what the request's pixel budget counts. */
  readonly pixels: number;
}

function tooManyPixels(label: string, breach: PixelLimitBreach): GatewayError {
  const { width, height, pixels, limit } = breach;
  const size = `${label} is ${width}x${height}`;
  const detail =
    breach.measure === 'side'
      ? `${size}; the limit is ${limit} pixels per side.`
      : breach.scope === undefined
        ? `${size} (${pixels} pixels); the limit is ${limit} pixels.`
        : `${size} (${pixels} pixels); the limit for ${breach.scope} is ${limit} pixels.`;
  return new GatewayError('IMAGE_TOO_MANY_PIXELS', detail);
}

/**
 * Checks one upload without decoding it: the format from the bytes, the
 * dimensions from the header against the pixel limits, so a tiny file that
 * claims 900 MP costs microseconds.
 * @throws GatewayError UNSUPPORTED_IMAGE_FORMAT (415), IMAGE_UNDECODABLE
 * (422: no readable header), IMAGE_TOO_MANY_PIXELS (413)
 */
export async function inspectImage(
  bytes: Buffer,
  label: string,
  options: NormaliseOptions,
): Promise<InspectedImage> {
  const sniffed = sniffImage(bytes);
  if (!sniffed.allowed) {
    throw new GatewayError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `${label} is ${sniffed.description}; allowed formats are ${ALLOWED_DESCRIPTION}.`,
    );
  }
  let header: ImageHeader;
  try {
    header = await readImageHeader(bytes, sniffed.format as AllowedImageFormat);
  } catch (cause) {
    const detail =
      cause instanceof DecodeRefusal && cause.kind === 'noDimensions'
        ? `${label} has no readable dimensions.`
        : `${label} cannot be decoded as ${sniffed.description}.`;
    throw new GatewayError('IMAGE_UNDECODABLE', detail, { cause });
  }
  const breach = pixelLimitBreach(header, options);
  if (breach !== undefined) throw tooManyPixels(label, breach);
  return {
    label,
    bytes: bytes.length,
    description: sniffed.description,
    header,
    pixels: header.width * header.height,
  };
}

/** The deadline's answer: 504, as when the model is late, with what was under way. */
function deadlineError(label: string, budgetMs: number, cause: unknown): GatewayError {
  return new GatewayError(
    'ENDPOINT_TIMEOUT',
    `${label} was not decoded within the request's ${budgetMs} ms; nothing was sent to the model.`,
    { cause },
  );
}

/** When decoding must stop: the request's deadline, and its length for messages. */
export interface DecodeDeadline {
  readonly atEpochMs: number;
  readonly budgetMs: number;
}

/**
 * Decodes an inspected upload at full resolution, as the model's reference
 * pipeline does, and turns it into the model's input. Nothing of the
 * upload's metadata reaches the encoded input: the pixels are re-encoded
 * from scratch (no EXIF, GPS, XMP, IPTC or ICC).
 * @throws GatewayError IMAGE_UNDECODABLE (422: pixel data missing or
 * corrupt), ENDPOINT_TIMEOUT (504: the deadline passed before or while decoding)
 */
export async function normaliseInspected(
  image: InspectedImage,
  options: NormaliseOptions,
  deadline?: DecodeDeadline,
): Promise<NormalisedImage> {
  const { header, label } = image;
  let rgb: RgbImage;
  try {
    rgb = await decodeImage(header, {
      background: options.profile.background,
      shrinkTo: options.profile.shrinkOnLoad ? options.profile : undefined,
      deadlineEpochMs: deadline?.atEpochMs,
    });
  } catch (cause) {
    if (cause instanceof DecodeRefusal && cause.kind === 'deadlinePassed' && deadline) {
      throw deadlineError(label, deadline.budgetMs, cause);
    }
    throw new GatewayError(
      'IMAGE_UNDECODABLE',
      `${label} cannot be decoded as ${image.description} (corrupt or truncated).`,
      { cause },
    );
  }
  const input = await prepareEncoded(rgb, options.profile);
  const sideways = header.orientation >= 5 && header.orientation <= 8;
  return {
    original: {
      format: header.format,
      width: sideways ? header.height : header.width,
      height: sideways ? header.width : header.height,
      orientation: header.orientation,
      bytes: image.bytes,
    },
    input,
  };
}

/** inspectImage, then normaliseInspected: one upload on its own. */
export async function normaliseImage(
  bytes: Buffer,
  label: string,
  options: NormaliseOptions,
  deadline?: DecodeDeadline,
): Promise<NormalisedImage> {
  return normaliseInspected(await inspectImage(bytes, label, options), options, deadline);
}
