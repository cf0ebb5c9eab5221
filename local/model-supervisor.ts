/**
 * Runs the model server the way SageMaker runs an endpoint's container:
 * started, checked with `GET /ping` until healthy, and started again on the
 * same port whenever it exits or is killed, with one line saying why. A
 * server that keeps crashing is restarted less and less often, and the
 * line says so. A server that never becomes healthy at start-up is not
 * retried: its own message (a bad MODEL_CONFIG, a port in use) is the error.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How long a model server has to listen and load its model (the bundled one takes about a second). */
export const READY_TIMEOUT_MS = 60_000;

/**
 * The first restart's delay. A crash is usually a one-off, and SageMaker
 * replaces a failed container without waiting: the server is back well
 * within 10 s of a SIGKILL.
 */
export const RESTART_DELAY_MS = 250;

/** The longest wait between restarts of a server that keeps crashing (the delay doubles up to it). */
export const MAX_RESTART_DELAY_MS = 30_000;

/** A restarted server up this long is out of its crash loop: the next crash restarts it at once. */
export const STABLE_AFTER_MS = 60_000;

/** How often `/ping` is asked while the server starts. */
const PING_INTERVAL_MS = 100;

const PREFIX = '[supervisor]';

export interface ModelSupervisorOptions {
  /**
   * Starts one model server process on `port` (0: a free one). It prints
   * `listening on http://host:port` on stdout, its messages prefixed
   * `[model-server]` on stderr, and answers `GET /ping`.
   */
  readonly spawn: (port: number) => ChildProcess;
  /** The port of the first start (0: a free one); restarts reuse the one it got. */
  readonly port: number;
  /** Every line the model server prints, and the supervisor's own. */
  readonly log: (line: string) => void;
  /** Shorter delays for tests; the constants above by default. */
  readonly limits?: {
    /** @default READY_TIMEOUT_MS */
    readonly readyTimeoutMs?: number;
    /** @default RESTART_DELAY_MS */
    readonly restartDelayMs?: number;
    /** @default MAX_RESTART_DELAY_MS */
    readonly maxRestartDelayMs?: number;
    /** @default STABLE_AFTER_MS */
    readonly stableAfterMs?: number;
  };
}

/** The model server did not become healthy at start-up; the message is one line for the user. */
export class ModelServerStartError extends Error {
  override readonly name = 'ModelServerStartError';
}

/** Calls `onLine` for each line `stream` writes. */
function eachLine(stream: Readable | null, onLine: (line: string) => void): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

/** How a process ended, in words. */
function ending(code: number | null, signal: NodeJS.Signals | null): string {
  return signal === null ? `exited with status ${code}` : `was killed by ${signal}`;
}

/** `ms` in seconds, to a tenth. */
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Stops `child`: SIGTERM, then SIGKILL after 5 s. */
export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Model servers running now, in every supervisor of this process. When
 * this process ends without stopping them (an uncaught error, a
 * process.exit), each is sent SIGTERM on the way out: a model server left
 * behind would keep its port, and the next `npm start` would find it in use.
 */
const running = new Set<ChildProcess>();
let stopOnExit = false;

