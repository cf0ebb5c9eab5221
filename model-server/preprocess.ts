/**
 * Turns an image into the model's input tensor by the model input profile
 * in classifier.json, with the very steps the gateway runs
 * (`#shared/model-input/prepare.ts`): decoded at full resolution (EXIF
 * orientation applied, sRGB, transparency flattened onto the profile's
 * background), resized by the profile's fit and kernel to float RGB 0..255,
 * then scaled and normalised per channel into the tensor's layout and
 * channel order. A tensor sent ready (`application/x-npy`) takes only the
 * last step, so both routes give the model the same values.
 */
import sharp from 'sharp';
import { ALLOWED_IMAGE_FORMATS, type AllowedImageFormat } from '#shared/contract.ts';
import { decodeImage, type ImageHeader, readImageHeader } from '#shared/image-decode/decode.ts';
import {
  DEFAULT_PIXEL_LIMITS,
  type PixelLimits,
  pixelLimitBreach,
} from '#shared/image-decode/pixel-limits.ts';
import { sniffImage } from '#shared/image-format.ts';
import { prepareInput } from '#shared/model-input/prepare.ts';
import type { RgbImage } from '#shared/model-input/resample.ts';
import { InvocationError } from './errors.ts';
import type { InputSpec, PixelScale } from './model-config.ts';

/** Refuse decoding work beyond this many pixels (a 40 MP photo), as the gateway does. */
export const MAX_INPUT_PIXELS = DEFAULT_PIXEL_LIMITS.maxInputPixels;

/** Each pixel scale as `p * factor + offset`, for p in 0..255. */
const SCALES: Readonly<Record<PixelScale, { factor: number; offset: number }>> = {
  '0..1': { factor: 1 / 255, offset: 0 },
  '-1..1': { factor: 1 / 127.5, offset: -1 },
  '0..255': { factor: 1, offset: 0 },
};

/**
 * Per model channel (in the spec's channel order): the tensor value of a
 * pixel value p (0..255) is `p * factor[c] + offset[c]`, which is
 * `(scale(p) - mean[c]) / std[c]` folded into one multiply-add.
 */
export interface ChannelAffine {
  readonly factor: readonly [number, number, number];
  readonly offset: readonly [number, number, number];
}

/** The spec's pixel scale, mean and std as one multiply-add per channel; computed once per model. */
export function channelAffine(spec: InputSpec): ChannelAffine {
  const { factor, offset } = SCALES[spec.pixelScale];
  const per = (f: (c: 0 | 1 | 2) => number) => [f(0), f(1), f(2)] as const;
  return {
    factor: per((c) => factor / spec.std[c]),
    offset: per((c) => (offset - spec.mean[c]) / spec.std[c]),
  };
}

/** Input element count of one image (H * W * 3). */
export function imageSize(spec: InputSpec): number {
  return spec.width * spec.height * 3;
}

/**
 * Writes interleaved RGB pixels (float, 0..255, height x width x 3, the
 * spec's size) into `out` in the spec's layout and channel order.
 */
export function fillTensor(
  rgb: Float32Array,
  spec: InputSpec,
  affine: ChannelAffine,
  out: Float32Array,
): Float32Array {
  const pixels = spec.width * spec.height;
  // Source channel for each model channel: BGR models read blue first.
  const [s0, s1, s2] = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const [f0, f1, f2] = affine.factor;
  const [o0, o1, o2] = affine.offset;
  if (spec.layout === 'NHWC') {
    for (let i = 0; i < pixels * 3; i += 3) {
      out[i] = (rgb[i + s0] as number) * f0 + o0;
      out[i + 1] = (rgb[i + s1] as number) * f1 + o1;
      out[i + 2] = (rgb[i + s2] as number) * f2 + o2;
    }
  } else {
    for (let p = 0, i = 0; p < pixels; p++, i += 3) {
      out[p] = (rgb[i + s0] as number) * f0 + o0;
      out[pixels + p] = (rgb[i + s1] as number) * f1 + o1;
      out[2 * pixels + p] = (rgb[i + s2] as number) * f2 + o2;
    }
  }
  return out;
}

