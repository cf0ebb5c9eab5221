/**
 * Builds the bundled image-moderation model: nsfwjs's MobileNetV2 weights
 * converted to ONNX, plus the classifier.json that tells the server how to
 * use it. Deterministic (same nsfwjs, same bytes) and quick (about a second),
 * so a fresh clone builds it on first use.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NSFWJS_MOBILENET_V2_PROFILE, PROFILE_FIELDS } from '#shared/model-input/profile.ts';
import { NSFWJS_MODEL_DIR } from '../paths.ts';
import { kerasToOnnx } from './keras.ts';
import { loadNsfwjsMobileNetV2, NSFWJS_LABELS } from './nsfwjs.ts';
import { encodeModel } from './onnx.ts';
import { decodeWeights } from './tfjs-weights.ts';

/** Names of the graph's input and output. */
export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'probabilities';

/**
 * ai.onnx opset of the graph. 13 is the first where Softmax works on one
 * axis (not "flatten from axis"), which matches Keras.
 */
export const OPSET = 13;

/**
 * Bump when the converter's output changes. Each build records it in
 * classifier.json (`converterVersion`, which the server's loader ignores),
 * and ensureNsfwjsModel rebuilds a cache that records another.
 */
export const CONVERTER_VERSION = '2';

export const MODEL_FILE = 'model.onnx';
export const CONFIG_FILE = 'classifier.json';

export interface BuildResult {
  readonly dir: string;
  readonly modelPath: string;
  readonly configPath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly nodes: number;
  readonly source: string;
}

/** Writes via a temporary name so a reader never sees half a file. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** Converts the weights and writes model.onnx and classifier.json into `dir`. */
export async function buildNsfwjsModel(dir: string = NSFWJS_MODEL_DIR): Promise<BuildResult> {
  const source = await loadNsfwjsMobileNetV2();
  const manifest = source.json.weightsManifest[0];
  if (manifest === undefined) throw new Error('nsfwjs MobileNetV2 has no weights manifest');
  const weights = decodeWeights(manifest.weights, source.weightData);
  const converted = kerasToOnnx(source.json.modelTopology, weights, {
    inputName: INPUT_NAME,
    outputName: OUTPUT_NAME,
  });
  const profile = NSFWJS_MOBILENET_V2_PROFILE;
  const [height, width] = converted.inputShape;
  if (
    height !== profile.height ||
    width !== profile.width ||
    converted.outputSize !== NSFWJS_LABELS.length
  ) {
    throw new Error(
      `nsfwjs MobileNetV2 changed shape: input ${converted.inputShape.join('x')} (its profile says ${profile.height}x${profile.width}), ${converted.outputSize} outputs`,
    );
  }
  const sourceName = `nsfwjs@${source.version} MobileNetV2 (MIT licence)`;
  const onnx = encodeModel({
    producerName: 'image-inference-gateway keras-to-onnx',
    producerVersion: CONVERTER_VERSION,
    opsetVersion: OPSET,
    graph: converted.graph,
    metadata: { labels: NSFWJS_LABELS.join(','), source: sourceName },
  });
  const classifier = {
    name: profile.name,
    source: sourceName,
    converterVersion: CONVERTER_VERSION,
    model: MODEL_FILE,
    labels: NSFWJS_LABELS,
    // The model input profile (size, fit, kernel, background, and how the
    // gateway sends it), then nsfwjs's tensor: pixels / 255, NHWC, RGB. The
    // network ends in softmax.
    input: {
      name: INPUT_NAME,
      ...Object.fromEntries(PROFILE_FIELDS.map((field) => [field, profile[field]])),
      layout: 'NHWC',
      channelOrder: 'RGB',
      pixelScale: '0..1',
      mean: [0, 0, 0],
      std: [1, 1, 1],
    },
    output: { name: OUTPUT_NAME, activation: 'none' },
  };
  await mkdir(dir, { recursive: true });
  const modelPath = join(dir, MODEL_FILE);
  const configPath = join(dir, CONFIG_FILE);
  await writeAtomically(modelPath, onnx);
  // classifier.json last: its presence means the build finished.
  await writeAtomically(configPath, `${JSON.stringify(classifier, null, 2)}\n`);
  return {
    dir,
    modelPath,
    configPath,
    bytes: onnx.length,
    sha256: createHash('sha256').update(onnx).digest('hex'),
    nodes: converted.graph.nodes.length,
    source: sourceName,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The converter version a built classifier.json records; undefined when it records none or cannot be read. */
async function builtConverterVersion(configPath: string): Promise<string | undefined> {
  try {
    const json = JSON.parse(await readFile(configPath, 'utf8')) as { converterVersion?: unknown };
    return typeof json.converterVersion === 'string' ? json.converterVersion : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds the bundled model unless `dir` holds one built by this
 * CONVERTER_VERSION (a cache from another version, or one that records
 * none, is rebuilt); returns its classifier.json path.
 */
export async function ensureNsfwjsModel(dir: string = NSFWJS_MODEL_DIR): Promise<string> {
  const configPath = join(dir, CONFIG_FILE);
  const current =
    (await builtConverterVersion(configPath)) === CONVERTER_VERSION &&
    (await exists(join(dir, MODEL_FILE)));
  if (!current) await buildNsfwjsModel(dir);
  return configPath;
}
