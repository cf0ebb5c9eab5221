/**
 * From a decoded image to the model's input under a profile, and from that
 * to the bytes on the wire. Decoding keeps the full resolution: a reference
 * pipeline such as nsfwjs resamples the whole decoded frame, and JPEG
 * shrink-on-load (decoding at 1/2, 1/4, 1/8 scale) would hand the kernel
 * other pixels than the model was validated with.
 */
import sharp, { type Metadata, type Sharp } from 'sharp';
import { planResize } from './geometry.ts';
import { allocateNpy, encodeNpy } from './npy.ts';
import { type ModelInputProfile, WIRE_CONTENT_TYPES, type WireEncoding } from './profile.ts';
import { type RgbImage, resampleRgb } from './resample.ts';

/** The model's input: float RGB, 0..255, interleaved (height, width, 3). */
export interface PreparedInput {
  readonly pixels: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** What goes on the wire to the endpoint, and what it holds. */
export interface EncodedInput {
  readonly body: Buffer;
  readonly contentType: string;
  readonly encoding: WireEncoding;
  readonly width: number;
  readonly height: number;
}

/** Formats whose decoders can shrink while decoding (libvips' `shrink` on load). */
const SHRINKABLE = new Set(['jpeg', 'webp']);

/**
 * The JPEG/WebP shrink-on-load factor (1, 2, 4 or 8) that keeps at least
 * twice the target on each side.
 */
export function shrinkFactor(
  width: number,
  height: number,
  target: { readonly width: number; readonly height: number },
): number {
  let factor = 1;
  while (
    factor < 8 &&
    width / (factor * 2) >= 2 * target.width &&
    height / (factor * 2) >= 2 * target.height
  ) {
    factor *= 2;
  }
  return factor;
}

/**
 * EXIF orientation as sharp's own operations, which mirror (flop) before
 * they rotate: libvips' autorot rotates by R then mirrors, and a mirror
 * followed by -R is the same permutation of pixels.
 */
const ORIENTATIONS: Readonly<Record<number, { readonly flop: boolean; readonly angle: number }>> = {
  2: { flop: true, angle: 0 },
  3: { flop: false, angle: 180 },
  4: { flop: true, angle: 180 },
  5: { flop: true, angle: 270 },
  6: { flop: false, angle: 90 },
  7: { flop: true, angle: 90 },
  8: { flop: false, angle: 270 },
};

/** Applies EXIF `orientation` to decoded RGB pixels (an exact permutation). */
async function orientRgb(rgb: RgbImage, orientation: number): Promise<RgbImage> {
  const turn = ORIENTATIONS[orientation];
  if (turn === undefined) return rgb;
  const raw = { width: rgb.width, height: rgb.height, channels: 3 as const };
  const { data, info } = await sharp(rgb.data, { raw })
    .flop(turn.flop)
    .rotate(turn.angle)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** What decoding needs from an image's header: sharp's format name, stored size, EXIF orientation. */
export interface StoredHeader {
  /** sharp's name for the format ("jpeg", "webp", "heif", ...). */
  readonly format: string;
  /** As stored (the first page or frame), before EXIF orientation. */
  readonly width: number;
  readonly height: number;
  /** EXIF orientation, 1..8 (1 when absent). */
  readonly orientation: number;
}

function storedHeader(meta: Metadata): StoredHeader {
  return {
    format: meta.format ?? '',
    width: meta.width,
    height: meta.pageHeight ?? meta.height,
    orientation: meta.orientation ?? 1,
  };
}

/**
 * Decodes `image` (a sharp instance on the upload, its input options set by
 * the caller) to 8-bit sRGB RGB: EXIF orientation applied, transparency
 * flattened onto `background`, first frame only (as the instance's `pages`
 * says). Full resolution, unless `shrinkTo` asks for JPEG/WebP
 * shrink-on-load towards that size (see ModelInputProfile.shrinkOnLoad).
 * The orientation is applied last, to the 8-bit RGB pixels: rotating
 * before the conversion would hold a whole copy at the decoder's own depth
 * (a 16-bit RGBA TIFF: 8 bytes a pixel instead of 3). The pixels are the same.
 * `header`, when given, is what `image`'s own metadata says (else it is read).
 * @throws sharp's error when the data cannot be decoded
 */
export async function decodeRgb(
  image: Sharp,
  background: string,
  shrinkTo?: { readonly width: number; readonly height: number },
  header?: StoredHeader,
): Promise<RgbImage> {
  // A header the caller has already read saves libvips a second parse of it
  // (and a round trip to its thread pool) on every request.
  const stored = header ?? storedHeader(await image.metadata());
  if (shrinkTo !== undefined) {
    const sideways = stored.orientation >= 5 && stored.orientation <= 8;
    const width = sideways ? stored.height : stored.width;
    const height = sideways ? stored.width : stored.height;
    const factor = SHRINKABLE.has(stored.format) ? shrinkFactor(width, height, shrinkTo) : 1;
    if (factor > 1) {
      // The decoder's own DCT scaling does the shrinking; nearest-neighbour
      // at the shrunk size itself adds nothing. The size is the stored one:
      // orientation comes after.
      image.resize(Math.ceil(stored.width / factor), Math.ceil(stored.height / factor), {
        fit: 'fill',
        kernel: 'nearest',
        fastShrinkOnLoad: true,
      });
    }
  }
  const { data, info } = await image
    .toColourspace('srgb')
    .flatten({ background })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) {
    throw new Error(`Decoding produced ${info.channels} channels, expected 3`);
  }
  return orientRgb({ data, width: info.width, height: info.height }, stored.orientation);
}

type ResizeProfile = Pick<
  ModelInputProfile,
  'width' | 'height' | 'resize' | 'cropFraction' | 'resample' | 'background'
>;

/** The output size `profile` gives an image of `width` x `height`. */
export function inputSize(
  width: number,
  height: number,
  profile: ResizeProfile,
): { width: number; height: number } {
  const plan = planResize(width, height, profile);
  return { width: plan.outWidth, height: plan.outHeight };
}

/**
 * Resizes decoded pixels as the profile says (fit, crop, kernel, padding),
 * into `out` when given (its length must be the output's width x height x 3).
 */
export function prepareInput(
  rgb: RgbImage,
  profile: ResizeProfile,
  out?: Float32Array,
): PreparedInput {
  const plan = planResize(rgb.width, rgb.height, profile);
  const { outWidth, outHeight, window } = plan;
  const resample = (target?: Float32Array) =>
    resampleRgb(rgb, plan.scaledWidth, plan.scaledHeight, profile.resample, window, target);
  if (outWidth === window.width && outHeight === window.height) {
    return { pixels: resample(out), width: outWidth, height: outHeight };
  }
  // `contain`: the scaled image centred on the background colour.
  const scaled = resample();
  const pixels = out ?? new Float32Array(outWidth * outHeight * 3);
  const fill = [1, 3, 5].map((i) => Number.parseInt(profile.background.slice(i, i + 2), 16));
  for (let p = 0; p < outWidth * outHeight; p++) {
    pixels[p * 3] = fill[0] as number;
    pixels[p * 3 + 1] = fill[1] as number;
    pixels[p * 3 + 2] = fill[2] as number;
  }
  const line = plan.window.width * 3;
  for (let y = 0; y < plan.window.height; y++) {
    const to = ((plan.offsetTop + y) * outWidth + plan.offsetLeft) * 3;
    pixels.set(scaled.subarray(y * line, (y + 1) * line), to);
  }
  return { pixels, width: outWidth, height: outHeight };
}

/** Rounds float pixels to 8 bits (round half up, clamped), for image encodings. */
export function toBytes(pixels: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    out[i] = Math.min(255, Math.max(0, Math.round(pixels[i] as number)));
  }
  return out;
}

