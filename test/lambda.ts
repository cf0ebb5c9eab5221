import { loadConfig } from '#predict/config.ts';
import { createHandler, type PredictHandler } from '#predict/handler.ts';
import { createRuntimeClient, type RuntimeClient } from '#predict/invoke.ts';
import { lambdaContext } from '../local/emulation/lambda-context.ts';

export { lambdaContext };

/**
 * Points the real AWS SDK at a local stand-in with dummy credentials, the way
 * the local mode does. Call before creating clients.
 */
export function useLocalSageMaker(url: string): void {
  process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = url;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTESTING';
  process.env.AWS_SECRET_ACCESS_KEY = 'local-testing-secret';
  delete process.env.AWS_PROFILE;
}

/** The production handler, built from a config loaded from `env` (plus the endpoint name). */
export function handlerWith(
  env: Record<string, string> = {},
  client: RuntimeClient = createRuntimeClient(),
): PredictHandler {
  const config = loadConfig({ SAGEMAKER_ENDPOINT_NAME: 'test-endpoint', ...env });
  return createHandler(() => ({ config, client }));
}
