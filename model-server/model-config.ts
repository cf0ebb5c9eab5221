/**
 * The classifier description the server loads: which .onnx file, its
 * labels, and how an image becomes its input tensor. One JSON file
 * (`classifier.json`) next to the model, so any ONNX classifier can be
 * dropped in without code: see model-server/README.md.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  checkProfileField,
  type InputFit,
  type ModelInputProfile,
  PROFILE_FIELD_DEFAULTS,
  type ProfileFail,
} from '#shared/model-input/profile.ts';

export const LAYOUTS = ['NHWC', 'NCHW'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const CHANNEL_ORDERS = ['RGB', 'BGR'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];

/**
 * The range pixels (0..255, after resizing) are mapped to before mean/std: `0..1` (p / 255:
 * PyTorch, nsfwjs), `-1..1` (p / 127.5 - 1: Keras "tf" mode), `0..255`
 * (p itself: Keras "caffe" mode).
 */
export const PIXEL_SCALES = ['0..1', '-1..1', '0..255'] as const;
export type PixelScale = (typeof PIXEL_SCALES)[number];

/**
 * classifier.json's `input.resize`: the profile's fits that give exactly
 * the input size (`fill` stretches, `cover` crops, `contain` pads). The
 * profile's `inside` and `outside` keep the aspect ratio without padding or
 * cropping, so they cannot fill a fixed-size tensor.
 */
export const INPUT_RESIZES = ['fill', 'cover', 'contain'] as const satisfies readonly InputFit[];
export type InputResize = (typeof INPUT_RESIZES)[number];

/** The profile's fields that say how an image becomes the model's pixels. */
type ImageFields = 'width' | 'height' | 'cropFraction' | 'resample' | 'shrinkOnLoad' | 'background';

/** The profile's fields that only say how the gateway sends them: checked, then ignored. */
const WIRE_FIELDS = ['encoding', 'jpegQuality', 'chromaSubsampling'] as const;

