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

// libheif-js prints "Decoding image failed" and its whole image handle with
// console.log when a file cannot be decoded: plain text among the Lambda's
// JSON log lines. The failure itself becomes the answer (422), so its
// console output is held back while a decode runs (counted, as decodes may
// overlap in the local gateway).
let quieted = 0;
let consoleLog: typeof console.log = console.log;

function quiet(): void {
  if (quieted++ === 0) {
    consoleLog = console.log;
    console.log = () => undefined;
  }
}

function unquiet(): void {
  if (--quieted === 0) console.log = consoleLog;
}

/** Decodes the primary image of a HEIC file; loads the decoder on first use. */
export async function decodeHeicRgba(bytes: Uint8Array): Promise<RgbaImage> {
  const { default: decode } = await import('heic-decode');
  quiet();
  try {
    return await decode({ buffer: bytes });
  } finally {
    unquiet();
  }
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
