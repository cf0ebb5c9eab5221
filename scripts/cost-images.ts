/**
 * The costliest images known per kind the pixel limits tell apart, built at
 * any size: one flat colour, so a file of a few KB declares tens of
 * megapixels (the shape of the 1.2 KB AVIF), in the variant of
 * each format that costs its decoder most (high bit depth, alpha, whole-frame
 * layouts, rotation, a JPEG without its end marker that is decoded twice).
 */
import sharp, { type Sharp } from 'sharp';
import { buildTiff } from '../fixtures/tiff.ts';
import type { PixelLimits } from '../shared/image-decode/pixel-limits.ts';

export interface CostKind {
  readonly name: string;
  /** The format's own pixel limit, or the general one. */
  readonly limit: keyof PixelLimits;
  /** The format's own largest side, when below MAX_INPUT_SIDE_PX. */
  readonly maxSide?: number;
  readonly build: (width: number, height: number) => Promise<Buffer>;
}

/** The largest side sharp's AVIF encoder writes. */
const AVIF_MAX_SIDE = 16_384;

const COLOUR = { r: 58, g: 123, b: 213, alpha: 0.5 };

function flat(width: number, height: number, channels: 3 | 4 = 3): Sharp {
  return sharp({ create: { width, height, channels, background: COLOUR } });
}

/** A flat 16-bit RGBA TIFF, in strips or tiles. */
function tiff16(width: number, height: number, tileSize?: number, orientation?: number): Buffer {
  const pixel = Buffer.alloc(8);
  for (const [i, value] of [COLOUR.r, COLOUR.g, COLOUR.b, 128].entries()) {
    pixel.writeUInt16LE(value * 257, i * 2);
  }
  const pixels = Buffer.alloc(width * height * 8);
  for (let i = 0; i < pixels.length; i += 8) pixel.copy(pixels, i);
  return buildTiff({
    width,
    height,
    pixels,
    samplesPerPixel: 4,
    bitsPerSample: 16,
    compression: 'deflate',
    rowsPerStrip: 16,
    tileSize,
    orientation,
  });
}

/**
 * A GIF of `frames` copies of its one frame, each behind its own graphic
 * control extension (GIF89a): only the first is decoded.
 */
function manyFrames(gif: Buffer, frames: number): Buffer {
  const flags = gif[10] as number;
  let at = 13 + (flags & 0x80 ? 3 * (2 << (flags & 7)) : 0);
  const screen = gif.subarray(0, at);
  const skipBlocks = (from: number) => {
    let i = from;
    while (gif[i] !== 0) i += (gif[i] as number) + 1;
    return i + 1;
  };
  while (gif[at] === 0x21) at = skipBlocks(at + 2);
  const start = at;
  const local = gif[at + 9] as number;
  at = skipBlocks(at + 10 + (local & 0x80 ? 3 * (2 << (local & 7)) : 0) + 1);
  const frame = gif.subarray(start, at);
  const control = Buffer.from([0x21, 0xf9, 4, 0, 0, 0, 0, 0]);
  const body = Array.from({ length: frames }, () => [control, frame]).flat();
  return Buffer.concat([screen, ...body, Buffer.from([0x3b])]);
}

