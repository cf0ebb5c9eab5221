import { type ChildProcess, spawn } from 'node:child_process';
import type { Server } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
} from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '#predict/config.ts';
import { createHandler } from '#predict/handler.ts';
import { createRuntimeClient } from '#predict/invoke.ts';
import { MODEL_SERVER_PROTOCOL_ENV } from '#shared/endpoint-protocol/presets.ts';
import { loadAuthorizerConfig } from '../functions/authorizer/config.ts';
import { createAuthorizer } from '../functions/authorizer/handler.ts';
import type { ClientLimits } from './client-errors.ts';
import { readApiModel } from './emulation/api-model.ts';
import type { TokenAuthorizerFunction } from './emulation/authorizers.ts';
import type { ServiceAnswer } from './emulation/permissions.ts';
import { createGateway } from './gateway.ts';
import type { LambdaHandler } from './lambda-proxy.ts';
import {
  type DevelopmentIssuer,
  localAuthorizerContext,
  startDevelopmentIssuer,
} from './local-auth.ts';
import { ModelSupervisor, type ModelSupervisorOptions } from './model-supervisor.ts';
import { synthesizeInChild } from './synth.ts';

export { ModelServerStartError } from './model-supervisor.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The classifier.json the model server serves when MODEL_CONFIG is unset
 * (model-server/paths.ts DEFAULT_MODEL_CONFIG, named here as a path: local/
 * runs the model server as a process and imports none of it).
 */
const BUNDLED_MODEL_CONFIG = join(
  ROOT,
  '.cache',
  'models',
  'nsfwjs-mobilenet-v2',
  'classifier.json',
);

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
  /**
   * Refuse a context key the app does not read (`npm start -- -c`).
   * @default false
   */
  readonly strictContextKeys?: boolean;
  readonly staticDir?: string;
  readonly accessLog?: (line: string) => void;
  /** The model server's lines, and the supervisor's (a restart and why). */
  readonly modelLog?: (line: string) => void;
  readonly integrationTimeoutMs?: number;
  /** Shorter client time limits for tests (client-errors.ts has the defaults). */
  readonly clientLimits?: ClientLimits;
  /** Shorter supervision delays for tests (model-supervisor.ts has the defaults). */
  readonly supervisorLimits?: ModelSupervisorOptions['limits'];
}

export interface LocalStack {
  readonly url: string;
  readonly modelUrl: string;
  readonly stages: readonly string[];
  readonly server: Server;
  /** The model server process running now: a new one after each restart. */
  readonly model: ChildProcess;
  /**
   * With `-c authorizer=jwt` and no jwtIssuer: the development issuer the
   * gateway serves the JWKS of, and a token it signed.
   */
  readonly developmentIssuer?: DevelopmentIssuer;
  stop(): Promise<void>;
}

/** A port of the stack that another process holds. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  /** The option whose port it is. */
  readonly option: 'port' | 'modelPort';
  readonly port: number;

  constructor(option: 'port' | 'modelPort', port: number) {
    super(`Port ${port} on 127.0.0.1 (${option}) is in use`);
    this.option = option;
    this.port = port;
  }
}

/** Listens on `port` of 127.0.0.1; PortInUseError naming `option` when it is taken. */
async function listenOn(server: Server | NetServer, port: number, option: 'port' | 'modelPort') {
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(option, port) : error);
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', failed);
      resolve();
    });
  });
}

/**
 * Fails with PortInUseError when `port` cannot be bound, before anything is
 * started (the model server would otherwise find out in its child process).
 */
async function ensureFree(port: number, option: 'port' | 'modelPort'): Promise<void> {
  if (port === 0) return;
  const probe = createNetServer();
  await listenOn(probe, port, option);
  await new Promise((resolve) => probe.close(resolve));
}

/**
 * SageMaker Runtime's answer while the model server is restarted: the
 * service is up, the endpoint cannot serve. ServiceUnavailable, 503 ("The
 * service is currently unavailable"; SageMaker API reference,
 * InvokeEndpoint, Errors), in the restJson1 shape. The integration
 * responses select on its status.
 */
const SERVICE_UNAVAILABLE: ServiceAnswer = {
  status: 503,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ServiceUnavailable' },
  body: JSON.stringify({ message: 'The service is currently unavailable.' }),
};

