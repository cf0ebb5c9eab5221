import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { API_KEY_MAX_CHARS, API_KEY_MIN_CHARS, isApiKeyValue } from '#shared/aws-facts.ts';
import { ConfigError, type Settings } from '#shared/config-kit.ts';

/** The environment variable that sets the local API key. */
export const LOCAL_API_KEY = 'LOCAL_API_KEY';

/** The local API key and where it came from (the variable, or the file). */
export interface LocalApiKey {
  readonly key: string;
  readonly source: string;
}

/**
 * The local API key: LOCAL_API_KEY when set, else the one kept in `file`
 * (git-ignored), else a new random one written there on first start, so the
 * key a developer pasted into a script keeps working across restarts.
 * @throws ConfigError when LOCAL_API_KEY is not a value API Gateway accepts;
 * the message gives its length, never the key
 */
export function localApiKey(settings: Settings, file: string): LocalApiKey {
  const fromEnv = settings.optionalString(LOCAL_API_KEY);
  if (fromEnv !== undefined) {
    if (!isApiKeyValue(fromEnv)) {
      throw new ConfigError(
        `${settings.source.describe(LOCAL_API_KEY)} must be ${API_KEY_MIN_CHARS} to ${API_KEY_MAX_CHARS} printable characters (as API Gateway requires), but received ${fromEnv.length} characters`,
      );
    }
    return { key: fromEnv, source: LOCAL_API_KEY };
  }
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (isApiKeyValue(saved)) return { key: saved, source: file };
  }
  const key = randomBytes(24).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: `${file} (new)` };
}