export const OUTPUT_ACTIVATIONS = ['none', 'softmax', 'sigmoid'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/**
 * classifier.json's `input`: the model input profile's image fields (same
 * names, checks and defaults as `#shared/model-input/profile.ts`: cropFraction
 * 1, resample `bilinear`, background `#ffffff`) plus the tensor's layout and
 * normalisation.
 */
export interface InputSpec extends Pick<ModelInputProfile, ImageFields> {
  /** @default 'fill' */
  readonly resize: InputResize;
  /** @default 'NHWC' */
  readonly layout: Layout;
  /** @default 'RGB' */
  readonly channelOrder: ChannelOrder;
  /** @default '0..1' */
  readonly pixelScale: PixelScale;
  /** Subtracted per channel (in channelOrder) after scaling. @default [0, 0, 0] */
  readonly mean: readonly [number, number, number];
  /** Divides per channel after the mean. @default [1, 1, 1] */
  readonly std: readonly [number, number, number];
  /** The graph input to feed. @default the model's first input */
  readonly name: string | undefined;
}

export interface ClassifierConfig {
  /** A name for logs and `/ping` diagnostics. */
  readonly name: string;
  /** Absolute path of the .onnx file (relative paths in the file are resolved against it). */
  readonly modelPath: string;
  readonly labels: readonly string[];
  readonly input: InputSpec;
  readonly output: {
    /** Applied to the model's output: `none` when the model already ends in softmax. @default 'none' */
    readonly activation: OutputActivation;
    /** The graph output to read. @default the model's first output */
    readonly name: string | undefined;
    /** How many predictions to return, best first. @default all labels */
    readonly topK: number;
  };
}

/** Thrown when a classifier description is unusable; the message names file, field and value. */
export class ModelConfigError extends Error {
  override readonly name = 'ModelConfigError';
}

type Json = Record<string, unknown>;

class Reader {
  private readonly file: string;
  private readonly prefix: string;

  constructor(file: string, prefix = '') {
    this.file = file;
    this.prefix = prefix;
  }

  fail(field: string, expected: string, value: unknown): never {
    throw new ModelConfigError(
      `${this.file}: ${this.prefix}${field} must be ${expected}, but is ${JSON.stringify(value) ?? 'missing'}`,
    );
  }

  object(json: Json, field: string): Json {
    const value = json[field] ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(field, 'an object', value);
    }
    return value as Json;
  }

  string(json: Json, field: string, fallback?: string): string {
    const value = json[field] ?? fallback;
    if (typeof value !== 'string' || value === '') this.fail(field, 'a non-empty string', value);
    return value;
  }

  optionalString(json: Json, field: string): string | undefined {
    return json[field] === undefined ? undefined : this.string(json, field);
  }

  integer(json: Json, field: string, min: number, max: number, fallback?: number): number {
    const value = json[field] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(field, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  oneOf<T extends string>(json: Json, field: string, allowed: readonly T[], fallback: T): T {
    const value = json[field] ?? fallback;
    if (!(allowed as readonly unknown[]).includes(value)) {
      this.fail(field, `one of ${allowed.join(', ')}`, value);
    }
    return value as T;
  }

  triple(json: Json, field: string, fallback: number, positive: boolean) {
    const value = json[field] ?? [fallback, fallback, fallback];
    if (
      !Array.isArray(value) ||
      value.length !== 3 ||
      !value.every((v) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0))
    ) {
      this.fail(field, `three ${positive ? 'positive ' : ''}numbers (one per channel)`, value);
    }
    return value as unknown as readonly [number, number, number];
  }

  /**
   * A model input profile field, checked by the shared profile's rules and
   * defaulted as a hand-written profile is (PROFILE_FIELD_DEFAULTS).
   */
  profileField<F extends ImageFields | (typeof WIRE_FIELDS)[number]>(
    json: Json,
    field: F,
  ): ModelInputProfile[F] {
    const value = json[field] ?? (PROFILE_FIELD_DEFAULTS as Json)[field];
    return checkProfileField(field, value, (name, expected, received) =>
      this.fail(name, expected, received),
    );
  }

  /** `resize`: one of the profile's fits that fill the input size. */
  resize(json: Json): InputResize {
    const fail: ProfileFail = (field, _expected, value) =>
      this.fail(
        field,
        `one of ${INPUT_RESIZES.join(', ')} (the model takes a fixed-size tensor; inside and outside do not make one)`,
        value,
      );
    const fit = checkProfileField('resize', json.resize ?? PROFILE_FIELD_DEFAULTS.resize, fail);
    if (!(INPUT_RESIZES as readonly string[]).includes(fit)) fail('resize', '', fit);
    return fit as InputResize;
  }

  within(prefix: string): Reader {
    return new Reader(this.file, `${this.prefix}${prefix}.`);
  }
}

/** Validates a parsed classifier.json; `file` locates the model and names the file in errors. */
export function parseClassifierConfig(json: unknown, file: string): ClassifierConfig {
  const read = new Reader(file);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    read.fail('the file', 'a JSON object', json);
  }
  const root = json as Json;
  const labels = root.labels;
  if (
    !Array.isArray(labels) ||
    labels.length === 0 ||
    !labels.every((label) => typeof label === 'string' && label !== '') ||
    new Set(labels).size !== labels.length
  ) {
    read.fail('labels', 'a list of distinct non-empty strings', labels);
  }
  const labelList = labels as string[];
  const input = read.object(root, 'input');
  const output = read.object(root, 'output');
  const inputRead = read.within('input');
  const outputRead = read.within('output');
  const model = read.string(root, 'model');
  const name = read.string(root, 'name');
  const spec: InputSpec = {
    width: inputRead.profileField(input, 'width'),
    height: inputRead.profileField(input, 'height'),
    resize: inputRead.resize(input),
    cropFraction: inputRead.profileField(input, 'cropFraction'),
    resample: inputRead.profileField(input, 'resample'),
    shrinkOnLoad: inputRead.profileField(input, 'shrinkOnLoad'),
    background: inputRead.profileField(input, 'background'),
    layout: inputRead.oneOf(input, 'layout', LAYOUTS, 'NHWC'),
    channelOrder: inputRead.oneOf(input, 'channelOrder', CHANNEL_ORDERS, 'RGB'),
    pixelScale: inputRead.oneOf(input, 'pixelScale', PIXEL_SCALES, '0..1'),
    mean: inputRead.triple(input, 'mean', 0, false),
    std: inputRead.triple(input, 'std', 1, true),
    name: inputRead.optionalString(input, 'name'),
  };
  // The gateway's wire fields may sit in the same profile; the server only checks them.
  for (const field of WIRE_FIELDS) inputRead.profileField(input, field);
  return {
    name,
    modelPath: isAbsolute(model) ? model : resolve(dirname(file), model),
    labels: labelList,
    input: spec,
    output: {
      activation: outputRead.oneOf(output, 'activation', OUTPUT_ACTIVATIONS, 'none'),
      name: outputRead.optionalString(output, 'name'),
      topK: outputRead.integer(output, 'topK', 1, labelList.length, labelList.length),
    },
  };
}

/** Reads and validates a classifier.json file. */
export async function readClassifierConfig(file: string): Promise<ClassifierConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelConfigError(`Cannot read the classifier description ${file}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelConfigError(`${file} is not valid JSON`, { cause: error });
  }
  return parseClassifierConfig(json, file);
}
