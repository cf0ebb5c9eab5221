import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { ModelEndpoint } from './constructs/model-endpoint.ts';
import { MODEL_ASSET_DIRECTORY, MODEL_ASSET_FILE } from './settings.ts';
import { testStack } from './testing.ts';

/**
 * `-c model=asset`: the model server image is built from the repository
 * root with model-server/Dockerfile. The synth (Lambda bundling skipped,
 * asset staging not) stages the Docker build context into the cloud
 * assembly; `cdk deploy` runs `docker build` there, so that directory must
 * hold what the Dockerfile copies, and only that.
 */

interface DockerImageSource {
  readonly directory: string;
  readonly dockerFile?: string;
  readonly platform?: string;
}

/** Every file under `directory`, as `/`-separated paths relative to `root`. */
function filesUnder(directory: string, root: string = directory): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path, root) : [relative(root, path)];
  });
}

/**
 * The sources of the Dockerfile's `COPY` instructions that read the build
 * context (not `--from` another stage), continuation lines joined.
 */
function copySources(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim().split(/\s+/))
    .filter(([instruction]) => instruction?.toUpperCase() === 'COPY')
    .map((words) => words.slice(1))
    .filter((args) => !args.some((arg) => arg.startsWith('--from=')))
    .flatMap((args) => args.filter((arg) => !arg.startsWith('--')).slice(0, -1));
}

const outdir = mkdtempSync(join(tmpdir(), 'cdk-model-asset-'));
const { app, stack } = buildApp({
  outdir,
  context: { model: 'asset' },
  skipBundling: true,
  nag: false,
  builtinValidation: false,
});
const assembly = app.synth();
const manifest = JSON.parse(
  readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'),
) as { dockerImages: Record<string, { source: DockerImageSource }> };
const images = Object.values(manifest.dockerImages).map((image) => image.source);
const context = join(assembly.directory, images[0]?.directory ?? 'missing');
const staged = filesUnder(context);
const dockerfile = readFileSync(join(MODEL_ASSET_DIRECTORY, MODEL_ASSET_FILE), 'utf8');

describe('the model server image asset (model=asset)', () => {
  it('is built from the repository root with model-server/Dockerfile, for x86_64', () => {
    expect(images).toEqual([
      {
        // CDK names the staged copy asset.<hash> plus the source directory's
        // own extension: a clone in /tmp/tmp.x1Y2 stages to asset.<hash>.x1Y2.
        directory: expect.stringMatching(
          new RegExp(
            `^asset\\.[0-9a-f]{64}${extname(MODEL_ASSET_DIRECTORY).replaceAll('.', '\\.')}$`,
          ),
        ),
        dockerFile: 'model-server/Dockerfile',
        platform: 'linux/amd64',
      },
    ]);
    expect(existsSync(join(context, 'model-server', 'Dockerfile'))).toBe(true);
  });

  it('stages the root manifests, shared/ and model-server/ at the top, nothing else', () => {
    expect(readdirSync(context).sort()).toEqual([
      '.npmrc',
      'model-server',
      'package-lock.json',
      'package.json',
      'shared',
    ]);
  });

  it('stages every file of shared/ and model-server/ but tests, byte for byte', () => {
    const expected = ['shared', 'model-server']
      .flatMap((folder) =>
        filesUnder(join(MODEL_ASSET_DIRECTORY, folder)).map((file) => `${folder}/${file}`),
      )
      .filter((file) => !file.endsWith('.test.ts') && !file.startsWith('model-server/test/'));
    expect(staged.filter((file) => file.includes('/')).sort()).toEqual(expected.sort());
    for (const file of ['package.json', 'package-lock.json', '.npmrc', ...expected]) {
      expect(readFileSync(join(context, file)), file).toEqual(
        readFileSync(join(MODEL_ASSET_DIRECTORY, file)),
      );
    }
  });

  it('stages no tests, no Lambda (functions/) and no node_modules', () => {
    expect(staged.filter((file) => /\.test\.ts$/.test(file))).toEqual([]);
    expect(staged.filter((file) => file.startsWith('model-server/test/'))).toEqual([]);
    expect(staged.filter((file) => /(^|\/)(functions|node_modules)\//.test(file))).toEqual([]);
  });

  it('holds every COPY source of model-server/Dockerfile, and each top-level entry is copied', () => {
    const sources = copySources(dockerfile);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(existsSync(join(context, source)), `COPY ${source}`).toBe(true);
    }
    const copiedTops = new Set(sources.map((source) => source.split('/')[0]));
    expect(readdirSync(context).filter((entry) => !copiedTops.has(entry))).toEqual([]);
  });
});

describe('the model server image asset hash', () => {
  /** A copy of the build context's inputs (and a Lambda file the image must not see). */
  function contextCopy(): string {
    const root = mkdtempSync(join(tmpdir(), 'model-asset-hash-'));
    for (const entry of ['package.json', 'package-lock.json', '.npmrc']) {
      cpSync(join(MODEL_ASSET_DIRECTORY, entry), join(root, entry));
    }
    for (const folder of ['shared', 'model-server']) {
      cpSync(join(MODEL_ASSET_DIRECTORY, folder), join(root, folder), { recursive: true });
    }
    cpSync(join(MODEL_ASSET_DIRECTORY, 'functions'), join(root, 'functions'), { recursive: true });
    return root;
  }

  function assetHash(directory: string): string {
    const stack = testStack();
    const model = new ModelEndpoint(stack, 'Model', {
      endpointName: 'hash-check',
      imageAssetDirectory: directory,
      imageAssetFile: MODEL_ASSET_FILE,
    });
    return model.imageAsset?.assetHash ?? 'none';
  }

  it('changes when any file the image holds changes, and only then', () => {
    const root = contextCopy();
    const original = assetHash(root);
    expect(original).toMatch(/^[0-9a-f]{64}$/);

    // Outside the image: a Lambda file and a test file.
    writeFileSync(join(root, 'functions', 'predict', 'handler.ts'), '// changed\n', { flag: 'a' });
    writeFileSync(join(root, 'shared', 'errors.test.ts'), '// changed\n', { flag: 'a' });
    expect(assetHash(root)).toBe(original);

    for (const file of ['shared/errors.ts', 'model-server/main.ts', 'package-lock.json']) {
      const before = assetHash(root);
      writeFileSync(join(root, file), '\n', { flag: 'a' });
      expect(assetHash(root), file).not.toBe(before);
    }
  });
});