/**
 * Starts the whole local stack: the model server as a child process (as it
 * would run in its container, restarted when it crashes), then the local
 * API Gateway built from the synthesised template, running the real predict
 * handler in-process with its SDK client pointed at the model server.
 * @throws ConfigError when a context value is one the app refuses;
 * PortInUseError when `port` or `modelPort` is taken;
 * ModelServerStartError when the model server does not become healthy
 * (e.g. a bad MODEL_CONFIG in `modelEnv`), with its own message
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const modelLog = options.modelLog ?? (() => undefined);
  // The stack first: a context value the app refuses fails here (ConfigError)
  // before a model server is started.
  const context = localAuthorizerContext(options.context, options.port);
  const model = readApiModel(
    await synthesizeInChild(context.context, { strictKeys: options.strictContextKeys }),
  );
  const functionEnv = (fn: { readonly environment: Readonly<Record<string, string>> }) =>
    localFunctionEnv({ ...fn.environment, ...options.functionEnv }, options);
  // The Lambda proxy functions (the predict function); authorizers run apart.
  const authorizerIds = new Set(model.routes.flatMap((r) => r.authorizer?.functionId ?? []));
  const proxyFunctions = [...model.functions.values()].filter((fn) => !authorizerIds.has(fn.id));
  // The model server plays the container the function's protocol speaks to.
  const [firstFunction] = proxyFunctions;
  const protocol =
    firstFunction === undefined ? undefined : functionEnv(firstFunction).ENDPOINT_PROTOCOL;
  await ensureFree(options.port, 'port');
  await ensureFree(options.modelPort, 'modelPort');
  const supervisor = new ModelSupervisor({
    port: options.modelPort,
    log: modelLog,
    limits: options.supervisorLimits,
    spawn: (port) =>
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'model-server', 'main.ts')], {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          MODEL_SERVER_MODE: 'local',
          LOCAL_FAULTS: options.localFaults === true ? 'on' : 'off',
          ...(protocol === undefined ? {} : { [MODEL_SERVER_PROTOCOL_ENV]: protocol }),
          ...options.modelEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
  });
  try {
    const modelUrl = await supervisor.start();

    // One runtime per function, as a container's cold start builds it; an
    // invalid environment fails here, at start-up, with the loader's message.
    // The real SDK, pointed at the local SageMaker Runtime, signed with dummy credentials.
    const handlers = new Map<string, LambdaHandler>(
      proxyFunctions.map((fn) => {
        const runtime = {
          config: loadConfig(functionEnv(fn)),
          client: createRuntimeClient({
            endpoint: modelUrl,
            region: 'us-east-1',
            credentials: LOCAL_CREDENTIALS,
          }),
        };
        return [fn.id, createHandler(() => runtime)];
      }),
    );
    // The authorizer's code in-process, its environment from the template
    // (with the development issuer's URL once the gateway listens).
    const authorizerEnv: Record<string, string> = {};
    const authorizers = new Map<string, TokenAuthorizerFunction>();
    const documents = new Map<string, string>();
    const server = createGateway({
      model,
      authorizerFor: (fn) => {
        let authorizer = authorizers.get(fn.id);
        if (authorizer === undefined) {
          authorizer = createAuthorizer(
            loadAuthorizerConfig({ ...fn.environment, ...authorizerEnv }),
          );
          authorizers.set(fn.id, authorizer);
        }
        return authorizer;
      },
      documents,
      apiKey: options.apiKey,
      sagemakerUrl: modelUrl,
      // While the supervisor restarts the model server, /invocations gets
      // SageMaker's 503, mapped to ENDPOINT_UNAVAILABLE as /predict maps
      // the refused connection.
      sagemakerWhileDown: SERVICE_UNAVAILABLE,
      staticDir: options.staticDir,
      accessLog: options.accessLog,
      limits: { integrationTimeoutMs: options.integrationTimeoutMs, ...options.clientLimits },
      handlerFor: (fn) => handlers.get(fn.id) as LambdaHandler,
    });
    await listenOn(server, options.port, 'port');
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    const developmentIssuer = context.developmentIssuer
      ? await startDevelopmentIssuer(url, model, authorizerEnv, documents)
      : undefined;
    return {
      developmentIssuer,
      url,
      modelUrl,
      stages: model.stages.map((stage) => stage.name),
      server,
      get model() {
        return supervisor.process as ChildProcess;
      },
      async stop() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await supervisor.stop();
      },
    };
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
}

/**
 * The function's environment as the local stack runs it: with per-request
 * faults on, `fault-*` form fields are allowlisted (FORWARD_FIELDS) so they
 * reach the model server; under a protocol whose answers carry no labels,
 * and none configured, the labels of the model the local server serves
 * (its classifier.json) are the function's, as a deployer would configure
 * them for that model.
 */
function localFunctionEnv(
  env: Readonly<Record<string, string>>,
  options: LocalStackOptions,
): Record<string, string> {
  const out: Record<string, string> = { ...env };
  if (options.localFaults === true) {
    out.FORWARD_FIELDS = [env.FORWARD_FIELDS, 'fault-*'].filter(Boolean).join(',');
  }
  // The template names the copy in the bundle; locally the file is where the context says.
  const labelsFile = options.context?.labelsFile;
  if (typeof labelsFile === 'string' && labelsFile.trim() !== '') {
    out.MODEL_LABELS_FILE = resolve(labelsFile);
  }
  const protocol = env.ENDPOINT_PROTOCOL;
  if (
    protocol !== undefined &&
    protocol !== 'raw-image' &&
    env.MODEL_LABELS === undefined &&
    out.MODEL_LABELS_FILE === undefined
  ) {
    out.MODEL_LABELS_FILE = options.modelEnv?.MODEL_CONFIG ?? BUNDLED_MODEL_CONFIG;
  }
  return out;
}