/**
 * Resizes and encodes in one step: for `npy` the resampled pixels are
 * written straight into the file's data, with no intermediate copy.
 */
export async function prepareEncoded(
  rgb: RgbImage,
  profile: ResizeProfile &
    Pick<ModelInputProfile, 'encoding' | 'jpegQuality' | 'chromaSubsampling'>,
): Promise<EncodedInput> {
  if (profile.encoding !== 'npy') return encodeInput(prepareInput(rgb, profile), profile);
  const { width, height } = inputSize(rgb.width, rgb.height, profile);
  const npy = allocateNpy([height, width, 3]);
  prepareInput(rgb, profile, npy.data);
  return { body: npy.file, contentType: WIRE_CONTENT_TYPES.npy, encoding: 'npy', width, height };
}

/**
 * Encodes the prepared input as the profile's wire encoding. Deterministic:
 * the same input always gives the same bytes. No metadata is written.
 */
export async function encodeInput(
  input: PreparedInput,
  profile: Pick<ModelInputProfile, 'encoding' | 'jpegQuality' | 'chromaSubsampling'>,
): Promise<EncodedInput> {
  const { width, height } = input;
  const described = {
    contentType: WIRE_CONTENT_TYPES[profile.encoding],
    encoding: profile.encoding,
    width,
    height,
  };
  if (profile.encoding === 'npy') {
    return { ...described, body: encodeNpy(input.pixels, [height, width, 3]) };
  }
  const raw = sharp(toBytes(input.pixels), { raw: { width, height, channels: 3 } });
  const body =
    profile.encoding === 'png'
      ? await raw.png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer()
      : await raw
          .jpeg({
            quality: profile.jpegQuality,
            chromaSubsampling: profile.chromaSubsampling,
            mozjpeg: false,
          })
          .toBuffer();
  return { ...described, body };
}
