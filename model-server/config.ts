/**
 * The model server's configuration: the only place it reads the environment.
 * Validated once at start-up; messages name the variable, the value and what
 * was expected.
 */
import { isEndpointName } from '#shared/aws-facts.ts';
import {
  ENDPOINT_DEFAULTS,
  ENDPOINT_ENV,
  type EndpointEnvKey,
  SERVER_MODES,
  type ServerMode,
} from './env.ts';
import {
  type InvocationFaults,
  parseCrash,
  parseDelayMs,
  parseRuntimeError,
  parseStatus,
} from './faults.ts';
import { DEFAULT_MODEL_CONFIG } from './paths.ts';

export interface ServerFaults extends InvocationFaults {
  /** Delay before `/ping` answers. @default 0 */
  readonly pingDelayMs: number;
  /** Delay before the model starts loading (keeps `/ping` failing meanwhile). @default 0 */
  readonly loadDelayMs: number;
}

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly mode: ServerMode;
  readonly modelConfigPath: string;
  /** True when MODEL_CONFIG is unset: the bundled model, built on first use. */
  readonly usesBundledModel: boolean;
  readonly endpointNames: readonly string[];
  readonly variantName: string;
  readonly invocationTimeoutMs: number;
  readonly modelThreads: number;
  readonly maxBatchSize: number;
  readonly faults: ServerFaults;
}

/** Thrown at start-up when the environment is unusable. */
export class ServerConfigError extends Error {
  override readonly name = 'ServerConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, key: EndpointEnvKey): string | undefined {
  const value = env[ENDPOINT_ENV[key]]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function fail(key: EndpointEnvKey, value: string, expected: string): never {
  throw new ServerConfigError(
    `Environment variable ${ENDPOINT_ENV[key]} must be ${expected}, but received ${JSON.stringify(value)}`,
  );
}

function integer(env: Env, key: EndpointEnvKey, fallback: number, min: number, max: number) {
  const value = raw(env, key);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    fail(key, value, `an integer from ${min} to ${max}`);
  }
  return parsed;
}

/** Runs a fault parser, reporting its complaint as a config error. */
function fault<T>(env: Env, key: EndpointEnvKey, parse: (value: string, source: string) => T) {
  const value = raw(env, key);
  if (value === undefined) return undefined;
  try {
    return parse(value, `Environment variable ${ENDPOINT_ENV[key]}`);
  } catch (error) {
    throw new ServerConfigError((error as Error).message, { cause: error });
  }
}

export function loadServerConfig(env: Env = process.env): ServerConfig {
  const mode = raw(env, 'mode') ?? ENDPOINT_DEFAULTS.mode;
  if (!(SERVER_MODES as readonly string[]).includes(mode)) {
    fail('mode', mode, `one of ${SERVER_MODES.join(', ')}`);
  }
  const host = raw(env, 'host') ?? ENDPOINT_DEFAULTS.host;
  if (!/^[0-9A-Za-z.:-]+$/.test(host)) fail('host', host, 'an IP address or host name');
  const endpointNamesRaw = raw(env, 'endpointNames');
  const endpointNames =
    endpointNamesRaw === undefined
      ? ENDPOINT_DEFAULTS.endpointNames
      : endpointNamesRaw.split(',').map((name) => name.trim());
  for (const name of endpointNames) {
    if (!isEndpointName(name)) {
      fail('endpointNames', endpointNamesRaw ?? '', 'comma-separated SageMaker endpoint names');
    }
  }
  const variantName = raw(env, 'variantName') ?? ENDPOINT_DEFAULTS.variantName;
  if (!isEndpointName(variantName)) {
    fail('variantName', variantName, 'a production variant name (1-63 of a-z A-Z 0-9 -)');
  }
  const modelConfig = raw(env, 'modelConfig');
  return Object.freeze({
    port: integer(env, 'port', ENDPOINT_DEFAULTS.port, 0, 65_535),
    host,
    mode: mode as ServerMode,
    modelConfigPath: modelConfig ?? DEFAULT_MODEL_CONFIG,
    usesBundledModel: modelConfig === undefined,
    endpointNames,
    variantName,
    invocationTimeoutMs: integer(
      env,
      'invocationTimeoutMs',
      ENDPOINT_DEFAULTS.invocationTimeoutMs,
      1,
      3_600_000,
    ),
    modelThreads: integer(env, 'modelThreads', ENDPOINT_DEFAULTS.modelThreads, 0, 256),
    maxBatchSize: integer(env, 'maxBatchSize', ENDPOINT_DEFAULTS.maxBatchSize, 1, 256),
    faults: Object.freeze({
      latencyMs: fault(env, 'faultLatencyMs', parseDelayMs) ?? 0,
      status: fault(env, 'faultStatus', parseStatus),
      crash: fault(env, 'faultCrash', parseCrash),
      runtimeError: fault(env, 'faultRuntimeError', parseRuntimeError),
      pingDelayMs: fault(env, 'faultPingDelayMs', parseDelayMs) ?? 0,
      loadDelayMs: fault(env, 'faultLoadDelayMs', parseDelayMs) ?? 0,
    }),
  });
}
