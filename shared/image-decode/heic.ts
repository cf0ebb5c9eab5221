/// <reference path="./heic-decode.d.ts" />
/**
 * HEIC/HEIF (the iPhone's default): sharp's prebuilt libvips reads the
 * container's header but has no HEVC decoder, so the pixels come from
 * heic-decode (libheif compiled to WebAssembly, with libde265). It is loaded
 * on the first HEIC only, so a cold start that sees none does not pay for
 * it. libheif applies the item's transformations (irot, imir, clap): the
 * pixels come out as displayed, which is what HEIF defines as orientation
 * (any EXIF orientation tag inside is informational and not applied again).
 */
import sharp from 'sharp';
import type { RgbImage } from '../model-input/resample.ts';

/** What the WebAssembly decoder returned: RGBA, 8 bits per channel. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** Decodes the primary image of a HEIC file; loads the decoder on first use. */
export async function decodeHeicRgba(bytes: Uint8Array): Promise<RgbaImage> {
  const { default: decode } = await import('heic-decode');
  return decode({ buffer: bytes });
}

/**
 * Flattens decoded RGBA onto `background` and drops alpha, as every other
 * format's decode does (libvips, sRGB: the decoder outputs 8-bit sRGB-coded values).
 */
export async function flattenRgba(rgba: RgbaImage, background: string): Promise<RgbImage> {
  const { width, height } = rgba;
  const raw = Buffer.from(rgba.data.buffer, rgba.data.byteOffset, rgba.data.byteLength);
  const { data, info } = await sharp(raw, { raw: { width, height, channels: 4 } })
    .flatten({ background })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
