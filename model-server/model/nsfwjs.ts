/**
 * The MobileNetV2 (224 px) image-moderation model that ships inside the
 * `nsfwjs` package: its Keras topology and its weights, read straight from
 * the package's bundled base64 instead of through `nsfwjs.load()`, which
 * decodes slowly and needs TensorFlow.js.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { KerasTopology } from './keras-topology.ts';
import type { WeightSpec } from './tfjs-weights.ts';

/** The model's classes, in the order of its output (nsfwjs's NSFW_CLASSES). */
export const NSFWJS_LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'] as const;

export interface LayersModelJson {
  readonly modelTopology: KerasTopology;
  readonly weightsManifest: ReadonlyArray<{
    readonly paths: readonly string[];
    readonly weights: readonly WeightSpec[];
  }>;
}

export interface NsfwjsModel {
  readonly json: LayersModelJson;
  /** All weight shards, concatenated in manifest order. */
  readonly weightData: Uint8Array;
  /** The nsfwjs version the weights come from (for provenance in the model's metadata). */
  readonly version: string;
}

function packageVersion(): string {
  // The package's exports hide package.json; find it from the entry point.
  const entry = createRequire(import.meta.url).resolve('nsfwjs');
  let dir = dirname(entry);
  for (let depth = 0; depth < 5; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === 'nsfwjs' && manifest.version !== undefined) return manifest.version;
    } catch {
      // Not here (or a nested {"type": ...} stub): go up.
    }
    dir = dirname(dir);
  }
  throw new Error('Cannot find the version of the installed nsfwjs package');
}

/** Loads topology and weights of nsfwjs's MobileNetV2 model (about 0.1 s). */
export async function loadNsfwjsMobileNetV2(): Promise<NsfwjsModel> {
  const { MobileNetV2Model } = await import('nsfwjs/models/mobilenet_v2');
  const json = (await MobileNetV2Model.modelJson()).default as unknown as LayersModelJson;
  const shards: Buffer[] = [];
  for (const load of MobileNetV2Model.weightBundles) {
    shards.push(Buffer.from((await load()).default, 'base64'));
  }
  if (json.weightsManifest.length !== 1 || shards.length !== 1) {
    throw new Error(
      `Expected one weight group in one shard, found ${json.weightsManifest.length} and ${shards.length}`,
    );
  }
  return { json, weightData: Buffer.concat(shards), version: packageVersion() };
}