/** True when sharp can read a header from `bytes`, whatever their format. */
async function headerReadable(bytes: Uint8Array): Promise<boolean> {
  try {
    await sharp(bytes, { limitInputPixels: false }).metadata();
    return true;
  } catch {
    return false;
  }
}

/**
 * The header of an allowed image, checked against the pixel limits the
 * gateway applies (the shared defaults).
 */
async function checkedHeader(
  bytes: Uint8Array,
  name: string,
  limits: PixelLimits,
): Promise<ImageHeader> {
  // The format comes from the bytes, decided as the gateway decides it:
  // sharp names AVIF and HEIC alike (`heif`), and only one of them is allowed.
  const sniffed = sniffImage(bytes);
  if (!sniffed.allowed) {
    // Bytes nothing can read are bad input; a readable image of another format is unsupported.
    if (!(await headerReadable(bytes))) {
      throw new InvocationError('badInput', `${name} is not an image that can be decoded.`);
    }
    const format = sniffed.format === 'unknown' ? 'of an unknown format' : sniffed.format;
    throw new InvocationError(
      'unsupported',
      `${name} is ${format}; send ${ALLOWED_IMAGE_FORMATS.join(', ')}.`,
    );
  }
  let header: ImageHeader;
  try {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    header = await readImageHeader(view, sniffed.format as AllowedImageFormat);
  } catch (cause) {
    throw new InvocationError('badInput', `${name} is not an image that can be decoded.`, {
      cause,
    });
  }
  const breach = pixelLimitBreach(header, limits);
  if (breach !== undefined) {
    const sideways = header.orientation >= 5 && header.orientation <= 8;
    const [width, height] = sideways
      ? [breach.height, breach.width]
      : [breach.width, breach.height];
    const over =
      breach.measure === 'side'
        ? `a side longer than the limit of ${breach.limit} pixels`
        : breach.scope === undefined
          ? `more than the limit of ${breach.limit}`
          : `more than the limit of ${breach.limit} for ${breach.scope}`;
    throw new InvocationError('tooLarge', `${name} has ${width} x ${height} pixels, ${over}.`);
  }
  return header;
}

/**
 * Decodes one image into `out` (a view of the batch tensor), under the
 * gateway's decoding policy and pixel limits (`#shared/image-decode`).
 * `name` says which image in error messages, e.g. `instances[2]`.
 * @throws InvocationError `badInput` (not decodable: no readable header,
 * pixel data missing or corrupt), `unsupported` (a format outside
 * ALLOWED_IMAGE_FORMATS, identified from the bytes by sniffImage),
 * `tooLarge` (over a pixel limit: MAX_INPUT_PIXELS, the side or the format's own)
 */
export async function prepareImage(
  bytes: Uint8Array,
  name: string,
  spec: InputSpec,
  affine: ChannelAffine,
  out: Float32Array,
  limits: PixelLimits = DEFAULT_PIXEL_LIMITS,
): Promise<void> {
  const header = await checkedHeader(bytes, name, limits);
  let rgb: RgbImage;
  try {
    rgb = await decodeImage(header, {
      background: spec.background,
      shrinkTo: spec.shrinkOnLoad ? spec : undefined,
    });
  } catch (cause) {
    throw new InvocationError('badInput', `${name} cannot be decoded (corrupt or truncated).`, {
      cause,
    });
  }
  const input = prepareInput(rgb, spec);
  if (input.width !== spec.width || input.height !== spec.height) {
    throw new Error(
      `Preparing produced ${input.width}x${input.height}, expected ${spec.width}x${spec.height}`,
    );
  }
  fillTensor(input.pixels, spec, affine, out);
}
