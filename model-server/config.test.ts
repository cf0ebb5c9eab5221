import { describe, expect, it } from 'vitest';
import { SAGEMAKER_CONTAINER_TIMEOUT_MS } from '#shared/aws-facts.ts';
import { ConfigError } from '#shared/config-kit.ts';
import { loadServerConfig } from './config.ts';
import { DEFAULT_MODEL_CONFIG } from './paths.ts';

describe('loadServerConfig', () => {
  it('applies every default', () => {
    expect(loadServerConfig({})).toEqual({
      port: 8080,
      host: '127.0.0.1',
      mode: 'local',
      perRequestFaults: false,
      modelConfigPath: DEFAULT_MODEL_CONFIG,
      usesBundledModel: true,
      endpointNames: ['image-moderation'],
      variantName: 'AllTraffic',
      invocationTimeoutMs: SAGEMAKER_CONTAINER_TIMEOUT_MS,
      modelThreads: 0,
      maxBatchSize: 16,
      protocol: 'raw-image',
      faults: {
        latencyMs: 0,
        status: undefined,
        crash: undefined,
        runtimeError: undefined,
        pingDelayMs: 0,
        loadDelayMs: 0,
      },
    });
  });

  it('reads overrides', () => {
    const config = loadServerConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      MODEL_SERVER_MODE: 'container',
      LOCAL_FAULTS: 'on',
      MODEL_CONFIG: '/opt/ml/model/classifier.json',
      LOCAL_ENDPOINT_NAMES: 'a, b-2',
      LOCAL_VARIANT_NAME: 'blue',
      FAULT_LATENCY_MS: '250',
      FAULT_STATUS: '503',
      FAULT_CRASH: 'drop',
      FAULT_RUNTIME_ERROR: 'ServiceUnavailable',
      FAULT_PING_DELAY_MS: '3000',
      FAULT_LOAD_DELAY_MS: '1000',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      mode: 'container',
      perRequestFaults: true,
      modelConfigPath: '/opt/ml/model/classifier.json',
      usesBundledModel: false,
      endpointNames: ['a', 'b-2'],
      variantName: 'blue',
      faults: {
        latencyMs: 250,
        status: 503,
        crash: 'drop',
        runtimeError: 'ServiceUnavailable',
        pingDelayMs: 3000,
        loadDelayMs: 1000,
      },
    });
  });

  it.each(['raw-image', 'triton', 'detection'] as const)(
    'reads MODEL_SERVER_PROTOCOL=%s',
    (protocol) => {
      expect(loadServerConfig({ MODEL_SERVER_PROTOCOL: protocol }).protocol).toBe(protocol);
    },
  );

  it.each([
    {
      env: { MODEL_SERVER_PROTOCOL: 'keras' },
      message:
        'Environment variable MODEL_SERVER_PROTOCOL must be one of raw-image, torchserve, pytorch-dlc, tensorflow-serving, huggingface, sagemaker-image-classification, jumpstart-ic, triton, detection, but received "keras"',
    },
    {
      env: { LOCAL_FAULTS: 'yes' },
      message: 'Environment variable LOCAL_FAULTS must be one of on, off, but received "yes"',
    },
    {
      env: { PORT: 'http' },
      message: 'Environment variable PORT must be an integer from 0 to 65535, but received "http"',
    },
    {
      env: { MODEL_SERVER_MODE: 'cloud' },
      message:
        'Environment variable MODEL_SERVER_MODE must be one of local, container, but received "cloud"',
    },
    {
      env: { LOCAL_ENDPOINT_NAMES: 'ok,not_ok' },
      message:
        'Environment variable LOCAL_ENDPOINT_NAMES must be comma-separated SageMaker endpoint names, but received "ok,not_ok"',
    },
    {
      env: { FAULT_STATUS: '99' },
      message:
        'Environment variable FAULT_STATUS must be an HTTP status from 200 to 599, but received "99"',
    },
    {
      env: { FAULT_CRASH: 'yes' },
      message: 'Environment variable FAULT_CRASH must be one of drop, exit, but received "yes"',
    },
    {
      env: { FAULT_LATENCY_MS: '1.5' },
      message:
        'Environment variable FAULT_LATENCY_MS must be an integer number of milliseconds from 0 to 600000, but received "1.5"',
    },
  ])('refuses $env', ({ env, message }) => {
    expect(() => loadServerConfig(env)).toThrowError(new ConfigError(message));
  });
});
