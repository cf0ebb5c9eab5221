/**
 * The model input profile: how an image becomes what a model was built and
 * validated with (size, fit, resampling kernel, colour) and how those pixels
 * travel to the endpoint (a raw tensor, lossless PNG, or JPEG with a stated
 * quality and chroma subsampling). The gateway's normalisation and the model
 * server's preprocessing both read it, so the two routes cannot drift apart,
 * and neither can drift from the model's reference pipeline: training/serving
 * skew is a bug, not a tuning matter.
 */
import { SAGEMAKER_MAX_BODY_BYTES } from '../aws-facts.ts';
import { npyFileBytes } from './npy.ts';

/**
 * How the image is brought to `width` x `height` (sharp's names):
 * `fill` stretches the whole frame; `cover` scales to cover the box and
 * crops the centre; `contain` scales to fit and pads with `background`;
 * `inside` / `outside` scale to fit / cover without padding or cropping
 * (the output is then smaller / larger than the box on one side).
 */
export const INPUT_FITS = ['fill', 'cover', 'contain', 'inside', 'outside'] as const;
export type InputFit = (typeof INPUT_FITS)[number];

/**
 * Resampling kernels, each reproducing a framework's own resize exactly:
 * - `bilinear-align-corners`: TF1 `resize_bilinear(align_corners=True)`,
 *   tfjs `tf.image.resizeBilinear(img, size, true)` (nsfwjs);
 * - `bilinear`: half-pixel centres, no antialiasing: TF2 `tf.image.resize`
 *   (bilinear, the Keras preprocessing default), PyTorch
 *   `F.interpolate(mode='bilinear', align_corners=False)`, OpenCV INTER_LINEAR;
 * - `bilinear-antialias`: a triangle filter widened by the scale factor:
 *   Pillow's `Image.BILINEAR`, torchvision `Resize(antialias=True)`, the
 *   Hugging Face image processors (`resample: 2`).
 */
export const RESAMPLE_KERNELS = [
  'bilinear-align-corners',
  'bilinear',
  'bilinear-antialias',
] as const;
export type ResampleKernel = (typeof RESAMPLE_KERNELS)[number];

/**
 * How the prepared pixels travel to the endpoint:
 * - `npy`: a NumPy `.npy` float32 array of shape (height, width, 3), RGB,
 *   values 0..255 (`application/x-npy`): exactly what was computed;
 * - `png`: 8-bit RGB PNG (`image/png`): lossless after rounding to 8 bits;
 * - `jpeg`: `image/jpeg` at `jpegQuality` with `chromaSubsampling` (lossy).
 */
export const WIRE_ENCODINGS = ['npy', 'png', 'jpeg'] as const;
export type WireEncoding = (typeof WIRE_ENCODINGS)[number];

export const CHROMA_SUBSAMPLINGS = ['4:4:4', '4:2:0'] as const;
export type ChromaSubsampling = (typeof CHROMA_SUBSAMPLINGS)[number];

/** The media type each wire encoding is sent as. */
export const WIRE_CONTENT_TYPES: Readonly<Record<WireEncoding, string>> = {
  npy: 'application/x-npy',
  png: 'image/png',
  jpeg: 'image/jpeg',
};

export interface ModelInputProfile {
  /** The profile's name, for logs, the response and the docs. */
  readonly name: string;
  /** Width of the model input, pixels. */
  readonly width: number;
  /** Height of the model input, pixels. */
  readonly height: number;
  /** How the image is brought to width x height. */
  readonly resize: InputFit;
  /**
   * `cover` only: the part of the scaled image the centre crop keeps, as a
   * fraction of the box (torchvision's Resize(256) then CenterCrop(224) is
   * 224/256 = 0.875). 1 scales straight to cover the box.
   */
  readonly cropFraction: number;
  readonly resample: ResampleKernel;
  /**
   * Decode JPEG and WebP at 1/2, 1/4 or 1/8 scale (the largest that keeps
   * at least twice the input size) before resampling: much faster on large
   * photos, but the kernel then sees other pixels than the reference
   * pipeline did. `npm run bench` prints what it costs in fidelity.
   */
  readonly shrinkOnLoad: boolean;
  /** `#rrggbb`: transparency is flattened onto it, and `contain` pads with it. */
  readonly background: string;
  readonly encoding: WireEncoding;
  /** `jpeg` only: quality 1..100. */
  readonly jpegQuality: number;
  /** `jpeg` only. */
  readonly chromaSubsampling: ChromaSubsampling;
}

