/**
 * Reading and decoding an upload under the one decoding policy
 * (./policy.ts), for the gateway and the model server alike: the header
 * first (dimensions, before any pixel is decoded, so limits cost nothing),
 * then the full-resolution decode, which starts only before the deadline
 * and is stopped by libvips when it runs past it.
 */
import sharp, { type FailOnOptions, type Metadata, type Sharp } from 'sharp';
import type { AllowedImageFormat } from '../contract.ts';
import { decodeRgb } from '../model-input/prepare.ts';
import type { RgbImage } from '../model-input/resample.ts';
import { decodeHeicRgba, flattenRgba } from './heic.ts';
import { HEIC_DECODE_MS_PER_MEGAPIXEL } from './pixel-limits.ts';
import { type DecodePlan, planDecode } from './policy.ts';

/** Why an upload was not decoded. */
export type DecodeRefusalKind =
  /** The header cannot be read. */
  | 'unreadableHeader'
  /** The header names no width or height. */
  | 'noDimensions'
  /** Pixel data is missing or corrupt. */
  | 'undecodable'
  /** The deadline passed before or while decoding (or a HEIC decode would outlast it). */
  | 'deadlinePassed';

/** The one error decoding throws on purpose; each caller maps `kind` to its own answer. */
export class DecodeRefusal extends Error {
  override readonly name = 'DecodeRefusal';
  readonly kind: DecodeRefusalKind;

  constructor(kind: DecodeRefusalKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}

/** What the header says, read without decoding pixels. */
export interface ImageHeader {
  readonly format: AllowedImageFormat;
  /** As stored (the first page or frame), before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation, 1..8 (1 when absent). */
  readonly orientation: number;
  /** An interlaced PNG or a progressive JPEG: decoded whole before the first row. */
  readonly interlaced: boolean;
  readonly plan: DecodePlan;
}

/** Sharp's input options for every read: our own pixel limits, the first page or frame only. */
function open(input: Buffer, failOn: FailOnOptions): Sharp {
  return sharp(input, { failOn, limitInputPixels: false, pages: 1, sequentialRead: true });
}

/**
 * Reads the header of an upload whose bytes were identified as `format`.
 * @throws DecodeRefusal `unreadableHeader`, `noDimensions`
 */
export async function readImageHeader(
  bytes: Buffer,
  format: AllowedImageFormat,
): Promise<ImageHeader> {
  const plan = planDecode(format, bytes);
  let metadata: Metadata;
  try {
    metadata = await open(plan.kind === 'decode' ? plan.input : bytes, 'error').metadata();
  } catch (cause) {
    throw new DecodeRefusal('unreadableHeader', 'The header cannot be read.', { cause });
  }
  const width = metadata.width;
  const height = metadata.pageHeight ?? metadata.height;
  if (!width || !height) {
    throw new DecodeRefusal('noDimensions', 'The header names no dimensions.');
  }
  return {
    format,
    width,
    height,
    orientation: metadata.orientation ?? 1,
    interlaced: metadata.isProgressive === true,
    plan,
  };
}

export interface DecodeOptions {
  /** Colour transparency is flattened onto, `#rrggbb`. */
  readonly background: string;
  /** JPEG/WebP shrink-on-load towards this size (see ModelInputProfile.shrinkOnLoad). */
  readonly shrinkTo?: { readonly width: number; readonly height: number } | undefined;
  /** Epoch milliseconds after which no decoding starts, and a decode under way is stopped. */
  readonly deadlineEpochMs?: number | undefined;
}

/** One decode of `input`, stopped by libvips once the deadline has passed (in whole seconds). */
async function decodeOnce(
  input: Buffer,
  failOn: FailOnOptions,
  header: ImageHeader,
  options: DecodeOptions,
): Promise<RgbImage> {
  const deadline = options.deadlineEpochMs;
  const image = open(input, failOn);
  if (deadline !== undefined) {
    const left = deadline - Date.now();
    if (left <= 0) throw new DecodeRefusal('deadlinePassed', 'The deadline passed.');
    // Rounded up: a decode is never cut short before the deadline.
    image.timeout({ seconds: Math.ceil(left / 1000) });
  }
  try {
    return await decodeRgb(image, options.background, options.shrinkTo, header);
  } catch (cause) {
    // Told apart by the clock, not by sharp's message.
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new DecodeRefusal('deadlinePassed', 'The deadline passed while decoding.', { cause });
    }
    throw new DecodeRefusal('undecodable', 'The pixel data is missing or corrupt.', { cause });
  }
}

/**
 * A HEIC: decoded whole by WebAssembly, which cannot be stopped once
 * started (the pixel limits bound how long it takes). It starts only when
 * the time left before the deadline covers it (HEIC_DECODE_MS_PER_MEGAPIXEL),
 * and the deadline is checked again after.
 */
async function decodeHeic(
  input: Buffer,
  header: ImageHeader,
  options: DecodeOptions,
): Promise<RgbImage> {
  const deadline = options.deadlineEpochMs;
  if (deadline !== undefined) {
    const needMs = ((header.width * header.height) / 1e6) * HEIC_DECODE_MS_PER_MEGAPIXEL;
    const left = deadline - Date.now();
    if (left <= 0) throw new DecodeRefusal('deadlinePassed', 'The deadline passed.');
    if (left < needMs) {
      throw new DecodeRefusal(
        'deadlinePassed',
        `A HEIC decode cannot be stopped and may take ${Math.ceil(needMs)} ms; ${left} ms were left.`,
      );
    }
  }
  let rgba: Awaited<ReturnType<typeof decodeHeicRgba>>;
  try {
    rgba = await decodeHeicRgba(input);
  } catch (cause) {
    throw new DecodeRefusal('undecodable', 'The pixel data is missing or corrupt.', { cause });
  }
  if (deadline !== undefined && Date.now() >= deadline) {
    throw new DecodeRefusal('deadlinePassed', 'The deadline passed while decoding.');
  }
  // The header's dimensions are what the limits were checked against.
  if (rgba.width !== header.width || rgba.height !== header.height) {
    throw new DecodeRefusal(
      'undecodable',
      `The decoded image is ${rgba.width}x${rgba.height}, its header says ${header.width}x${header.height}.`,
    );
  }
  return flattenRgba(rgba, options.background);
}

function samePixels(a: RgbImage, b: RgbImage): boolean {
  const view = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return a.width === b.width && a.height === b.height && view(a.data).equals(view(b.data));
}

/**
 * Decodes the image `header` was read from to 8-bit sRGB RGB at full
 * resolution (EXIF orientation applied, transparency flattened), under the
 * decoding policy.
 * @throws DecodeRefusal `undecodable` when pixel data is missing or corrupt,
 * `deadlinePassed` when the deadline passed before or during the decode
 */
export async function decodeImage(header: ImageHeader, options: DecodeOptions): Promise<RgbImage> {
  const { plan } = header;
  if (plan.kind === 'pixelsMissing') {
    throw new DecodeRefusal('undecodable', 'The file stops before the end of its pixel data.');
  }
  if (header.format === 'heic') return decodeHeic(plan.input, header, options);
  const rgb = await decodeOnce(plan.input, plan.failOn, header, options);
  if (plan.continuation !== undefined) {
    let again: RgbImage | undefined;
    try {
      again = await decodeOnce(plan.continuation, plan.failOn, header, options);
    } catch (error) {
      if (error instanceof DecodeRefusal && error.kind === 'deadlinePassed') throw error;
    }
    if (again === undefined || !samePixels(again, rgb)) {
      throw new DecodeRefusal('undecodable', 'The scan stops before its last pixel.');
    }
  }
  return rgb;
}
