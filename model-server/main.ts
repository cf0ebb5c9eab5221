/**
 * Starts the model server from the environment: `tsx model-server/main.ts`
 * locally, `serve` (`node model-server/main.ts`) in the container. With no
 * MODEL_CONFIG it serves the bundled nsfwjs model, building it first when
 * the cache has none (or was built by another converter version).
 */
import { ConfigError } from '#shared/config-kit.ts';
import { loadServerConfig, type ServerConfig } from './config.ts';
import { ensureNsfwjsModel } from './model/build.ts';
import { startModelServer } from './server.ts';

function log(message: string): void {
  process.stdout.write(`[model-server] ${message}\n`);
}

let config: ServerConfig;
try {
  config = loadServerConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`[model-server] ${error.message}\n`);
  process.exit(2);
}

const server = await startModelServer(config, {
  prepareModel: config.usesBundledModel ? () => ensureNsfwjsModel() : undefined,
});
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
