/**
 * The entry point as a process, the way `npm start` and the container run
 * it: configuration from the environment, /ping failing until the model is
 * loaded, SIGTERM shutdown, the `exit` crash fault, and the one-line
 * messages of a start that fails (a bad MODEL_CONFIG, a port in use).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CRASH_EXIT_CODE } from './server.ts';
import { jpeg } from './test/images.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const children: ChildProcess[] = [];

/** Starts main.ts on a free port and resolves with its URL once it listens. */
async function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`main.ts exited with ${code}: ${output}`)));
  });
  return { child, url };
}

async function waitForPing(url: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${url}/ping`);
    if (response.status === 200) return i;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('/ping never answered 200');
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describe('model-server/main.ts', () => {
  it('fails /ping while the model loads, then serves, and stops on SIGTERM', async () => {
    const { child, url } = await start({ FAULT_LOAD_DELAY_MS: '500' });
    const first = await fetch(`${url}/ping`);
    expect([first.status, await first.json()]).toEqual([503, { status: 'loading' }]);
    expect(await waitForPing(url)).toBeGreaterThan(0);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
  });

  it('ignores fault-crash=exit by default: any client could otherwise stop it', async () => {
    const { child, url } = await start({});
    await waitForPing(url);
    const response = await fetch(`${url}/endpoints/image-moderation/invocations`, {
      method: 'POST',
      headers: {
        Authorization: 'AWS4-HMAC-SHA256 Credential=X/19700101/us-east-1/sagemaker/aws4_request',
        'Content-Type': 'image/jpeg',
        'X-Amzn-SageMaker-Custom-Attributes': 'fault-crash=exit',
      },
      body: await jpeg('grey'),
    });
    expect(response.status).toBe(200);
    expect(child.exitCode).toBeNull();
  });

  it('exits with status 70 on fault-crash=exit (local mode, LOCAL_FAULTS=on)', async () => {
    const { child, url } = await start({ LOCAL_FAULTS: 'on' });
    await waitForPing(url);
    const exited = once(child, 'exit');
    const request = fetch(`${url}/invocations`, {
      method: 'POST',
      headers: {
        'Content-Type': 'image/jpeg',
        'X-Amzn-SageMaker-Custom-Attributes': 'fault-crash=exit',
      },
      body: await jpeg('grey'),
    });
    await expect(request).rejects.toThrow('fetch failed');
    expect(await exited).toEqual([CRASH_EXIT_CODE, null]);
  });

  it('refuses a bad environment with a message naming the variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, PORT: 'eighty' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await once(child, 'exit')).toEqual([2, null]);
    expect(stderr).toBe(
      '[model-server] Environment variable PORT must be an integer from 0 to 65535, but received "eighty"\n',
    );
  });

  /** Runs main.ts with `env` until it exits or `untilLine` appears on stderr; its stderr. */
  async function stderrOf(env: Record<string, string>, untilLine?: RegExp) {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    const exited = once(child, 'exit');
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (untilLine?.test(stderr)) resolve();
      });
      void exited.then(() => resolve());
    });
    return { stderr, code: child.exitCode };
  }

  it('reports a MODEL_CONFIG it cannot use in one line naming the file, without a stack trace', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'model-config-')), 'classifier.json');
    writeFileSync(config, '{}');
    const { stderr } = await stderrOf({ MODEL_CONFIG: config }, /failed to load[^\n]*\n/);
    expect(stderr).toBe(
      `[model-server] The model failed to load: ${config}: labels must be a list of distinct non-empty strings, but is missing\n`,
    );
  });

  it('exits with status 2 and one line when its port is in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const { stderr, code } = await stderrOf({ PORT: String(port) });
      expect([code, stderr]).toEqual([
        2,
        `[model-server] Port ${port} on 127.0.0.1 is in use; set the environment variable PORT to another port\n`,
      ]);
    } finally {
      taken.close();
    }
  });
});
