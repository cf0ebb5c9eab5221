/**
 * Run by synth.ts as its own process: synthesises the stack for the
 * context in argv[2] (JSON: `{ context, strictKeys }`) and writes the
 * template as JSON to stdout. A context the app refuses is written as
 * `{"configError": message}` with exit status 2.
 */
import '../scripts/quiet.ts';
import { ConfigError } from '#shared/config-kit.ts';
import { CONTEXT_KEYS } from '../infra/settings.ts';
import { checkContextKeys } from './context-args.ts';
import { localTemplate } from './template.ts';

const { context, strictKeys } = JSON.parse(process.argv[2] ?? '{}') as {
  context?: Record<string, unknown>;
  strictKeys?: boolean;
};
try {
  if (strictKeys === true) checkContextKeys(context ?? {}, CONTEXT_KEYS);
  process.stdout.write(JSON.stringify(localTemplate(context)));
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stdout.write(JSON.stringify({ configError: error.message }));
  process.exitCode = 2;
}
