/**
 * Run by synth.ts as its own process: synthesises the stack for the
 * context in argv[2] (JSON: `{ context, strictKeys }`) and writes the
 * template as JSON to stdout. A context the app refuses (its ConfigError,
 * or a construct's error) is written as `{"configError": message}` with
 * exit status 2.
 */
import '../scripts/quiet.ts';
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
  // The app refuses a context value with its kit's ConfigError, or, for
  // what a construct checks (stage names, origins, files), the construct's
  // own error: either way its message is the one line to show.
  if (!(error instanceof Error)) throw error;
  process.stdout.write(JSON.stringify({ configError: error.message }));
  process.exitCode = 2;
}
