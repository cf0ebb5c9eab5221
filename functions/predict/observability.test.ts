import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { traceClient, tracingActive } from './observability.ts';

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };

function client(): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('tracingActive (the Powertools Tracer rule)', () => {
  it.each([
    [{}, false],
    [LAMBDA, true],
    [{ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' }, false],
    [{ ...LAMBDA, AWS_SAM_LOCAL: 'true' }, false],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, false],
  ])('%j -> %s', (env, active) => {
    expect(tracingActive(env)).toBe(active);
  });
});

describe('traceClient', () => {
  it('leaves the client untouched where tracing is off (no tracer loaded)', () => {
    const plain = client();
    const send = plain.send;
    expect(traceClient(plain, {})).toBe(plain);
    expect(plain.send).toBe(send);
    expect(plain.middlewareStack.identify().join()).not.toMatch(/XRay/);
  });

  it('in Lambda, adds X-Ray capture before the first call goes out', async () => {
    for (const [name, value] of Object.entries({
      ...LAMBDA,
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    })) {
      vi.stubEnv(name, value);
    }
    const traced = traceClient(client(), process.env);
    await expect(
      traced.send(new InvokeEndpointCommand({ EndpointName: 'e', Body: new Uint8Array([1]) })),
    ).rejects.toThrow();
    expect(traced.middlewareStack.identify().join()).toMatch(/XRaySDKInstrumentation/);
  });
});