export const COST_KINDS: readonly CostKind[] = [
  {
    name: 'JPEG baseline 4:4:4',
    limit: 'maxInputPixels',
    maxSide: 65_500,
    build: (w, h) => flat(w, h).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer(),
  },
  {
    name: 'JPEG baseline, no end marker',
    limit: 'maxInputPixels',
    maxSide: 65_500,
    build: async (w, h) => {
      const jpeg = await flat(w, h).jpeg({ chromaSubsampling: '4:4:4' }).toBuffer();
      return jpeg.subarray(0, jpeg.length - 2);
    },
  },
  {
    name: 'JPEG baseline, EXIF orientation 6',
    limit: 'maxInputPixels',
    maxSide: 65_500,
    build: (w, h) =>
      flat(w, h).jpeg({ chromaSubsampling: '4:4:4' }).withMetadata({ orientation: 6 }).toBuffer(),
  },
  {
    name: 'JPEG progressive 4:4:4',
    limit: 'maxInterlacedPixels',
    maxSide: 65_500,
    build: (w, h) => flat(w, h).jpeg({ chromaSubsampling: '4:4:4', progressive: true }).toBuffer(),
  },
  {
    name: 'JPEG progressive CMYK, orientation 6',
    limit: 'maxInterlacedPixels',
    maxSide: 65_500,
    build: (w, h) =>
      flat(w, h)
        .toColourspace('cmyk')
        .jpeg({ progressive: true, chromaSubsampling: '4:4:4' })
        .withMetadata({ orientation: 6 })
        .toBuffer(),
  },
  {
    name: 'PNG 16-bit RGBA',
    limit: 'maxInputPixels',
    build: (w, h) => flat(w, h, 4).toColourspace('rgb16').png().toBuffer(),
  },
  {
    name: 'PNG interlaced 16-bit RGBA',
    limit: 'maxInterlacedPixels',
    build: (w, h) => flat(w, h, 4).toColourspace('rgb16').png({ progressive: true }).toBuffer(),
  },
  {
    name: 'PNG interlaced 16-bit RGBA, orientation 6',
    limit: 'maxInterlacedPixels',
    build: (w, h) =>
      flat(w, h, 4)
        .toColourspace('rgb16')
        .png({ progressive: true })
        .withMetadata({ orientation: 6 })
        .toBuffer(),
  },
  {
    name: 'GIF',
    limit: 'maxGifPixels',
    maxSide: 65_535,
    build: (w, h) => flat(w, h).gif().toBuffer(),
  },
  {
    name: 'GIF, 100 frames',
    limit: 'maxGifPixels',
    maxSide: 65_535,
    build: async (w, h) => manyFrames(await flat(w, h).gif().toBuffer(), 100),
  },
  {
    name: 'WebP lossless RGBA',
    limit: 'maxWebpPixels',
    maxSide: 16_383,
    build: (w, h) => flat(w, h, 4).webp({ lossless: true }).toBuffer(),
  },
  {
    name: 'WebP lossy RGBA',
    limit: 'maxWebpPixels',
    maxSide: 16_383,
    build: (w, h) => flat(w, h, 4).webp().toBuffer(),
  },
  {
    name: 'WebP lossy RGBA, orientation 6',
    limit: 'maxWebpPixels',
    maxSide: 16_383,
    build: (w, h) => flat(w, h, 4).webp().withMetadata({ orientation: 6 }).toBuffer(),
  },
  {
    name: 'AVIF 8-bit 4:2:0',
    limit: 'maxAvifPixels',
    maxSide: AVIF_MAX_SIDE,
    build: (w, h) => flat(w, h).avif({ effort: 0 }).toBuffer(),
  },
  {
    name: 'AVIF 12-bit 4:4:4 RGBA',
    limit: 'maxAvifPixels',
    maxSide: AVIF_MAX_SIDE,
    build: (w, h) =>
      flat(w, h, 4).avif({ effort: 0, bitdepth: 12, chromaSubsampling: '4:4:4' }).toBuffer(),
  },
  {
    name: 'TIFF 16-bit RGBA, deflate strips',
    limit: 'maxInputPixels',
    build: async (w, h) => tiff16(w, h),
  },
  {
    name: 'TIFF 16-bit RGBA, deflate tiles',
    limit: 'maxInputPixels',
    build: async (w, h) => tiff16(w, h, 256),
  },
  {
    name: 'TIFF 16-bit RGBA, orientation 6',
    limit: 'maxInputPixels',
    build: async (w, h) => tiff16(w, h, undefined, 6),
  },
];

/** The largest image a kind may be under `limits`: square, and as wide as allowed. */
export function largestShapes(
  kind: CostKind,
  limits: PixelLimits,
): readonly { readonly shape: string; readonly width: number; readonly height: number }[] {
  const pixels = Math.min(limits[kind.limit], limits.maxInputPixels);
  const side = Math.min(limits.maxInputSidePx, kind.maxSide ?? Number.POSITIVE_INFINITY);
  const square = Math.min(side, Math.floor(Math.sqrt(pixels)));
  return [
    { shape: 'square', width: square, height: Math.min(side, Math.floor(pixels / square)) },
    { shape: 'widest', width: side, height: Math.max(1, Math.floor(pixels / side)) },
  ];
}
