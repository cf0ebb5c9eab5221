import { type Config, loadConfig } from '#predict/config.ts';
import { createHandler, type PredictHandler } from '#predict/handler.ts';
import { createRuntimeClient, type RuntimeClient } from '#predict/invoke.ts';

/**
 * The real SageMaker Runtime client (signing, serialisation, error parsing
 * and all), sending to `url` (e.g. `SageMakerStub#start()`'s) with a fixed
 * region and dummy credentials. Endpoint, region and credentials come from
 * these arguments, never from `process.env` or the developer's AWS profile,
 * and nothing is written to `process.env`.
 */
export function localRuntimeClient(url: string): RuntimeClient {
  return createRuntimeClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALTESTING', secretAccessKey: 'local-testing-secret' },
  });
}

/**
 * The Lambda's config, loaded from `env` as at cold start;
 * SAGEMAKER_ENDPOINT_NAME defaults to `test-endpoint`.
 * @throws ConfigError when a value is invalid
 */
export function configWith(env: Record<string, string>): Config {
  return loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'test-endpoint', ...env });
}

/** The production handler (`createHandler`) around `configWith(env)` and `client`. */
export function handlerWith(env: Record<string, string>, client: RuntimeClient): PredictHandler {
  const config = configWith(env);
  return createHandler(() => ({ config, client }));
}
