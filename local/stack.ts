import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '#predict/config.ts';
import { createHandler } from '#predict/handler.ts';
import { createRuntimeClient } from '#predict/invoke.ts';
import { synthesizeTemplate } from '../infra/app.ts';
import { type ApiModel, readApiModel } from './emulation/api-model.ts';
import { createGateway } from './gateway.ts';
import type { LambdaHandler } from './lambda-proxy.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Dummy credentials: the local model server checks a request is signed, not by whom. */
const LOCAL_CREDENTIALS = {
  accessKeyId: 'AKIDLOCALGATEWAY',
  secretAccessKey: 'local-gateway-not-a-secret',
};

export interface LocalStackOptions {
  /** Port of the local API (0 picks a free one). */
  readonly port: number;
  /** Port of the model server child process (0 picks a free one). */
  readonly modelPort: number;
  readonly apiKey: string;
  /** Extra environment for the model server (fault injection, model config). */
  readonly modelEnv?: Readonly<Record<string, string>>;
  /**
   * Per-request faults: the model server honours `fault-*` custom
   * attributes (form fields on /predict, X-Client-Id on /invocations). Off,
   * no client can make it fail or exit; tests that provoke failures turn it on.
   * @default false
   */
  readonly localFaults?: boolean;
  /** Overrides of the Lambda's environment from the template (limits, deadline). */
  readonly functionEnv?: Readonly<Record<string, string>>;
  /** CDK context for the synthesised stack (e.g. other binaryMediaTypes in a test). */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly staticDir?: string;
  readonly accessLog?: (line: string) => void;
  readonly modelLog?: (line: string) => void;
  readonly integrationTimeoutMs?: number;
}

export interface LocalStack {
  readonly url: string;
  readonly modelUrl: string;
  readonly stages: readonly string[];
  readonly server: Server;
  readonly model: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The CloudFormation template of the stack synthesised with `context`
 * (none: cdk.json's defaults), as the local gateway reads it.
 */
export function localTemplate(
  context: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  return synthesizeTemplate(context);
}

/** The API as the local gateway runs it: `localTemplate(context)` read into the gateway's model. */
export function localApiModel(context: Readonly<Record<string, unknown>> = {}): ApiModel {
  return readApiModel(localTemplate(context));
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`the model server exited with status ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/ping`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the model server did not answer /ping with 200 within ${timeoutMs} ms`);
}

/** The port the model server printed it listens on (it may have picked a free one). */
function listeningUrl(child: ChildProcess, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        log(line);
        const match = /listening on (http:\/\/[^\s]+)/.exec(line);
        if (match !== null) resolve(match[1] as string);
        newline = buffered.indexOf('\n');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => log(chunk.toString().trimEnd()));
    child.once('exit', (code) =>
      reject(new Error(`the model server exited with status ${code} before listening`)),
    );
  });
}

function stopChild(child: ChildProcess): Promise<void> {
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
 * Starts the whole local stack: the model server as a child process (as it
 * would run in its container), then the local API Gateway built from the
 * synthesised template, running the real predict handler in-process with
 * its SDK client pointed at the model server.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const modelLog = options.modelLog ?? (() => undefined);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'model-server', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(options.modelPort),
        HOST: '127.0.0.1',
        MODEL_SERVER_MODE: 'local',
        LOCAL_FAULTS: options.localFaults === true ? 'on' : 'off',
        ...options.modelEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    const modelUrl = await listeningUrl(child, modelLog);
    const model = localApiModel(options.context);
    await waitForPing(modelUrl, child, 60_000);

    // One runtime per function, as a container's cold start builds it; an
    // invalid environment fails here, at start-up, with the loader's message.
    // The real SDK, pointed at the local SageMaker Runtime, signed with dummy credentials.
    const handlers = new Map<string, LambdaHandler>(
      [...model.functions.values()].map((fn) => {
        const runtime = {
          config: loadConfig({ ...fn.environment, ...options.functionEnv }),
          client: createRuntimeClient({
            endpoint: modelUrl,
            region: 'us-east-1',
            credentials: LOCAL_CREDENTIALS,
          }),
        };
        return [fn.id, createHandler(() => runtime)];
      }),
    );
    const server = createGateway({
      model,
      apiKey: options.apiKey,
      sagemakerUrl: modelUrl,
      staticDir: options.staticDir,
      accessLog: options.accessLog,
      limits: { integrationTimeoutMs: options.integrationTimeoutMs },
      handlerFor: (fn) => handlers.get(fn.id) as LambdaHandler,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      modelUrl,
      stages: model.stages.map((stage) => stage.name),
      server,
      model: child,
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await stopChild(child);
      },
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
