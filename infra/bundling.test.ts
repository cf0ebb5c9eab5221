import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';

/**
 * The one test that bundles for real (esbuild, then `npm ci` of sharp for
 * Lambda's platform from the npm registry or its cache): a few seconds, so
 * every other test skips bundling.
 */
describe('the predict function asset (real bundling, no Docker)', () => {
  it('holds the minified handler with its source map and the Linux arm64 glibc sharp, nothing else', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
    const { app, stack } = buildApp({ outdir, nag: false, builtinValidation: false });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
    // The code's S3 key is `<hash>.zip`; the staged directory `asset.<hash>`.
    const hash = fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '');
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const asset = join(assembly.directory, `asset.${hash}`);

    expect(readdirSync(asset).sort()).toEqual([
      'index.js',
      'index.js.map',
      'node_modules',
      'package.json',
    ]);
    expect(JSON.parse(readFileSync(join(asset, 'package.json'), 'utf8'))).toEqual({
      dependencies: {
        sharp: expect.stringMatching(/^\^0\./),
        'heic-decode': expect.stringMatching(/^\^2\./),
      },
    });
    // heic-decode and its WebAssembly libheif are installed, not bundled.
    for (const name of ['heic-decode', 'libheif-js']) {
      expect(existsSync(join(asset, 'node_modules', name, 'package.json')), name).toBe(true);
    }
    const img = join(asset, 'node_modules', '@img');
    expect(readdirSync(img).sort()).toEqual([
      'colour',
      'sharp-libvips-linux-arm64',
      'sharp-linux-arm64',
    ]);
    const binary = JSON.parse(
      readFileSync(join(img, 'sharp-linux-arm64', 'package.json'), 'utf8'),
    ) as { os: string[]; cpu: string[]; libc: string[] };
    expect([binary.os, binary.cpu, binary.libc]).toEqual([['linux'], ['arm64'], ['glibc']]);

    // Minified, with a source map; everything bundled but Node built-ins, sharp
    // and heic-decode (installed above) and the SDK's optional CRT signer
    // (required in a try).
    const code = readFileSync(join(asset, 'index.js'), 'utf8');
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
    // The SDK is inside: the InvokeEndpoint operation's schema (class names are minified).
    expect(code.includes('"InvokeEndpoint"')).toBe(true);
    // Bundled from the ES module builds (mainFields module, main): the
    // CommonJS-only browser user-agent parser is not pulled in.
    expect(code.includes('bowser')).toBe(false);
    const required = new Set(
      [...code.matchAll(/(?:require|import)\("([^"]+)"\)/g)]
        .map((match) => match[1] as string)
        .filter((name) => !builtinModules.includes(name.replace(/^node:/, ''))),
    );
    expect([...required].sort()).toEqual(['@aws-sdk/signature-v4-crt', 'heic-decode', 'sharp']);
    // What every cold start parses: the HEIC decoder (1.9 MB) is not in it.
    expect(statSync(join(asset, 'index.js')).size).toBeLessThan(1024 * 1024);
    expect(existsSync(join(asset, '.npmrc'))).toBe(false);
  }, 120_000);
});

describe('the JWT authorizer asset (real bundling)', () => {
  it('is one small minified file with jose inside and nothing to install', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundling-'));
    const { app, stack } = buildApp({
      outdir,
      nag: false,
      builtinValidation: false,
      context: { authorizer: 'jwt', jwtIssuer: 'https://issuer.example.com' },
    });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<
        string,
        { Type: string; Properties: { Description?: string; Code?: { S3Key?: string } } }
      >;
    };
    const fn = Object.values(template.Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description?.startsWith('JWT'),
    );
    const asset = join(
      assembly.directory,
      `asset.${fn?.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`,
    );
    expect(readdirSync(asset).sort()).toEqual(['index.js', 'index.js.map']);
    const code = readFileSync(join(asset, 'index.js'), 'utf8');
    expect(code.includes('JWKSNoMatchingKey')).toBe(true);
    const required = [...code.matchAll(/require\("([^"]+)"\)/g)]
      .map((match) => match[1] as string)
      .filter((name) => !builtinModules.includes(name.replace(/^node:/, '')));
    expect(required).toEqual([]);
    expect(statSync(join(asset, 'index.js')).size).toBeLessThan(100 * 1024);
  }, 120_000);
});
