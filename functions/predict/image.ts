import sharp, { type Metadata } from 'sharp';
import type { AllowedImageFormat } from '#shared/contract.ts';
import { GatewayError } from '#shared/errors.ts';
import { ALLOWED_DESCRIPTION, sniffImage } from '#shared/image-format.ts';
import { decodeRgb, type EncodedInput, prepareEncoded } from '#shared/model-input/prepare.ts';
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

/**
 * One sharp instance serves the header read and the decode. Its own pixel
 * limit is off because ours is checked from that same header, before any
 * decoding, with a message that says what was received.
 */
function openImage(bytes: Buffer) {
  return sharp(bytes, {
    limitInputPixels: false,
    // Truncated or corrupt data must fail, not decode as grey.
    failOn: 'truncated',
    // First frame only for GIF/WebP/TIFF pages.
    pages: 1,
    sequentialRead: true,
  });
}

/**
 * Checks one upload and turns it into the model's input. The format comes
 * from the bytes; the pixel count from the header, before any pixel is
 * decoded, so a tiny file that claims 900 MP costs microseconds.
 */
export async function normaliseImage(
  bytes: Buffer,
  label: string,
  options: NormaliseOptions,
): Promise<NormalisedImage> {
  const sniffed = sniffImage(bytes);
  if (!sniffed.allowed) {
    throw new GatewayError(
      'UNSUPPORTED_IMAGE_FORMAT',
      `${label} is ${sniffed.description}; allowed formats are ${ALLOWED_DESCRIPTION}.`,
    );
  }
  const format = sniffed.format as AllowedImageFormat;

  const image = openImage(bytes);
  let metadata: Metadata;
  try {
    metadata = await image.metadata();
  } catch (cause) {
    throw new GatewayError(
      'IMAGE_UNDECODABLE',
      `${label} cannot be decoded as ${sniffed.description}.`,
      {
        cause,
      },
    );
  }
  const storedWidth = metadata.width;
  const storedHeight = metadata.pageHeight ?? metadata.height;
  if (!storedWidth || !storedHeight) {
    throw new GatewayError('IMAGE_UNDECODABLE', `${label} has no readable dimensions.`);
  }
  const pixels = storedWidth * storedHeight;
  if (pixels > options.maxInputPixels) {
    throw new GatewayError(
      'IMAGE_TOO_MANY_PIXELS',
      `${label} is ${storedWidth}x${storedHeight} (${pixels} pixels); the limit is ${options.maxInputPixels} pixels.`,
    );
  }
  const orientation = metadata.orientation ?? 1;
  const sideways = orientation >= 5 && orientation <= 8;

  let rgb: RgbImage;
  try {
    // Full resolution, as the model's reference pipeline decodes it. Nothing
    // of the upload's metadata reaches the encoded input: the pixels are
    // re-encoded from scratch (no EXIF, GPS, XMP, IPTC or ICC).
    rgb = await decodeRgb(
      image,
      options.profile.background,
      options.profile.shrinkOnLoad ? options.profile : undefined,
    );
  } catch (cause) {
    throw new GatewayError(
      'IMAGE_UNDECODABLE',
      `${label} cannot be decoded as ${sniffed.description} (corrupt or truncated).`,
      { cause },
    );
  }
  const input = await prepareEncoded(rgb, options.profile);

  return {
    original: {
      format,
      width: sideways ? storedHeight : storedWidth,
      height: sideways ? storedWidth : storedHeight,
      orientation,
      bytes: bytes.length,
    },
    input,
  };
}
