/**
 * The classifier description the server loads: which .onnx file, its
 * labels, and how an image becomes its input tensor. One JSON file
 * (`classifier.json`) next to the model, so any ONNX classifier can be
 * dropped in without code: see model-server/README.md.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

export const LAYOUTS = ['NHWC', 'NCHW'] as const;
export type Layout = (typeof LAYOUTS)[number];

export const CHANNEL_ORDERS = ['RGB', 'BGR'] as const;
export type ChannelOrder = (typeof CHANNEL_ORDERS)[number];

/**
 * The range 8-bit pixels are mapped to before mean/std: `0..1` (p / 255:
 * PyTorch, nsfwjs), `-1..1` (p / 127.5 - 1: Keras "tf" mode), `0..255`
 * (p itself: Keras "caffe" mode).
 */
export const PIXEL_SCALES = ['0..1', '-1..1', '0..255'] as const;
export type PixelScale = (typeof PIXEL_SCALES)[number];

/**
 * classifier.json's `input.resize`: how an image is brought to the input
 * size. Each is the sharp fit of the same name: `fill` stretches, `cover`
 * crops, `contain` letterboxes.
 */
export const INPUT_RESIZES = ['fill', 'cover', 'contain'] as const;
export type InputResize = (typeof INPUT_RESIZES)[number];

export const OUTPUT_ACTIVATIONS = ['none', 'softmax', 'sigmoid'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

export interface InputSpec {
  readonly width: number;
  readonly height: number;
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
  /** @default 'fill' */
  readonly resize: InputResize;
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
  return {
    name: read.string(root, 'name'),
    modelPath: isAbsolute(model) ? model : resolve(dirname(file), model),
    labels: labelList,
    input: {
      width: inputRead.integer(input, 'width', 1, 4096),
      height: inputRead.integer(input, 'height', 1, 4096),
      layout: inputRead.oneOf(input, 'layout', LAYOUTS, 'NHWC'),
      channelOrder: inputRead.oneOf(input, 'channelOrder', CHANNEL_ORDERS, 'RGB'),
      pixelScale: inputRead.oneOf(input, 'pixelScale', PIXEL_SCALES, '0..1'),
      mean: inputRead.triple(input, 'mean', 0, false),
      std: inputRead.triple(input, 'std', 1, true),
      resize: inputRead.oneOf(input, 'resize', INPUT_RESIZES, 'fill'),
      name: inputRead.optionalString(input, 'name'),
    },
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