/** Adds `child` to `running` until it ends. */
function track(child: ChildProcess): void {
  if (!stopOnExit) {
    stopOnExit = true;
    process.once('exit', () => {
      for (const orphan of running) orphan.kill('SIGTERM');
    });
  }
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** One model server process, from spawn until it is healthy or has failed to be. */
interface Launch {
  readonly child: ChildProcess;
  /** The server's URL once `/ping` answers 200; rejects with the reason it never did. */
  readonly ready: Promise<string>;
}

export class ModelSupervisor {
  private readonly options: ModelSupervisorOptions;
  private readonly limits: Required<NonNullable<ModelSupervisorOptions['limits']>>;
  private current: ChildProcess | undefined;
  private url: string | undefined;
  private stopping = false;
  /** Crashes since the server last stayed up STABLE_AFTER_MS. */
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;

  constructor(options: ModelSupervisorOptions) {
    this.options = options;
    this.limits = {
      readyTimeoutMs: options.limits?.readyTimeoutMs ?? READY_TIMEOUT_MS,
      restartDelayMs: options.limits?.restartDelayMs ?? RESTART_DELAY_MS,
      maxRestartDelayMs: options.limits?.maxRestartDelayMs ?? MAX_RESTART_DELAY_MS,
      stableAfterMs: options.limits?.stableAfterMs ?? STABLE_AFTER_MS,
    };
  }

  /** The model server process running now (a new one after each restart). */
  get process(): ChildProcess | undefined {
    return this.current;
  }

  /**
   * Starts the model server and resolves with its URL once `/ping`
   * answers 200; from then on it is restarted whenever it ends.
   * @throws ModelServerStartError when it exits, reports its model failed
   * to load, or is not healthy within READY_TIMEOUT_MS
   */
  async start(): Promise<string> {
    const launch = this.launch(this.options.port);
    try {
      this.url = await launch.ready;
    } catch (error) {
      await stopProcess(launch.child);
      throw error;
    }
    this.watch(launch.child);
    return this.url;
  }

  /** Stops the model server and any restart to come. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.stableTimer);
    if (this.current !== undefined) await stopProcess(this.current);
  }

  private launch(port: number): Launch {
    const child = this.options.spawn(port);
    track(child);
    this.current = child;
    let lastMessage = '';
    const listening = new Promise<string>((resolve) => {
      eachLine(child.stdout, (line) => {
        this.options.log(line);
        const match = /listening on (http:\/\/[^\s]+)/.exec(line);
        if (match !== null) resolve(match[1] as string);
      });
    });
    eachLine(child.stderr, (line) => {
      this.options.log(line);
      if (line.startsWith('[model-server] ')) lastMessage = line.slice('[model-server] '.length);
    });
    const because = (what: string) =>
      new ModelServerStartError(lastMessage === '' ? what : `${what}: ${lastMessage}`);
    // Fails when the process ends (once its output is read: 'close'), or
    // when READY_TIMEOUT_MS passes, whichever comes first.
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(because(`the model server could not start (${error.message})`)),
      );
      child.once('close', (code, signal) =>
        reject(because(`the model server ${ending(code, signal)} before it was ready`)),
      );
      timer = setTimeout(
        () =>
          reject(
            because(`the model server was not ready within ${seconds(this.limits.readyTimeoutMs)}`),
          ),
        this.limits.readyTimeoutMs,
      );
    });
    failed.catch(() => undefined);
    const ready = (async () => {
      try {
        const url = await Promise.race([listening, failed]);
        for (;;) {
          const status = await Promise.race([this.ping(url), failed]);
          if (status === 'ready') return url;
          if (status === 'failed') throw because('the model server did not start');
          await Promise.race([
            new Promise((resolve) => setTimeout(resolve, PING_INTERVAL_MS)),
            failed,
          ]);
        }
      } finally {
        clearTimeout(timer);
      }
    })();
    return { child, ready };
  }

  /** What `/ping` says: ready (200), failed (its model could not be loaded), or not yet. */
  private async ping(url: string): Promise<'ready' | 'failed' | 'not yet'> {
    try {
      const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) {
        await response.arrayBuffer();
        return 'ready';
      }
      const body = (await response.json().catch(() => ({}))) as { status?: unknown };
      return body.status === 'failed' ? 'failed' : 'not yet';
    } catch {
      return 'not yet'; // not listening yet, or too busy to answer
    }
  }

  /** Restarts the server when `child`, healthy, ends. */
  private watch(child: ChildProcess): void {
    const started = Date.now();
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.crashes = 0;
    }, this.limits.stableAfterMs);
    this.stableTimer.unref();
    const ended = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.stopping) return;
      clearTimeout(this.stableTimer);
      this.restart(`${ending(code, signal)} after ${seconds(Date.now() - started)}`);
    };
    // It may have ended between its last /ping and now.
    if (child.exitCode !== null || child.signalCode !== null)
      ended(child.exitCode, child.signalCode);
    else child.once('exit', ended);
  }

  /** Schedules the next start, backing off while the server keeps failing. */
  private restart(why: string): void {
    this.crashes += 1;
    const delay = Math.min(
      this.limits.maxRestartDelayMs,
      this.limits.restartDelayMs * 2 ** (this.crashes - 1),
    );
    const loop = this.crashes > 1 ? ` (${this.crashes} failures in a row, backing off)` : '';
    this.options.log(
      `${PREFIX} The model server ${why}${loop}; restarting it in ${delay / 1000} s. Meanwhile /predict and /invocations answer 503 ENDPOINT_UNAVAILABLE.`,
    );
    const down = Date.now();
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      const port = this.url === undefined ? this.options.port : Number(new URL(this.url).port);
      const launch = this.launch(port);
      launch.ready.then(
        () => {
          if (this.stopping) return;
          this.options.log(
            `${PREFIX} The model server is serving again, ${seconds(Date.now() - down)} after it stopped.`,
          );
          this.watch(launch.child);
        },
        async (error: unknown) => {
          await stopProcess(launch.child);
          if (!this.stopping) this.restart(`did not come back (${(error as Error).message})`);
        },
      );
    }, delay);
  }
}
