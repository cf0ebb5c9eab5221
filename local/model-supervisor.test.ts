/**
 * The supervisor with a stand-in model server (a few lines of Node that
 * listen, answer /ping, and crash or fail as told): restarts with backoff
 * and a line saying why, a crash loop that says so, start-up failures
 * reported with the server's own message and never retried, and stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelServerStartError, ModelSupervisor } from './model-supervisor.ts';

/** What the stand-in does: crash this long after it listens, fail its /ping, or exit at once. */
interface Behaviour {
  readonly crashAfterMs?: number;
  readonly pingFailed?: boolean;
  /** /ping answers 503 loading, forever. */
  readonly loading?: boolean;
  readonly exitAtOnce?: boolean;
}

const STAND_IN = `
const http = require('node:http');
const b = JSON.parse(process.env.BEHAVIOUR);
if (b.exitAtOnce) {
  console.error('[model-server] Environment variable PORT must be an integer from 0 to 65535, but received "x"');
  process.exit(2);
}
const status = b.pingFailed ? 'failed' : b.loading ? 'loading' : 'ready';
const server = http.createServer((req, res) => {
  res.writeHead(status === 'ready' ? 200 : 503, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ status }));
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log('[model-server] listening on http://127.0.0.1:' + server.address().port);
  if (b.pingFailed) console.error('[model-server] The model failed to load: /tmp/bad.json: labels must be a list');
  if (b.crashAfterMs !== undefined) setTimeout(() => process.exit(70), b.crashAfterMs);
});
`;

const LIMITS = {
  restartDelayMs: 50,
  maxRestartDelayMs: 200,
  stableAfterMs: 60_000,
  readyTimeoutMs: 3000,
};
const supervisors: ModelSupervisor[] = [];

/** A supervisor whose every start behaves as `behaviour(start number)`; its log lines. */
function supervise(behaviour: (start: number) => Behaviour, limits = LIMITS) {
  const lines: string[] = [];
  const spawned: ChildProcess[] = [];
  const supervisor = new ModelSupervisor({
    port: 0,
    log: (line) => lines.push(line),
    limits,
    spawn: (port) => {
      const child = spawn(process.execPath, ['-e', STAND_IN], {
        env: {
          ...process.env,
          PORT: String(port),
          BEHAVIOUR: JSON.stringify(behaviour(spawned.length)),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      spawned.push(child);
      return child;
    },
  });
  supervisors.push(supervisor);
  return { supervisor, lines, spawned };
}

const supervisorLines = (lines: string[]) => lines.filter((l) => l.startsWith('[supervisor]'));

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stop()));
});

