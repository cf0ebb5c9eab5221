/**
 * Starts the model server from the environment: `tsx model-server/main.ts`
 * locally, `serve` (`node model-server/main.ts`) in the container. With no
 * MODEL_CONFIG it serves the bundled nsfwjs model, building it first when
 * the cache has none (or was built by another converter version).
 */
import { ConfigError } from '#shared/config-kit.ts';
import { ModelLoadError } from './classifier.ts';
import { loadServerConfig, type ServerConfig } from './config.ts';
import { MODEL_SERVER_ENV } from './env.ts';
import { ensureNsfwjsModel } from './model/build.ts';
import { ModelConfigError } from './model-config.ts';
import { type ModelServer, startModelServer } from './server.ts';

function log(message: string): void {
  process.stdout.write(`[model-server] ${message}\n`);
}

/**
 * Errors logged in one line: a model description or model that cannot be
 * used (their messages name the file, and what is wrong with it) is the
 * operator's to fix, and a stack trace would only bury that. Anything else
 * keeps its stack.
 */
function logError(message: string, error: unknown): void {
  if (error instanceof ModelConfigError || error instanceof ModelLoadError) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message.split('\n')[0]})` : '';
    process.stderr.write(`[model-server] ${message}: ${error.message}${cause}\n`);
    return;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error ?? '');
  process.stderr.write(`[model-server] ${message}${detail === '' ? '' : `: ${detail}`}\n`);
}

let config: ServerConfig;
try {
  config = loadServerConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`[model-server] ${error.message}\n`);
  process.exit(2);
}

let server: ModelServer;
try {
  server = await startModelServer(config, {
    prepareModel: config.usesBundledModel ? () => ensureNsfwjsModel() : undefined,
    logError,
  });
} catch (error) {
  // The port is taken (or not ours to bind): one line naming the variable.
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
  const why = code === 'EADDRINUSE' ? 'is in use' : 'may not be bound by this user';
  process.stderr.write(
    `[model-server] Port ${config.port} on ${config.host} ${why}; set the environment variable ${MODEL_SERVER_ENV.port} to another port\n`,
  );
  process.exit(2);
}
log(`listening on ${server.url} (${config.mode} mode), loading ${config.modelConfigPath}`);
if (config.mode === 'local') {
  log(`SageMaker Runtime API for endpoints: ${config.endpointNames.join(', ')}`);
}
void server.loaded.then(() => {
  if (server.host.status === 'ready') {
    log(`model ${server.host.model?.classifier.config.name} ready`);
  } else if (server.host.status === 'failed' && config.mode === 'container') {
    // A container that cannot load its model should fail fast and visibly.
    process.exit(1);
  }
});

// SageMaker stops containers with SIGTERM, then SIGKILL after 30 s (SageMaker
// developer guide, "Use your own inference code with hosting services").
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log(`${signal}: shutting down`);
    void server.close().then(() => process.exit(0));
  });
}
