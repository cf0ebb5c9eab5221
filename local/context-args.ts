/**
 * `npm start -- -c key=value …`: CDK context on the command line, spelled
 * as `cdk synth` takes it (`-c`/`--context`, `key=value`, repeatable), so
 * the local gateway synthesises the same stack a deploy with the same flags
 * would. The keys are the app's (infra/settings.ts); a key the app does not
 * read is refused (checkContextKeys, where the stack is synthesised), so a
 * typo fails at start-up instead of being ignored.
 */
import { ConfigError } from '#shared/config-kit.ts';

const CONTEXT_FLAGS = new Set(['-c', '--context']);

/**
 * The context values in `args` (process.argv after the script), as strings,
 * as the CDK CLI passes `-c` values. A later value for a key wins, as in the CLI.
 * @throws ConfigError for an argument that is not `-c key=value`
 * (`--context=key=value` is accepted too)
 */
export function parseContextArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    let pair: string | undefined;
    if (CONTEXT_FLAGS.has(arg)) {
      pair = args[i + 1];
      i += 1;
      if (pair === undefined) throw new ConfigError(`${arg} needs a key=value after it`);
    } else if (arg.startsWith('--context=')) {
      pair = arg.slice('--context='.length);
    } else {
      throw new ConfigError(
        `npm start takes CDK context as -c key=value (after --), but received ${JSON.stringify(arg)}`,
      );
    }
    const equals = pair.indexOf('=');
    if (equals <= 0) {
      throw new ConfigError(
        `Context must be given as key=value, but received ${JSON.stringify(pair)}`,
      );
    }
    const key = pair.slice(0, equals);
    context[key] = pair.slice(equals + 1);
  }
  return context;
}

/**
 * Refuses a context key the app does not read.
 * @throws ConfigError naming the key and the app's keys
 */
export function checkContextKeys(
  context: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): void {
  for (const key of Object.keys(context)) {
    if (!keys.includes(key)) {
      throw new ConfigError(
        `Context key ${JSON.stringify(key)} is not one the app reads; the keys are ${keys.join(', ')}`,
      );
    }
  }
}
