import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { sharpCommandHooks, sharpNpmrc, sharpPlatformPackage } from './sharp-bundling.ts';

/** Runs hook commands the way CDK's local bundling does: one bash -c. */
function run(commands: string[]): void {
  execFileSync('bash', ['-c', commands.join(' && ')]);
}

describe('sharp bundling hooks', () => {
  it.each([
    [Architecture.ARM_64, 'arm64', '@img/sharp-linux-arm64'],
    [Architecture.X86_64, 'x64', '@img/sharp-linux-x64'],
  ])('target Linux glibc on %s', (architecture, cpu, pkg) => {
    expect(sharpNpmrc(architecture)).toBe(
      `os=linux\ncpu=${cpu}\nlibc=glibc\nprefer-offline=true\n`,
    );
    expect(sharpPlatformPackage(architecture)).toBe(pkg);
  });

  it('writes the .npmrc before npm installs and removes it and the lockfile after, even in a path with a quote', () => {
    const outputDir = mkdtempSync(join(tmpdir(), "bundle it's-"));
    const hooks = sharpCommandHooks(Architecture.ARM_64);
    expect(hooks.beforeBundling('/in', outputDir)).toEqual([]);
    run(hooks.beforeInstall('/in', outputDir));
    expect(readFileSync(join(outputDir, '.npmrc'), 'utf8')).toBe(
      'os=linux\ncpu=arm64\nlibc=glibc\nprefer-offline=true\n',
    );
    writeFileSync(join(outputDir, 'package-lock.json'), '{}');
    writeFileSync(join(outputDir, 'index.js'), '');
    run(hooks.afterBundling('/in', outputDir));
    expect(existsSync(join(outputDir, '.npmrc'))).toBe(false);
    expect(existsSync(join(outputDir, 'package-lock.json'))).toBe(false);
    expect(existsSync(join(outputDir, 'index.js'))).toBe(true);
  });
});