/** The profile's fields as JSON spells them (classifier.json's `input`, MODEL_INPUT_PROFILE). */
export type ProfileField = Exclude<keyof ModelInputProfile, 'name'>;

/**
 * The embedded image-moderation model (nsfwjs MobileNetV2): its reference
 * pipeline is `nsfwjs.classify`, which takes the decoded image's pixels / 255
 * and calls `tf.image.resizeBilinear(image, [224, 224], alignCorners=true)`
 * on the full-resolution frame (stretched, never cropped). The tensor goes on
 * the wire so the model sees exactly those values.
 */
export const NSFWJS_MOBILENET_V2_PROFILE: ModelInputProfile = Object.freeze({
  name: 'nsfwjs-mobilenet-v2',
  width: 224,
  height: 224,
  resize: 'fill',
  cropFraction: 1,
  resample: 'bilinear-align-corners',
  shrinkOnLoad: false,
  background: '#ffffff',
  encoding: 'npy',
  jpegQuality: 90,
  chromaSubsampling: '4:4:4',
});

/** Profiles known by name (MODEL_INPUT_PROFILE=<name>). */
export const BUILT_IN_PROFILES: Readonly<Record<string, ModelInputProfile>> = {
  [NSFWJS_MOBILENET_V2_PROFILE.name]: NSFWJS_MOBILENET_V2_PROFILE,
};

/** The profile the gateway uses unless told otherwise: the embedded model's. */
export const DEFAULT_PROFILE_NAME = NSFWJS_MOBILENET_V2_PROFILE.name;

/** Defaults of fields a profile written by hand may leave out. */
export const PROFILE_FIELD_DEFAULTS = {
  resize: 'fill',
  cropFraction: 1,
  resample: 'bilinear',
  shrinkOnLoad: false,
  background: '#ffffff',
  encoding: 'png',
  jpegQuality: 90,
  chromaSubsampling: '4:4:4',
} as const satisfies Partial<Record<ProfileField, unknown>>;

/** Largest input side a profile may ask for, pixels. */
export const MAX_INPUT_SIDE_PX = 4096;

const COLOUR = /^#[0-9a-fA-F]{6}$/;

/** A profile field is invalid: says which, what was expected and what was received. */
export type ProfileFail = (field: ProfileField, expected: string, value: unknown) => never;

