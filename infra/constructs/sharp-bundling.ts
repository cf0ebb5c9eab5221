import { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';

/** npm's name for a Lambda architecture (`cpu` in package.json and .npmrc). */
export function npmCpu(architecture: Architecture): 'arm64' | 'x64' {
  return architecture.name === Architecture.ARM_64.name ? 'arm64' : 'x64';
}

/** The sharp binary package an asset for `architecture` must hold. */
export function sharpPlatformPackage(architecture: Architecture): string {
  return `@img/sharp-linux-${npmCpu(architecture)}`;
}

/**
 * The `.npmrc` that makes npm install sharp's prebuilt binary for Lambda
 * (Amazon Linux: glibc) instead of for the machine running the synth.
 * sharp ships one optional package per platform, each declaring `os`, `cpu`
 * and `libc`; npm (10.x and later) honours these three keys when choosing
 * optional dependencies, so no Docker is needed. `prefer-offline` takes
 * the package from npm's cache when it is there, so a synth after the
 * first needs no network (and asks the registry nothing).
 */
export function sharpNpmrc(architecture: Architecture): string {
  return `os=linux\ncpu=${npmCpu(architecture)}\nlibc=glibc\nprefer-offline=true\n`;
}

/** `path` as one single-quoted POSIX shell word. */
export function quote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * NodejsFunction hooks: CDK writes `package.json` (sharp only) and copies the
 * lockfile into the output directory, then runs `npm ci` there. Before that
 * the `.npmrc` is written next to them (a project `.npmrc` outranks the
 * user's); afterwards it and the lockfile are removed so neither ships.
 */
export function sharpCommandHooks(architecture: Architecture): ICommandHooks {
  const npmrc = sharpNpmrc(architecture).replaceAll('\n', '\\n');
  return {
    beforeBundling: () => [],
    beforeInstall: (_inputDir, outputDir) => [
      `printf '${npmrc}' > ${quote(`${outputDir}/.npmrc`)}`,
    ],
    afterBundling: (_inputDir, outputDir) => [
      `rm -f ${quote(`${outputDir}/.npmrc`)} ${quote(`${outputDir}/package-lock.json`)}`,
    ],
  };
}
