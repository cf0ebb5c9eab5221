/**
 * `npm start` as a newcomer meets it (issue 14): what keeps it from
 * starting is one line and a non-zero exit within seconds, never a stack
 * trace; "ready in" counts from the process's start; SIGTERM stops it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';

const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const children: ChildProcess[] = [];
let dir: string;
let taken: Server;
let takenPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'npm-start-'));
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  takenPort = (taken.address() as { port: number }).port;
});
afterAll(() => {
  taken?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.pid === undefined) continue;
    // npm's children (tsx, local/start.ts, the model server) are in its
    // process group: a failed test leaves none of them behind.
    if (child.spawnargs[0] === 'npm') process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  }
});

/** Listens on `port` (0: any free one) and closes again: the port, free; rejects if it is in use. */
async function freePort(port = 0): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', resolve);
  });
  const { port: free } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return free;
}

interface Run {
  readonly child: ChildProcess;
  /** stdout and stderr as they arrive. */
  readonly output: () => { stdout: string; stderr: string };
  readonly spawnedAt: number;
}

/** How a test launches local/start.ts: node itself, or `npm start` as a user types it. */
type Launcher = 'node' | 'npm';

function start(
  env: Record<string, string>,
  args: readonly string[] = [],
  launcher: Launcher = 'node',
): Run {
  const spawnedAt = performance.now();
  const [command, commandArgs] =
    launcher === 'node'
      ? [process.execPath, ['--import', 'tsx', START, ...args]]
      : ['npm', ['start', '--silent', '--', ...args]];
  const child = spawn(command, commandArgs, {
    cwd: ROOT,
    detached: launcher === 'npm',
    env: {
      ...process.env,
      PORT: '0',
      MODEL_PORT: '0',
      LOCAL_API_KEY: 'npm-start-test-key-000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { child, output: () => ({ stdout, stderr }), spawnedAt };
}

/** The exit status, the seconds it took, and what was printed. */
async function finish(run: Run) {
  const [code] = (await once(run.child, 'exit')) as [number | null];
  return { code, seconds: (performance.now() - run.spawnedAt) / 1000, ...run.output() };
}

const STACK_TRACE = /^\s+at /m;

describe('npm start refusing to start', () => {
  it('a bad MODEL_CONFIG: the model server line naming the file, exit 1 within seconds', async () => {
    const config = join(dir, 'classifier.json');
    writeFileSync(config, '{"labels": "not a list"}');
    const { code, seconds, stdout, stderr } = await finish(start({ MODEL_CONFIG: config }));
    expect(code).toBe(1);
    expect(seconds).toBeLessThan(15);
    const reason = `${config}: labels must be a list of distinct non-empty strings`;
    expect(stdout).toContain(`[model-server] The model failed to load: ${reason}`);
    expect(stderr).toMatch(
      new RegExp(
        `^npm start: the model server did not start: The model failed to load: ${reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\n]*\\n$`,
      ),
    );
    expect(`${stdout}${stderr}`).not.toMatch(STACK_TRACE);
  }, 30_000);

  it('a MODEL_CONFIG that does not exist: the same, naming the file', async () => {
    const config = join(dir, 'missing.json');
    const { code, stderr } = await finish(start({ MODEL_CONFIG: config }));
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot read the classifier description ${config}`);
    expect(stderr).not.toMatch(STACK_TRACE);
  }, 30_000);

  it("LOCAL_FAULTS other than on or off: the config kit's one line, exit 2, before any model server starts", async () => {
    const { code, stdout, stderr } = await finish(start({ LOCAL_FAULTS: 'yes' }));
    expect(code).toBe(2);
    expect(stderr).toBe(
      'Environment variable LOCAL_FAULTS must be one of on, off, but received "yes"\n',
    );
    expect(stdout).not.toContain('[model-server]');
  }, 30_000);

  it('PORT and MODEL_PORT the same: one line saying so, exit 2, before any model server starts', async () => {
    const { code, stdout, stderr } = await finish(start({ PORT: '3999', MODEL_PORT: '3999' }));
    expect(code).toBe(2);
    expect(stderr).toBe(
      'Environment variables PORT and MODEL_PORT must differ, but both are 3999\n',
    );
    expect(stdout).not.toContain('[model-server]');
  }, 30_000);

  it.each([
    { variable: 'PORT', env: () => ({ PORT: String(takenPort) }) },
    { variable: 'MODEL_PORT', env: () => ({ MODEL_PORT: String(takenPort) }) },
  ])(
    '$variable in use: one line naming it, exit 1',
    async ({ variable, env }) => {
      const { code, stderr } = await finish(start(env()));
      expect(code).toBe(1);
      expect(stderr).toBe(
        `Port ${takenPort} (environment variable ${variable}) is in use on 127.0.0.1, perhaps by another npm start: stop it, or set ${variable} to a free port (0 picks one)\n`,
      );
    },
    30_000,
  );
});

describe('npm start -- -c key=value (CDK context, as cdk synth takes it)', () => {
  it.each([
    {
      args: ['-c', 'stage=dev'],
      line: /^Context key "stage" is not one the app reads; the keys are stackName, stages, [^\n]*\n$/,
    },
    {
      args: ['-c', 'modelMode=huge'],
      line: /^Context value modelMode must be [^\n]*, but received "huge"\n$/,
    },
    {
      // A value a construct refuses (not the settings reader): the same one line.
      args: ['-c', 'stages=dev,dev'],
      line: /^stages\[1\]\.stageName must be unique, but "dev" is listed twice\n$/,
    },
    {
      args: ['--stages=dev'],
      line: /^npm start takes CDK context as -c key=value \(after --\), but received "--stages=dev"\n$/,
    },
  ])(
    'refuses $args with the one line and exit 2, before any model server starts',
    async ({ args, line }) => {
      const { code, seconds, stdout, stderr } = await finish(start({}, args));
      expect(code).toBe(2);
      expect(seconds).toBeLessThan(15);
      expect(stderr).toMatch(line);
      expect(stdout).not.toContain('[model-server]');
    },
    30_000,
  );

  it('serves the stages the context names', async () => {
    const run = start({}, ['-c', 'stages=qa']);
    await new Promise<void>((resolve, reject) => {
      run.child.stdout?.on('data', () => {
        if (run.output().stdout.includes('is ready in')) resolve();
      });
      run.child.once('exit', (code) =>
        reject(new Error(`exited with ${code}: ${run.output().stderr}`)),
      );
    });
    const { stdout } = run.output();
    expect(stdout).toMatch(/API {8}http:\/\/127\.0\.0\.1:\d+\/\{qa\}\/predict/);
    expect(stdout).toMatch(/\/qa\/predict\n/);
    run.child.kill('SIGTERM');
    expect((await finish(run)).code).toBe(0);
  }, 60_000);
});

/**
 * Starts local/start.ts with `launcher`, checks the "ready in X s" figure
 * against the wall time since the spawn, then stops it with SIGTERM.
 */
async function readyThenStop(launcher: Launcher): Promise<void> {
  const run = start({}, [], launcher);
  const child = run.child;
  let readyAt = 0;
  const reported = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', () => {
      const match = /is ready in (\d+\.\d) s/.exec(run.output().stdout);
      if (match !== null && readyAt === 0) {
        readyAt = performance.now();
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${run.output().stderr}`)));
  });
  const wall = (readyAt - run.spawnedAt) / 1000;
  // The process starts a little after spawn: the figure is at most the wall time, and close to it.
  expect(reported).toBeLessThanOrEqual(wall + 0.05);
  expect(reported).toBeGreaterThan(wall - 0.5);
  child.kill('SIGTERM');
  const { code, stdout } = await finish(run);
  expect(code).toBe(0);
  expect(stdout).toContain('[model-server] SIGTERM: shutting down');
  expect(stdout).toMatch(
    /\n {2}model {6}http:\/\/127\.0\.0\.1:\d+ {3}\(SageMaker Runtime API and container contract, endpoint protocol raw-image; restarted if it crashes\)\n/,
  );
}

describe('npm start starting', () => {
  it('says "ready in X s" counting from the process start, and stops on SIGTERM with status 0', async () => {
    await readyThenStop('node');
  }, 60_000);

  it('-c endpointProtocol=triton: the banner names the protocol the model server presents', async () => {
    const run = start({}, ['-c', 'endpointProtocol=triton']);
    await new Promise<void>((resolve, reject) => {
      run.child.stdout?.on('data', () => {
        if (run.output().stdout.includes('is ready in')) resolve();
      });
      run.child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
    });
    run.child.kill('SIGTERM');
    const { code, stdout } = await finish(run);
    expect(code).toBe(0);
    expect(stdout).toContain('container contract, endpoint protocol triton; restarted');
  }, 60_000);

  it('LOCAL_FAULTS=on: says so, and a fault-crash=exit field crashes the model server, which is restarted', async () => {
    const run = start({ LOCAL_FAULTS: 'on' });
    const printed = (pattern: RegExp) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(run.output().stdout);
          if (match !== null) resolve(match);
        };
        check();
        run.child.stdout?.on('data', check);
        run.child.once('exit', (code) =>
          reject(new Error(`exited with ${code}: ${run.output().stderr}`)),
        );
      });
    const [, url] = await printed(/page {7}(http:\/\/127\.0\.0\.1:\d+)\//);
    expect(run.output().stdout).toContain(
      '  faults     LOCAL_FAULTS=on: fault-* form fields (and X-Client-Id) provoke failures\n',
    );
    const form = new FormData();
    form.append('image', new Blob([loadImage('small.jpg')], { type: 'image/jpeg' }), 'a.jpg');
    form.append('fault-crash', 'exit');
    const response = await fetch(`${url}/dev/predict`, {
      method: 'POST',
      body: form,
      headers: { 'x-api-key': 'npm-start-test-key-000000' },
    });
    expect(response.status).toBe(503);
    await printed(/\[supervisor\] The model server exited with status 70 after /);
    await printed(/\[supervisor\] The model server is serving again/);
    run.child.kill('SIGTERM');
    expect((await finish(run)).code).toBe(0);
  }, 60_000);

  it('its output closed by the reader (npm start | head): SIGTERM still stops both servers, exit 0', async () => {
    const modelPort = await freePort();
    const run = start({ MODEL_PORT: String(modelPort) });
    await new Promise<void>((resolve, reject) => {
      run.child.stdout?.on('data', () => {
        if (run.output().stdout.includes('is ready in')) resolve();
      });
      run.child.once('exit', (code) =>
        reject(new Error(`exited with ${code}: ${run.output().stderr}`)),
      );
    });
    run.child.stdout?.destroy();
    run.child.kill('SIGTERM');
    const { code, stderr } = await finish(run);
    expect([code, stderr]).toEqual([0, '']);
    // The model server stopped too: its port is free again.
    expect(await freePort(modelPort)).toBe(modelPort);
  }, 60_000);

  // npm and tsx's CLI start two processes before local/start.ts's own, and
  // only Linux's /proc says when they started.
  it.skipIf(process.platform !== 'linux')(
    "run as `npm start`, counts npm's and tsx's start-up too (skipped off Linux: needs /proc)",
    async () => {
      await readyThenStop('npm');
    },
    60_000,
  );
});

describe("README's table of npm start's variables", () => {
  it('lists the variables local/start.ts and the model server it starts read, with their defaults', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const lines = readme.slice(readme.indexOf('`npm start` reads these variables')).split('\n');
    const first = lines.findIndex((line) => line.startsWith('|'));
    const end = lines.findIndex((line, i) => i > first && !line.startsWith('|'));
    // After the header row and its rule: the variable and its default.
    const rows = lines.slice(first + 2, end).map((line) =>
      line
        .split('|')
        .slice(1, 3)
        .map((cell) => cell.trim()),
    );
    expect(rows).toEqual([
      ['`PORT`', '`3000`'],
      ['`MODEL_PORT`', '`8080`'],
      ['`LOCAL_API_KEY`', '(kept in `.cache/local-api-key`)'],
      ['`LOCAL_FAULTS`', '`off`'],
      ['`MODEL_CONFIG`', 'the bundled model'],
    ]);
  });
});
