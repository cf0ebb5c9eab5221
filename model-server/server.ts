/**
 * The model server: the SageMaker container contract (`GET /ping`,
 * `POST /invocations`) and, in local mode, the SageMaker Runtime API
 * (`POST /endpoints/{name}/invocations`). It listens at once and loads the
 * model in the background, as a container must accept connections quickly
 * and may become healthy later.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAGEMAKER_MAX_BODY_BYTES } from '#shared/aws-facts.ts';
import { contentLengthExceeded, missingAuthenticationToken } from './aws-errors.ts';
import { Classifier } from './classifier.ts';
import type { ServerConfig } from './config.ts';
import { type Container, type ContainerOutcome, createContainer } from './container.ts';
import type { CrashMode } from './faults.ts';
import { BodyTooLargeError, header, jsonReply, type Reply, readBody, send } from './http.ts';
import { readClassifierConfig } from './model-config.ts';
import { ModelHost } from './model-host.ts';
import { createRuntimeApi, type RuntimeApi } from './runtime-api.ts';

/** The container's own body limit: what SageMaker can deliver (InvokeEndpoint's body limit). */
export const CONTAINER_MAX_BODY_BYTES = SAGEMAKER_MAX_BODY_BYTES;

/** Exit status of a crash injected with `fault-crash=exit`. */
export const CRASH_EXIT_CODE = 70;

export interface ServerHooks {
  /**
   * Gets the classifier.json path before loading (e.g. builds the bundled
   * model when it is missing). @default the configured path, as is
   */
  readonly prepareModel?: () => Promise<string>;
  /** Loads the classifier. @default onnxruntime via Classifier.load */
  readonly loadModel?: (configPath: string) => Promise<Classifier>;
  /** @default process.exit */
  readonly exit?: (code: number) => void;
  /** @default a line on stderr */
  readonly logError?: (message: string, error: unknown) => void;
}

export interface ModelServer {
  /** `http://host:port` of the running server. */
  readonly url: string;
  readonly host: ModelHost;
  /** Resolves once the model is loaded or has failed to load. */
  readonly loaded: Promise<void>;
  /** Stops accepting, lets requests in flight finish for up to `graceMs`, then cuts them. */
  close(graceMs?: number): Promise<void>;
}

const RUNTIME_ROUTE = /^\/endpoints\/([^/?]+)\/invocations(?:\?.*)?$/;

function defaultLogError(message: string, error: unknown): void {
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error ?? '');
  process.stderr.write(`[model-server] ${message}${detail === '' ? '' : `: ${detail}`}\n`);
}