function oneOf<T extends string>(
  fail: ProfileFail,
  field: ProfileField,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    fail(field, `one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

function integer(
  fail: ProfileFail,
  field: ProfileField,
  value: unknown,
  min: number,
  max: number,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/**
 * Checks one profile field's value; `fail` reports an invalid one in the
 * caller's words (an environment variable, a classifier.json field).
 */
export function checkProfileField<F extends ProfileField>(
  field: F,
  value: unknown,
  fail: ProfileFail,
): ModelInputProfile[F] {
  switch (field) {
    case 'width':
    case 'height':
      return integer(fail, field, value, 1, MAX_INPUT_SIDE_PX) as ModelInputProfile[F];
    case 'jpegQuality':
      return integer(fail, field, value, 1, 100) as ModelInputProfile[F];
    case 'resize':
      return oneOf(fail, field, value, INPUT_FITS) as ModelInputProfile[F];
    case 'resample':
      return oneOf(fail, field, value, RESAMPLE_KERNELS) as ModelInputProfile[F];
    case 'encoding':
      return oneOf(fail, field, value, WIRE_ENCODINGS) as ModelInputProfile[F];
    case 'chromaSubsampling':
      return oneOf(fail, field, value, CHROMA_SUBSAMPLINGS) as ModelInputProfile[F];
    case 'shrinkOnLoad':
      if (typeof value !== 'boolean') fail(field, 'true or false', value);
      return value as ModelInputProfile[F];
    case 'cropFraction':
      if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
        fail(field, 'a number greater than 0 and at most 1', value);
      }
      return value as ModelInputProfile[F];
    case 'background':
      if (typeof value !== 'string' || !COLOUR.test(value)) {
        fail(field, 'a colour as #rrggbb', value);
      }
      return (value as string).toLowerCase() as ModelInputProfile[F];
  }
  return fail(field, 'a profile field', value);
}

const FIELDS: readonly ProfileField[] = [
  'width',
  'height',
  'resize',
  'cropFraction',
  'resample',
  'shrinkOnLoad',
  'background',
  'encoding',
  'jpegQuality',
  'chromaSubsampling',
];

/**
 * A profile from JSON (MODEL_INPUT_PROFILE, classifier.json's `input`):
 * `width` and `height` are required, the rest default as
 * PROFILE_FIELD_DEFAULTS says. Unknown keys are left to the caller (the
 * model server's `input` also holds its tensor layout).
 */
export function parseProfile(
  json: Readonly<Record<string, unknown>>,
  name: string,
  fail: ProfileFail,
): ModelInputProfile {
  const profile: Record<string, unknown> = { name };
  for (const field of FIELDS) {
    const given = json[field];
    const value =
      given === undefined
        ? (PROFILE_FIELD_DEFAULTS as Readonly<Record<string, unknown>>)[field]
        : given;
    profile[field] = checkProfileField(field, value, fail);
  }
  const parsed = Object.freeze(profile as unknown as ModelInputProfile);
  checkProfileFits(parsed, fail);
  return parsed;
}

/**
 * Checks what no single field can: an `npy` input must fit in one
 * InvokeEndpoint request (a float32 tensor is width x height x 12 bytes, so
 * at most about 724 x 724 in 6 MB). Image encodings compress, so only the
 * endpoint can tell whether theirs fit.
 */
export function checkProfileFits(profile: ModelInputProfile, fail: ProfileFail): void {
  if (profile.encoding !== 'npy') return;
  const bytes = npyFileBytes([profile.height, profile.width, 3]);
  if (bytes > SAGEMAKER_MAX_BODY_BYTES) {
    fail(
      'encoding',
      `png or jpeg for a ${profile.width}x${profile.height} input (its npy tensor is ${bytes} bytes, over SageMaker's ${SAGEMAKER_MAX_BODY_BYTES}-byte request)`,
      profile.encoding,
    );
  }
}

/** The field names a profile's JSON may hold. */
export const PROFILE_FIELDS = FIELDS;

/**
 * The profile a setting names (a built-in) or holds (a JSON object with
 * `name` and the profile's fields), as MODEL_INPUT_PROFILE and the CDK
 * context key `modelInputProfile` spell it. `fail` reports an unusable
 * value: `field` is undefined when the setting as a whole is wrong.
 */
export function profileFromSetting(
  value: string,
  fail: (field: ProfileField | undefined, expected: string, received: unknown) => never,
): ModelInputProfile {
  const text = value.trim();
  if (!text.startsWith('{')) {
    const builtIn = BUILT_IN_PROFILES[text];
    if (builtIn === undefined) {
      fail(
        undefined,
        `one of ${Object.keys(BUILT_IN_PROFILES).join(', ')}, or a JSON profile object`,
        value,
      );
    }
    return builtIn;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    fail(undefined, 'valid JSON when it starts with {', value);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(undefined, 'a JSON object', value);
  }
  const record = json as Record<string, unknown>;
  const unknown = Object.keys(record).filter(
    (key) => key !== 'name' && !(FIELDS as readonly string[]).includes(key),
  );
  if (unknown.length > 0) {
    fail(
      undefined,
      `a profile without ${unknown.join(', ')} (its fields are name, ${FIELDS.join(', ')})`,
      value,
    );
  }
  const name = typeof record.name === 'string' && record.name !== '' ? record.name : 'custom';
  return parseProfile(record, name, fail);
}
