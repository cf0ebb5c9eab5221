/**
 * Pixel limits per image, checked from the header before any pixel is
 * decoded. One limit for every image, and lower ones where decoding costs
 * more per pixel than a row-by-row decode: formats whose decoder holds the
 * whole frame (AVIF, GIF, WebP, interlaced PNG, progressive JPEG). A side
 * limit bounds what costs by rows (CPU) and by columns (memory) whatever the
 * pixel count, such as a 1 x 40,000,000 PNG. Values and the measurements
 * behind them: `npm run bench:cost`.
 */
import type { ImageHeader } from './decode.ts';

export interface PixelLimits {
  /** Pixels per image, any format. */
  readonly maxInputPixels: number;
  /** Pixels along either side of an image, any format. */
  readonly maxInputSidePx: number;
  /** Pixels per AVIF image: libheif decodes the whole frame, then converts it. */
  readonly maxAvifPixels: number;
  /** Pixels per interlaced PNG or progressive JPEG: decoded whole before the first row. */
  readonly maxInterlacedPixels: number;
  /** Pixels per GIF: its canvas as libvips reports and decodes it (whole, as RGBA). */
  readonly maxGifPixels: number;
  /** Pixels per WebP image: decoded whole, as RGBA. */
  readonly maxWebpPixels: number;
}

/**
 * The defaults, chosen so that the costliest image each allows stays
 * within 1.5 CPU-seconds and 300 MB of extra memory (README, "Limits").
 */
export const DEFAULT_PIXEL_LIMITS = {
  maxInputPixels: 40_000_000,
  maxInputSidePx: 16_384,
  maxAvifPixels: 10_000_000,
  maxInterlacedPixels: 20_000_000,
  maxGifPixels: 25_000_000,
  maxWebpPixels: 20_000_000,
} as const satisfies PixelLimits;

/**
 * Pixels per HEIC image: decoded whole, as RGBA, by WebAssembly that cannot
 * be stopped once started (./heic.ts). The limit is just above a 12 MP
 * iPhone photo (4032x3024 = 12,192,768 pixels), which costs about 1.5 CPU-s
 * and 210 MB there, the defaults' budget for one image; a 24 MP one about
 * 2.8 CPU-s and 390 MB, over it (`npm run bench:heic`). Not a setting yet:
 * MAX_HEIC_PIXELS would join PixelLimits and the Lambda's environment.
 */
export const MAX_HEIC_PIXELS = 12_200_000;

/**
 * The time a HEIC decode is given per megapixel, in ms: a decode that cannot
 * be stopped starts only when this much is left before the deadline, so the
 * 504 still comes before the Lambda's own timeout. About 120 ms/MP here
 * (12.2 MP in 1.5 CPU-s, `npm run bench:heic`); a 1024 MB Lambda has a bit
 * more than half a vCPU (Lambda allocates CPU in proportion to memory), so
 * twice that.
 */
export const HEIC_DECODE_MS_PER_MEGAPIXEL = 250;

/** The limit an image is over, and what it is. */
export interface PixelLimitBreach {
  /** As stored (before EXIF orientation), the first page or frame. */
  readonly width: number;
  readonly height: number;
  readonly pixels: number;
  readonly limit: number;
  /** `pixels`: width x height; `side`: the longer side. */
  readonly measure: 'pixels' | 'side';
  /** The kind of image a lower limit is for (`AVIF`, `interlaced PNG`, ...); undefined for the general ones. */
  readonly scope: string | undefined;
  readonly key: keyof PixelLimits | 'maxHeicPixels';
}

/** The lower limit that applies to an image of this kind, if any. */
function scopedLimit(
  header: Pick<ImageHeader, 'format' | 'interlaced'>,
): { key: keyof PixelLimits | 'maxHeicPixels'; scope: string } | undefined {
  switch (header.format) {
    case 'avif':
      return { key: 'maxAvifPixels', scope: 'AVIF' };
    case 'gif':
      return { key: 'maxGifPixels', scope: 'GIF' };
    case 'webp':
      return { key: 'maxWebpPixels', scope: 'WebP' };
    case 'png':
      return header.interlaced
        ? { key: 'maxInterlacedPixels', scope: 'interlaced PNG' }
        : undefined;
    case 'jpeg':
      return header.interlaced
        ? { key: 'maxInterlacedPixels', scope: 'progressive JPEG' }
        : undefined;
    case 'heic':
      return { key: 'maxHeicPixels', scope: 'HEIC' };
    case 'tiff':
      return undefined;
  }
}

/**
 * The first limit `header` breaks, in this order: pixels, side, the
 * format's own pixel limit; undefined when it breaks none.
 */
export function pixelLimitBreach(
  header: Pick<ImageHeader, 'format' | 'interlaced' | 'width' | 'height'>,
  limits: PixelLimits,
): PixelLimitBreach | undefined {
  const { width, height } = header;
  const pixels = width * height;
  const limitOf = (key: PixelLimitBreach['key']) =>
    key === 'maxHeicPixels' ? MAX_HEIC_PIXELS : limits[key];
  const breach = (
    key: PixelLimitBreach['key'],
    measure: PixelLimitBreach['measure'],
    scope?: string,
  ): PixelLimitBreach => ({ width, height, pixels, limit: limitOf(key), measure, scope, key });
  if (pixels > limits.maxInputPixels) return breach('maxInputPixels', 'pixels');
  if (Math.max(width, height) > limits.maxInputSidePx) return breach('maxInputSidePx', 'side');
  const scoped = scopedLimit(header);
  if (scoped !== undefined && pixels > limitOf(scoped.key)) {
    return breach(scoped.key, 'pixels', scoped.scope);
  }
  return undefined;
}
