import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** API Gateway accepts key values of 20 to 128 characters. */
const KEY = /^[\x21-\x7e]{20,128}$/;

/**
 * The local API key: LOCAL_API_KEY when set, else the one kept in `file`
 * (git-ignored), else a new random one written there on first start, so the
 * key a developer pasted into a script keeps working across restarts.
 */
export function localApiKey(
  fromEnv: string | undefined,
  file: string,
): { key: string; source: string } {
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!KEY.test(fromEnv)) {
      throw new Error(
        `Environment variable LOCAL_API_KEY must be 20 to 128 printable characters (as API Gateway requires), but received ${fromEnv.length} characters`,
      );
    }
    return { key: fromEnv, source: 'LOCAL_API_KEY' };
  }
  if (existsSync(file)) {
    const saved = readFileSync(file, 'utf8').trim();
    if (KEY.test(saved)) return { key: saved, source: file };
  }
  const key = randomBytes(24).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source: `${file} (new)` };
}

/** Compares a presented key with a known one in constant time (for equal lengths). */
export function sameKey(presented: string, known: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(known);
  // Compare against itself when lengths differ so timing does not reveal the length match.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}
