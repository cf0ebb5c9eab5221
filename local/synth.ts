/**
 * Synthesises the stack in a child process and returns its template. The
 * CDK (aws-cdk-lib and the constructs of the app) is about 30 MB of heap
 * once loaded; kept out of the gateway's process, every full garbage
 * collection while serving walks a heap a fifth the size (the emulator's
 * cost per request falls by about 0.4 ms at 8 connections; `npm run bench:local`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '#shared/config-kit.ts';

const CHILD = fileURLToPath(new URL('./synth-child.ts', import.meta.url));

export interface SynthOptions {
  /** Refuse a key the app does not read (context typed on the command line). */
  readonly strictKeys?: boolean;
}

/**
 * The CloudFormation template of the stack synthesised with `context`, as
 * `localTemplate` would give it, from a child process.
 * @throws ConfigError when the app refuses the context (with its message)
 */
export async function synthesizeInChild(
  context: Readonly<Record<string, unknown>> = {},
  options: SynthOptions = {},
): Promise<Record<string, unknown>> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, JSON.stringify({ context, strictKeys: options.strictKeys })],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const output = Buffer.concat(stdout).toString('utf8');
  if (code === 2)
    throw new ConfigError((JSON.parse(output) as { configError: string }).configError);
  if (code !== 0) throw new Error(`Synthesising the stack failed (exit ${code}): ${stderr.trim()}`);
  return JSON.parse(output) as Record<string, unknown>;
}
