/**
 * Starts the model server in-process for a test, on 127.0.0.1 and a free
 * port, and builds real SageMaker Runtime clients pointed at it.
 */
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { loadServerConfig } from '../config.ts';
import { type ModelServer, type ServerHooks, startModelServer } from '../server.ts';

/** Starts a server configured by `env` (the server's own variable names); PORT defaults to 0. */
export async function startTestServer(
  env: Record<string, string> = {},
  hooks: ServerHooks = {},
): Promise<ModelServer> {
  const server = await startModelServer(loadServerConfig({ PORT: '0', ...env }), {
    logError: () => undefined,
    ...hooks,
  });
  return server;
}

/** The real SDK client, with dummy credentials, one attempt (errors surface as they are). */
export function runtimeClient(url: string, region = 'us-east-1'): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'AKIDLOCALTESTING', secretAccessKey: 'local-testing-secret' },
    maxAttempts: 1,
  });
}

/** A promise and its resolve function, to hold a step until the test releases it. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
