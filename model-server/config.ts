/**
 * The model server's configuration: the only place it reads the environment,
 * through the shared config kit. Validated once at start-up; a bad value
 * throws the kit's ConfigError, whose message names the variable, what was
 * expected and what was received.
 */
import { ENDPOINT_NAME_RULE, isEndpointName } from '#shared/aws-facts.ts';
import { ConfigError, environment, Settings } from '#shared/config-kit.ts';
import { ENDPOINT_PROTOCOLS, type EndpointProtocol } from '#shared/endpoint-protocol/presets.ts';
import {
  MODEL_SERVER_DEFAULTS,
  MODEL_SERVER_ENV,
  type ModelServerEnvKey,
  SERVER_MODES,
  type ServerMode,
  SWITCH_VALUES,
} from './env.ts';
import {
  FaultSpecError,
  type InvocationFaults,
  parseCrash,
  parseDelayMs,
  parseRuntimeError,
  parseStatus,
} from './faults.ts';
import { DEFAULT_MODEL_CONFIG } from './paths.ts';

/** A host name or an IPv4/IPv6 address, as `listen` takes it. */
const HOST = /^[0-9A-Za-z.:-]+$/;

/** The longest INVOCATION_TIMEOUT_MS accepted: an hour, for experiments beyond SageMaker's limit. */
const MAX_INVOCATION_TIMEOUT_MS = 3_600_000;

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
  /** Honour `fault-*` custom attributes of a request (LOCAL_FAULTS=on, local mode only). */
  readonly perRequestFaults: boolean;
  readonly modelConfigPath: string;
  /** True when MODEL_CONFIG is unset: the bundled model, built on first use. */
  readonly usesBundledModel: boolean;
  readonly endpointNames: readonly string[];
  readonly variantName: string;
  readonly invocationTimeoutMs: number;
  readonly modelThreads: number;
  readonly maxBatchSize: number;
  /** The container family's contract presented on /invocations (MODEL_SERVER_PROTOCOL). */
  readonly protocol: EndpointProtocol;
  readonly faults: ServerFaults;
}

/** Reads one fault setting with its parser; a complaint is a config error with the same message. */
function fault<T>(
  settings: Settings,
  key: ModelServerEnvKey,
  parse: (value: string, source: string) => T,
): T | undefined {
  const name = MODEL_SERVER_ENV[key];
  const value = settings.optionalString(name);
  if (value === undefined) return undefined;
  try {
    return parse(value, settings.source.describe(name));
  } catch (error) {
    if (!(error instanceof FaultSpecError)) throw error;
    throw new ConfigError(error.message, { cause: error });
  }
}

/**
 * Reads and validates the model server's settings from `env`.
 * @throws ConfigError naming the variable, what was expected and what was received
 */
export function loadServerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServerConfig {
  const settings = new Settings(environment(env));
  const name = (key: ModelServerEnvKey) => MODEL_SERVER_ENV[key];
  const integer = (key: ModelServerEnvKey, fallback: number, min: number, max: number) =>
    settings.integer(name(key), fallback, min, max);

  const mode = settings.oneOf(name('mode'), SERVER_MODES, MODEL_SERVER_DEFAULTS.mode);
  const host = settings.string(name('host'), MODEL_SERVER_DEFAULTS.host);
  if (!HOST.test(host)) settings.fail(name('host'), host, 'an IP address or host name');
  // Split here rather than with the kit's list(): an empty item is a mistake
  // to report, not one to drop.
  const endpointNamesRaw = settings.optionalString(name('endpointNames'));
  const endpointNames =
    endpointNamesRaw === undefined
      ? MODEL_SERVER_DEFAULTS.endpointNames
      : endpointNamesRaw.split(',').map((endpoint) => endpoint.trim());
  if (!endpointNames.every(isEndpointName)) {
    settings.fail(
      name('endpointNames'),
      endpointNamesRaw,
      'comma-separated SageMaker endpoint names',
    );
  }
  const variantName = settings.string(name('variantName'), MODEL_SERVER_DEFAULTS.variantName);
  if (!isEndpointName(variantName)) {
    settings.fail(
      name('variantName'),
      variantName,
      `a production variant name (${ENDPOINT_NAME_RULE})`,
    );
  }
  const modelConfig = settings.optionalString(name('modelConfig'));
  return Object.freeze({
    port: integer('port', MODEL_SERVER_DEFAULTS.port, 0, 65_535),
    host,
    mode,
    perRequestFaults:
      settings.oneOf(name('localFaults'), SWITCH_VALUES, MODEL_SERVER_DEFAULTS.localFaults) ===
      'on',
    modelConfigPath: modelConfig ?? DEFAULT_MODEL_CONFIG,
    usesBundledModel: modelConfig === undefined,
    endpointNames,
    variantName,
    invocationTimeoutMs: integer(
      'invocationTimeoutMs',
      MODEL_SERVER_DEFAULTS.invocationTimeoutMs,
      1,
      MAX_INVOCATION_TIMEOUT_MS,
    ),
    modelThreads: integer('modelThreads', MODEL_SERVER_DEFAULTS.modelThreads, 0, 256),
    maxBatchSize: integer('maxBatchSize', MODEL_SERVER_DEFAULTS.maxBatchSize, 1, 256),
    protocol: settings.oneOf(name('protocol'), ENDPOINT_PROTOCOLS, MODEL_SERVER_DEFAULTS.protocol),
    faults: Object.freeze({
      latencyMs: fault(settings, 'faultLatencyMs', parseDelayMs) ?? 0,
      status: fault(settings, 'faultStatus', parseStatus),
      crash: fault(settings, 'faultCrash', parseCrash),
      runtimeError: fault(settings, 'faultRuntimeError', parseRuntimeError),
      pingDelayMs: fault(settings, 'faultPingDelayMs', parseDelayMs) ?? 0,
      loadDelayMs: fault(settings, 'faultLoadDelayMs', parseDelayMs) ?? 0,
    }),
  });
}
