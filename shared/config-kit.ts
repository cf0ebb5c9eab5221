/**
 * The one config kit: reads settings from the environment (the Lambda, the
 * model server, `npm start`) or from CDK context (the CDK app), validates
 * each once, and fails with one error type whose message names the setting,
 * what was expected and what was received:
 * `Environment variable MAX_FILES must be an integer from 1 to 64, but received "eight"`.
 */

/** A setting is unusable. Thrown at start-up (cold start, synth, server start), never per request. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Where settings come from. */
export interface SettingSource {
  /** The value set for `name`, or undefined when it is unset (an empty or blank string is unset). */
  get(name: string): unknown;
  /** How messages name the setting: `Environment variable PORT`, `Context value stages`. */
  describe(name: string): string;
}

/** Process environment (or any such record); values are trimmed. */
export function environment(env: Readonly<Record<string, string | undefined>>): SettingSource {
  return {
    get: (name) => {
      const value = env[name]?.trim();
      return value === undefined || value === '' ? undefined : value;
    },
    describe: (name) => `Environment variable ${name}`,
  };
}

/** CDK context: `-c key=value` gives strings, cdk.json gives JSON values. */
export function cdkContext(read: (key: string) => unknown): SettingSource {
  return {
    get: (name) => read(name) ?? undefined,
    describe: (name) => `Context value ${name}`,
  };
}

/** Throws the kit's error: `<what> must be <expected>, but received <value as JSON>`. */
export function mustBe(what: string, expected: string, value: unknown): never {
  throw new ConfigError(`${what} must be ${expected}, but received ${JSON.stringify(value)}`);
}

const DIGITS = /^\d+$/;

/**
 * Typed, validated reads from one source. Every reader takes the default
 * applied when the setting is unset; the default itself is not validated.
 */
export class Settings {
  readonly source: SettingSource;

  constructor(source: SettingSource) {
    this.source = source;
  }

  /** Throws ConfigError for `name`. */
  fail(name: string, value: unknown, expected: string): never {
    return mustBe(this.source.describe(name), expected, value);
  }

  /** The value set, which must be a string; undefined when unset. */
  optionalString(name: string): string | undefined {
    const value = this.source.get(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(name, value, 'a string');
    return value.trim();
  }

  string(name: string, fallback: string): string {
    return this.optionalString(name) ?? fallback;
  }

  /**
   * A whole number in [min, max]: a JSON number, or a string of digits.
   * @param expected overrides the `an integer from min to max` wording
   */
  integer(name: string, fallback: number, min: number, max: number, expected?: string): number {
    const value = this.source.get(name);
    if (value === undefined) return fallback;
    const parsed =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && DIGITS.test(value.trim())
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.fail(name, value, expected ?? `an integer from ${min} to ${max}`);
    }
    return parsed;
  }

  /** One of `allowed`, compared exactly. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.source.get(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly unknown[]).includes(value)) {
      this.fail(name, value, `one of ${allowed.join(', ')}`);
    }
    return value as T;
  }

  /** A comma-separated string or a JSON array of strings; items trimmed, empty ones dropped. */
  list(name: string, fallback: readonly string[]): readonly string[] {
    const value = this.source.get(name);
    if (value === undefined) return fallback;
    const items = Array.isArray(value)
      ? value
      : typeof value === 'string'
        ? value.split(',')
        : null;
    if (items === null || !items.every((item) => typeof item === 'string')) {
      this.fail(name, value, 'a comma-separated string or an array of strings');
    }
    return items.map((item) => item.trim()).filter((item) => item !== '');
  }
}
