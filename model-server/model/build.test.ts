/**
 * The bundled model build: deterministic bytes, a classifier.json the
 * server accepts, and a graph onnxruntime loads with the expected signature.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { NSFWJS_MOBILENET_V2_PROFILE, PROFILE_FIELDS } from '#shared/model-input/profile.ts';
import { readClassifierConfig } from '../model-config.ts';
import { buildNsfwjsModel, CONVERTER_VERSION, ensureNsfwjsModel } from './build.ts';

const dirs: string[] = [];

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'model-build-'));
  dirs.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('buildNsfwjsModel', () => {
  it('writes byte-identical files on every build', async () => {
    const [a, b] = await Promise.all([freshDir(), freshDir()]);
    const first = await buildNsfwjsModel(a);
    const second = await buildNsfwjsModel(b);
    expect(second.sha256).toBe(first.sha256);
    const onnx = await readFile(first.modelPath);
    expect(createHash('sha256').update(onnx).digest('hex')).toBe(first.sha256);
    expect(await readFile(second.configPath, 'utf8')).toBe(
      await readFile(first.configPath, 'utf8'),
    );
  });

  it('describes the model so the server can use it, and the graph agrees', async () => {
    const dir = await freshDir();
    const result = await buildNsfwjsModel(dir);
    const config = await readClassifierConfig(result.configPath);
    expect(config).toEqual({
      name: 'nsfwjs-mobilenet-v2',
      modelPath: join(dir, 'model.onnx'),
      labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
      input: {
        name: 'image',
        width: 224,
        height: 224,
        layout: 'NHWC',
        channelOrder: 'RGB',
        pixelScale: '0..1',
        mean: [0, 0, 0],
        std: [1, 1, 1],
        resize: 'fill',
        cropFraction: 1,
        resample: 'bilinear-align-corners',
        shrinkOnLoad: false,
        background: '#ffffff',
      },
      output: { name: 'probabilities', activation: 'none', topK: 5 },
    });
    const session = await ort.InferenceSession.create(result.modelPath);
    try {
      expect([session.inputMetadata, session.outputMetadata]).toEqual([
        [{ name: 'image', isTensor: true, type: 'float32', shape: ['batch', 224, 224, 3] }],
        [{ name: 'probabilities', isTensor: true, type: 'float32', shape: ['batch', 5] }],
      ]);
    } finally {
      await session.release();
    }
  });

  it('writes the model input profile into classifier.json from NSFWJS_MOBILENET_V2_PROFILE', async () => {
    const result = await buildNsfwjsModel(await freshDir());
    const json = JSON.parse(await readFile(result.configPath, 'utf8')) as {
      name: string;
      input: Record<string, unknown>;
    };
    const { name, ...fields } = NSFWJS_MOBILENET_V2_PROFILE;
    expect(Object.keys(fields).sort()).toEqual([...PROFILE_FIELDS].sort());
    expect(json.name).toBe(name);
    expect(json.input).toMatchObject(fields);
  });

  it('ensureNsfwjsModel builds only when the files are missing', async () => {
    const dir = await freshDir();
    const configPath = await ensureNsfwjsModel(dir);
    const before = await readFile(join(dir, 'model.onnx'));
    expect(configPath).toBe(join(dir, 'classifier.json'));
    expect(await ensureNsfwjsModel(dir)).toBe(configPath);
    expect((await readFile(join(dir, 'model.onnx'))).equals(before)).toBe(true);
  });

  it.each([
    {
      what: 'another converter version',
      stamp: (json: object) => ({ ...json, converterVersion: '0' }),
    },
    {
      what: 'no converter version (a cache from before the stamp)',
      stamp: ({ converterVersion: _, ...json }: { converterVersion?: unknown }) => json,
    },
  ])('ensureNsfwjsModel rebuilds a cache made by $what', async ({ stamp }) => {
    const dir = await freshDir();
    const configPath = await ensureNsfwjsModel(dir);
    const modelPath = join(dir, 'model.onnx');
    const [config, model] = await Promise.all([readFile(configPath, 'utf8'), readFile(modelPath)]);
    expect(JSON.parse(config)).toMatchObject({ converterVersion: CONVERTER_VERSION });
    await writeFile(configPath, JSON.stringify(stamp(JSON.parse(config))));
    await writeFile(modelPath, 'an old build');
    expect(await ensureNsfwjsModel(dir)).toBe(configPath);
    expect(await readFile(configPath, 'utf8')).toBe(config);
    expect((await readFile(modelPath)).equals(model)).toBe(true);
  });
});