describe('ModelSupervisor', () => {
  it('restarts a server killed with SIGKILL on the same port, with one line saying why', async () => {
    const { supervisor, lines, spawned } = supervise(() => ({}));
    const url = await supervisor.start();
    spawned[0]?.kill('SIGKILL');
    await until(() => lines.some((l) => l.includes('serving again')));
    expect(supervisorLines(lines)).toEqual([
      expect.stringMatching(
        /^\[supervisor\] The model server was killed by SIGKILL after \d+\.\d s; restarting it in 0\.05 s\. Meanwhile \/predict and \/invocations answer 503 ENDPOINT_UNAVAILABLE\.$/,
      ),
      expect.stringMatching(
        /^\[supervisor\] The model server is serving again, \d+\.\d s after it stopped\.$/,
      ),
    ]);
    expect(spawned).toHaveLength(2);
    expect(supervisor.process).toBe(spawned[1]);
    expect((await fetch(`${url}/ping`)).status).toBe(200);
  });

  it('backs off in a crash loop, doubling the delay up to its cap, and says so', async () => {
    const { supervisor, lines } = supervise(() => ({ crashAfterMs: 100 }));
    await supervisor.start();
    await until(() => supervisorLines(lines).filter((l) => l.includes('restarting')).length >= 4);
    const restarts = supervisorLines(lines).filter((l) => l.includes('restarting'));
    expect(restarts.slice(0, 4)).toEqual([
      expect.stringMatching(/exited with status 70 after \d+\.\d s; restarting it in 0\.05 s\./),
      expect.stringMatching(
        /exited with status 70 after \d+\.\d s \(2 failures in a row, backing off\); restarting it in 0\.1 s\./,
      ),
      expect.stringMatching(/\(3 failures in a row, backing off\); restarting it in 0\.2 s\./),
      expect.stringMatching(/\(4 failures in a row, backing off\); restarting it in 0\.2 s\./),
    ]);
  });

  it('forgets past crashes once a server has stayed up long enough', async () => {
    const { supervisor, lines } = supervise((start) => ({ crashAfterMs: start === 0 ? 50 : 400 }), {
      ...LIMITS,
      stableAfterMs: 250,
    });
    await supervisor.start();
    await until(() => supervisorLines(lines).filter((l) => l.includes('restarting')).length >= 3);
    const restarts = supervisorLines(lines).filter((l) => l.includes('restarting'));
    expect(restarts.slice(0, 3).every((l) => !l.includes('in a row'))).toBe(true);
  });

  it('counts a restart that never becomes healthy as a failure, and keeps trying', async () => {
    const { supervisor, lines } = supervise((start) => (start === 1 ? { exitAtOnce: true } : {}));
    await supervisor.start();
    supervisor.process?.kill('SIGKILL');
    await until(() => lines.some((l) => l.includes('serving again')));
    expect(supervisorLines(lines)[1]).toMatch(
      /^\[supervisor\] The model server did not come back \(the model server exited with status 2 before it was ready: Environment variable PORT must be an integer from 0 to 65535, but received "x"\) \(2 failures in a row, backing off\); restarting it in 0\.1 s\./,
    );
  });

  it.each([
    {
      what: 'exits before it is ready',
      behaviour: { exitAtOnce: true },
      message:
        'the model server exited with status 2 before it was ready: Environment variable PORT must be an integer from 0 to 65535, but received "x"',
    },
    {
      what: 'reports that its model failed to load',
      behaviour: { pingFailed: true },
      message:
        'the model server did not start: The model failed to load: /tmp/bad.json: labels must be a list',
    },
    {
      what: 'is not ready in time',
      behaviour: { loading: true },
      message: 'the model server was not ready within 3.0 s',
    },
  ])(
    'does not retry a server that $what at start-up: its message is the error',
    async ({ behaviour, message }) => {
      const { supervisor, spawned, lines } = supervise(() => behaviour);
      const started = supervisor.start();
      await expect(started).rejects.toThrow(ModelServerStartError);
      await expect(started).rejects.toThrow(message);
      expect(spawned).toHaveLength(1);
      expect(spawned[0]?.exitCode !== null || spawned[0]?.signalCode !== null).toBe(true);
      expect(supervisorLines(lines)).toEqual([]);
    },
  );

  it('stop ends the server and cancels a pending restart', async () => {
    const { supervisor, spawned } = supervise(() => ({}));
    await supervisor.start();
    const first = spawned[0] as ChildProcess;
    const exited = once(first, 'exit');
    first.kill('SIGKILL');
    await exited;
    await supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, LIMITS.restartDelayMs * 4));
    expect(spawned).toHaveLength(1);
  });

  it('a process that ends without stop() (an uncaught error) takes its model server with it', async () => {
    // A parent that starts a supervised stand-in, prints its pid, then throws.
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-orphan-'));
    let pid = 0;
    const alive = (id: number) => {
      try {
        process.kill(id, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const parent = join(dir, 'parent.mts');
      writeFileSync(
        parent,
        [
          "import { spawn } from 'node:child_process';",
          `import { ModelSupervisor } from ${JSON.stringify(new URL('./model-supervisor.ts', import.meta.url).href)};`,
          `const STAND_IN = ${JSON.stringify(STAND_IN)};`,
          'const supervisor = new ModelSupervisor({ port: 0, log: () => undefined, spawn: (port) =>',
          "  spawn(process.execPath, ['-e', STAND_IN], { env: { ...process.env, PORT: String(port), BEHAVIOUR: '{}' }, stdio: ['ignore', 'pipe', 'pipe'] }) });",
          'await supervisor.start();',
          'console.log(supervisor.process?.pid);',
          "throw new Error('an uncaught error');",
        ].join('\n'),
      );
      const run = spawn(process.execPath, ['--import', 'tsx', parent], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let stdout = '';
      run.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      const [code] = (await once(run, 'exit')) as [number | null];
      expect(code).toBe(1);
      pid = Number(stdout.trim());
      expect(pid).toBeGreaterThan(0);
      await until(() => !alive(pid), 5000);
    } finally {
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL'); // this test's failure: no orphan left
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
