/**
 * Fault injection for tests and local experiments, off by default. Faults
 * come from the environment (the whole server) or, in local mode only, from
 * custom attributes of one request (`fault-status=503;fault-latency-ms=200`),
 * which the gateway forwards from form fields, so a developer can provoke
 * each failure end to end without restarting anything.
 */
import { parseCustomAttributes } from '#shared/custom-attributes.ts';
import { RUNTIME_ERROR_NAMES, type RuntimeErrorName } from './aws-errors.ts';

/**
 * `drop`: the container closes the connection without answering (what a
 * crashed worker looks like from outside); `exit`: the process exits.
 */
export const CRASH_MODES = ['drop', 'exit'] as const;
export type CrashMode = (typeof CRASH_MODES)[number];

/** Faults that apply to one invocation. */
export interface InvocationFaults {
  /** Delay before the container starts work. @default 0 */
  readonly latencyMs: number;
  /** Status the container answers instead of predicting. @default undefined (none) */
  readonly status: number | undefined;
  readonly crash: CrashMode | undefined;
  /** Error the local Runtime API answers itself, before the container. */
  readonly runtimeError: RuntimeErrorName | undefined;
}

export const NO_FAULTS: InvocationFaults = Object.freeze({
  latencyMs: 0,
  status: undefined,
  crash: undefined,
  runtimeError: undefined,
});

/** Custom-attribute names, one per fault. */
export const FAULT_ATTRIBUTES = {
  latencyMs: 'fault-latency-ms',
  status: 'fault-status',
  crash: 'fault-crash',
  runtimeError: 'fault-runtime-error',
} as const satisfies Record<keyof InvocationFaults, string>;

/** A fault setting is not valid; the message names where it came from. */
export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

function fail(source: string, value: string, expected: string): never {
  throw new FaultSpecError(`${source} must be ${expected}, but received ${JSON.stringify(value)}`);
}

/** Milliseconds, 0 to 10 minutes. */
export function parseDelayMs(value: string, source: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed > 600_000) {
    fail(source, value, 'an integer number of milliseconds from 0 to 600000');
  }
  return parsed;
}

export function parseStatus(value: string, source: string): number {
  const parsed = Number(value);
  if (!/^\d{3}$/.test(value) || parsed < 200 || parsed > 599) {
    fail(source, value, 'an HTTP status from 200 to 599');
  }
  return parsed;
}

export function parseCrash(value: string, source: string): CrashMode {
  if (!(CRASH_MODES as readonly string[]).includes(value)) {
    fail(source, value, `one of ${CRASH_MODES.join(', ')}`);
  }
  return value as CrashMode;
}

export function parseRuntimeError(value: string, source: string): RuntimeErrorName {
  if (!(RUNTIME_ERROR_NAMES as readonly string[]).includes(value)) {
    fail(source, value, `one of ${RUNTIME_ERROR_NAMES.join(', ')}`);
  }
  return value as RuntimeErrorName;
}

/**
 * The faults for one request: `base` (from the environment) overridden by
 * the `fault-*` custom attributes. Other attributes are the model's business
 * and ignored; a header that is not valid percent-encoding carries no faults.
 */
export function faultsFromAttributes(
  header: string | undefined,
  base: InvocationFaults,
): InvocationFaults {
  if (header === undefined || !header.includes('fault-')) return base;
  let pairs: Array<[string, string]>;
  try {
    pairs = parseCustomAttributes(header);
  } catch {
    return base;
  }
  const faults = { ...base };
  for (const [name, value] of pairs) {
    const source = `Custom attribute ${name}`;
    if (name === FAULT_ATTRIBUTES.latencyMs) faults.latencyMs = parseDelayMs(value, source);
    else if (name === FAULT_ATTRIBUTES.status) faults.status = parseStatus(value, source);
    else if (name === FAULT_ATTRIBUTES.crash) faults.crash = parseCrash(value, source);
    else if (name === FAULT_ATTRIBUTES.runtimeError) {
      faults.runtimeError = parseRuntimeError(value, source);
    }
  }
  return faults;
}