export async function startModelServer(
  config: ServerConfig,
  hooks: ServerHooks = {},
): Promise<ModelServer> {
  const logError = hooks.logError ?? defaultLogError;
  const exit = hooks.exit ?? ((code: number) => process.exit(code));
  const host = new ModelHost(config.maxBatchSize);
  const local = config.mode === 'local';
  // Cuts injected delays short on close, so nothing outlives the server.
  const shutdown = new AbortController();
  const container = createContainer({
    host,
    faults: config.faults,
    perRequestFaults: local && config.perRequestFaults,
    limits: { maxBatchSize: config.maxBatchSize, maxBodyBytes: CONTAINER_MAX_BODY_BYTES },
    logError,
    shutdown: shutdown.signal,
    protocol: config.protocol,
  });
  const crash = (mode: CrashMode) => {
    if (mode === 'exit') {
      logError(`Crashing on request (fault-crash=exit), exit status ${CRASH_EXIT_CODE}`, '');
      exit(CRASH_EXIT_CODE);
    }
  };
  const runtime = local
    ? createRuntimeApi({
        container,
        host,
        endpointNames: config.endpointNames,
        variantName: config.variantName,
        invocationTimeoutMs: config.invocationTimeoutMs,
        faults: config.faults,
        perRequestFaults: config.perRequestFaults,
        crash,
      })
    : undefined;

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      logError('Request failed unexpectedly', error);
      send(res, jsonReply(500, { message: 'The model server failed unexpectedly; see its log.' }));
    });
  });
  // Keep-alive longer than typical client pools hold idle sockets (the AWS
  // SDK and SageMaker reuse connections), so a reused socket is not closed
  // under a request.
  server.keepAliveTimeout = 65_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    if (path === '/ping' || path.startsWith('/ping?')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return refuseMethod(res, 'GET');
      return ping(res);
    }
    if (path === '/invocations' || path.startsWith('/invocations?')) {
      if (req.method !== 'POST') return refuseMethod(res, 'POST');
      return invocations(req, res, container);
    }
    const match = runtime === undefined ? null : RUNTIME_ROUTE.exec(path);
    if (match !== null && runtime !== undefined) {
      if (req.method !== 'POST') return refuseMethod(res, 'POST');
      return runtimeInvocation(req, res, runtime, endpointNameOf(match[1] as string));
    }
    send(res, jsonReply(404, { message: `No route for ${req.method} ${path}` }));
  }

  async function ping(res: ServerResponse): Promise<void> {
    if (config.faults.pingDelayMs > 0) {
      try {
        await sleep(config.faults.pingDelayMs, undefined, { signal: shutdown.signal });
      } catch {
        return; // Shutting down.
      }
    }
    const status = host.status;
    send(
      res,
      status === 'ready'
        ? jsonReply(200, { status, model: host.model?.classifier.config.name })
        : jsonReply(503, { status }),
    );
  }

  async function invocations(req: IncomingMessage, res: ServerResponse, run: Container) {
    let body: Buffer;
    try {
      body = await readBody(req, CONTAINER_MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return sendAndClose(
        res,
        jsonReply(413, {
          message: `The body is larger than the limit of ${error.limitBytes} bytes.`,
        }),
      );
    }
    const outcome: ContainerOutcome = await run({
      contentType: header(req.headers, 'content-type'),
      accept: header(req.headers, 'accept'),
      customAttributes: header(req.headers, 'x-amzn-sagemaker-custom-attributes'),
      body,
    });
    if (outcome.kind === 'crash') {
      crash(outcome.mode);
      // A crashed container answers nothing: drop the connection.
      req.socket.destroy();
      return;
    }
    send(res, outcome.reply);
  }

  async function runtimeInvocation(
    req: IncomingMessage,
    res: ServerResponse,
    invoke: RuntimeApi,
    endpointName: string,
  ) {
    if (header(req.headers, 'authorization') === undefined) {
      return sendAndClose(res, missingAuthenticationToken());
    }
    let body: Buffer;
    try {
      body = await readBody(req, SAGEMAKER_MAX_BODY_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      return sendAndClose(res, contentLengthExceeded());
    }
    send(res, await invoke({ endpointName, headers: req.headers, body }));
  }

  const loaded = (async () => {
    if (config.faults.loadDelayMs > 0) {
      try {
        await sleep(config.faults.loadDelayMs, undefined, { signal: shutdown.signal });
      } catch {
        return; // Closed before loading started.
      }
    }
    await host.start(async () => {
      const path =
        hooks.prepareModel === undefined ? config.modelConfigPath : await hooks.prepareModel();
      if (hooks.loadModel !== undefined) return hooks.loadModel(path);
      return Classifier.load(await readClassifierConfig(path), { threads: config.modelThreads });
    });
    if (host.status === 'failed') logError('The model failed to load', host.failure);
  })();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostname = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${hostname}:${address.port}`,
    host,
    loaded,
    async close(graceMs = 5000) {
      shutdown.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), graceMs).unref();
      });
      await loaded;
      await host.close();
    },
  };
}

/** The endpoint name in the path; a malformed escape is kept as sent (and will not match). */
function endpointNameOf(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function refuseMethod(res: ServerResponse, allowed: string): void {
  send(res, jsonReply(405, { message: `Use ${allowed}` }, { Allow: allowed }));
}

/**
 * Answers without reading the rest of the body, then closes the connection
 * (an unread body cannot be skipped on a kept-alive socket).
 */
function sendAndClose(res: ServerResponse, reply: Reply): void {
  send(res, { ...reply, headers: { ...reply.headers, Connection: 'close' } });
}
