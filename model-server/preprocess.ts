/**
 * Turns image bytes into the model's input tensor: decoded with sharp
 * (EXIF orientation applied, alpha flattened onto white, sRGB), resized only
 * when it is not already the input size, then scaled and normalised per
 * channel through a lookup table.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ALLOWED_IMAGE_FORMATS } from '#shared/contract.ts';
import { sniffImage } from '#shared/image-format.ts';
import { InvocationError } from './errors.ts';
import type { InputSpec, PixelScale } from './model-config.ts';

/** Refuse decoding work beyond this many pixels (a 40 MP photo). */
export const MAX_INPUT_PIXELS = 40_000_000;

const SCALES: Readonly<Record<PixelScale, (pixel: number) => number>> = {
  '0..1': (p) => p / 255,
  '-1..1': (p) => p / 127.5 - 1,
  '0..255': (p) => p,
};

/** One table of 256 values per input channel (in the model's channel order). */
export type PixelTables = readonly [Float32Array, Float32Array, Float32Array];

/** Precomputes `(scale(p) - mean[c]) / std[c]` for every 8-bit value and channel. */
export function pixelTables(spec: InputSpec): PixelTables {
  const scale = SCALES[spec.pixelScale];
  const table = (c: 0 | 1 | 2) =>
    Float32Array.from({ length: 256 }, (_, p) => (scale(p) - spec.mean[c]) / spec.std[c]);
  return [table(0), table(1), table(2)];
}

/** Input element count of one image (H * W * 3). */
export function imageSize(spec: InputSpec): number {
  return spec.width * spec.height * 3;
}

/** Writes interleaved RGB bytes into `out` in the spec's layout and channel order. */
export function fillTensor(
  rgb: Uint8Array,
  spec: InputSpec,
  tables: PixelTables,
  out: Float32Array,
): Float32Array {
  const pixels = spec.width * spec.height;
  // Source channel for each model channel: BGR models read blue first.
  const source = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const [t0, t1, t2] = tables;
  const [s0, s1, s2] = source as [number, number, number];
  if (spec.layout === 'NHWC') {
    for (let i = 0, o = 0; i < pixels * 3; i += 3, o += 3) {
      out[o] = t0[rgb[i + s0] as number] as number;
      out[o + 1] = t1[rgb[i + s1] as number] as number;
      out[o + 2] = t2[rgb[i + s2] as number] as number;
    }
  } else {
    for (let p = 0, i = 0; p < pixels; p++, i += 3) {
      out[p] = t0[rgb[i + s0] as number] as number;
      out[pixels + p] = t1[rgb[i + s1] as number] as number;
      out[2 * pixels + p] = t2[rgb[i + s2] as number] as number;
    }
  }
  return out;
}

/**
 * Decodes one image into `out` (a view of the batch tensor). `name` says
 * which image in error messages, e.g. `instances[2]`.
 * @throws InvocationError `badInput` (not decodable), `unsupported` (a format
 * outside ALLOWED_IMAGE_FORMATS, identified from the bytes by sniffImage),
 * `tooLarge` (over MAX_INPUT_PIXELS)
 */
export async function prepareImage(
  bytes: Uint8Array,
  name: string,
  spec: InputSpec,
  tables: PixelTables,
  out: Float32Array,
): Promise<void> {
  let metadata: Metadata;
  try {
    // Header only, so no pixel limit here: it is checked below with a message
    // of its own (sharp's limit would make this throw like a corrupt file).
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new InvocationError('badInput', `${name} is not an image that can be decoded.`, {
      cause,
    });
  }
  // The format comes from the bytes, decided as the gateway decides it:
  // sharp names AVIF and HEIC alike (`heif`), and only one of them is allowed.
  const sniffed = sniffImage(bytes);
  if (!sniffed.allowed) {
    const format = sniffed.format === 'unknown' ? 'of an unknown format' : sniffed.format;
    throw new InvocationError(
      'unsupported',
      `${name} is ${format}; send ${ALLOWED_IMAGE_FORMATS.join(', ')}.`,
    );
  }
  const width = metadata.autoOrient.width;
  const height = metadata.autoOrient.height;
  if (width * height > MAX_INPUT_PIXELS) {
    throw new InvocationError(
      'tooLarge',
      `${name} has ${width} x ${height} pixels, more than the limit of ${MAX_INPUT_PIXELS}.`,
    );
  }
  let pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb');
  if (width !== spec.width || height !== spec.height) {
    pipeline = pipeline.resize(spec.width, spec.height, {
      fit: spec.resize,
      background: '#ffffff',
    });
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw new InvocationError('badInput', `${name} cannot be decoded (corrupt or truncated).`, {
      cause,
    });
  }
  const { data, info } = raw;
  if (info.channels !== 3 || info.width !== spec.width || info.height !== spec.height) {
    throw new Error(
      `Decoding produced ${info.width}x${info.height}x${info.channels}, expected ${spec.width}x${spec.height}x3`,
    );
  }
  fillTensor(data, spec, tables, out);
}
