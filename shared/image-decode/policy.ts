/**
 * The decoding policy, the same for every allowed format: an image is
 * decoded when every one of its pixels is in the file, whatever is missing
 * or added around them (an end marker, trailing bytes, a bad checksum on an
 * ancillary chunk); it is refused when pixel data is missing (a scan, strip,
 * tile, IDAT or frame cut short). How each format's decoder is asked for
 * that is decided here, from the file's structure and libvips' `fail_on`
 * levels, never from an error message.
 */
import type { FailOnOptions } from 'sharp';
import type { AllowedImageFormat } from '../contract.ts';
import { readJpegStructure, scansCoverFrame } from './jpeg-markers.ts';
import { tiffIsTiled } from './tiff-ifd.ts';
import { readWebpContainer } from './webp-riff.ts';

/** How to decode one file, or that it cannot hold all its pixels. */
export type DecodePlan =
  | {
      readonly kind: 'decode';
      /** The bytes to decode: the upload, or the upload closed where its image ends. */
      readonly input: Buffer;
      readonly failOn: FailOnOptions;
      /**
       * A JPEG of one scan that stopped without its end marker: decoded a
       * second time with other bytes after the cut, the pixels must not
       * change (if they do, the decoder needed data that is not there).
       */
      readonly continuation?: Buffer;
    }
  | { readonly kind: 'pixelsMissing' };

const END_OF_IMAGE = Buffer.from([0xff, 0xd9]);

/**
 * Bytes that decode as scan data (no 0xFF, so no marker), deterministic:
 * what a decoder makes of them differs from the zero bits it invents for
 * data that is missing.
 */
const FILLER = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 151 + 89) % 255));

/**
 * JPEG: libjpeg reads past the last scan to find the end marker, so a file
 * whose scans are complete but that lacks `FF D9` fails under every level
 * that catches truncation. Such a file is closed with `FF D9`; it is then
 * decoded only when its scans cover every coefficient (from their headers)
 * and the last one's data proves complete: a multi-scan file is read whole
 * before any row is produced, so `fail_on: warning` catches libjpeg's
 * "premature end of data segment"; a single-scan file is decoded row by row
 * (libvips checks warnings before each strip, not after the last), so it is
 * decoded again with other bytes after the cut instead.
 */
function planJpeg(bytes: Buffer): DecodePlan {
  // Most files end with their end marker: no need to walk them. (FF D9
  // cannot occur inside scan data; a file cut right after an embedded
  // thumbnail's FF D9 still fails to decode, as it should.)
  if (bytes.length >= 4 && bytes.subarray(-2).equals(END_OF_IMAGE)) {
    return { kind: 'decode', input: bytes, failOn: 'error' };
  }
  const structure = readJpegStructure(bytes);
  if (structure.endOfImage) return { kind: 'decode', input: bytes, failOn: 'error' };
  if (!scansCoverFrame(structure)) return { kind: 'pixelsMissing' };
  const data = bytes.subarray(0, structure.end);
  const input = Buffer.concat([data, END_OF_IMAGE]);
  if (structure.progressive || structure.scans.length > 1) {
    return { kind: 'decode', input, failOn: 'warning' };
  }
  return {
    kind: 'decode',
    input,
    failOn: 'error',
    continuation: Buffer.concat([data, FILLER, END_OF_IMAGE]),
  };
}

/**
 * The plan for `bytes` of an allowed `format`:
 * - PNG, GIF, AVIF: `fail_on: error`: truncated data and a bad CRC on a
 *   critical chunk or zlib checksum fail; a bad CRC on an ancillary chunk,
 *   a missing IEND or GIF trailer, trailing bytes do not.
 * - WebP: the same, after closing a container cut inside metadata that
 *   follows whole pixel chunks.
 * - TIFF: `fail_on: error` for strips; tiles need `warning`, the only level
 *   at which libvips fails on a tile libtiff could not read (it does not
 *   turn TIFF warnings into tile failures).
 * - JPEG: see planJpeg.
 * - HEIC: the header is read by libvips; the pixels are decoded by libheif
 *   in WebAssembly (./heic.ts), which fails on any missing pixel data.
 */
export function planDecode(format: AllowedImageFormat, bytes: Buffer): DecodePlan {
  switch (format) {
    case 'jpeg':
      return planJpeg(bytes);
    case 'webp': {
      const container = readWebpContainer(bytes);
      if (container.kind === 'pixelsMissing') return container;
      const input = container.kind === 'closed' ? container.bytes : bytes;
      return { kind: 'decode', input, failOn: 'error' };
    }
    case 'tiff':
      return { kind: 'decode', input: bytes, failOn: tiffIsTiled(bytes) ? 'warning' : 'error' };
    case 'png':
    case 'gif':
    case 'avif':
    case 'heic':
      return { kind: 'decode', input: bytes, failOn: 'error' };
  }
}
