import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY_MAX_CHARS, API_KEY_MIN_CHARS } from '#shared/aws-facts.ts';
import { ConfigError, environment, Settings } from '#shared/config-kit.ts';
import { localApiKey } from './api-keys.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'local-api-key-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const settings = (env: Record<string, string>) => new Settings(environment(env));

describe('localApiKey', () => {
  it('takes LOCAL_API_KEY when set', () => {
    const key = 'k'.repeat(API_KEY_MIN_CHARS);
    expect(localApiKey(settings({ LOCAL_API_KEY: key }), join(dir, 'key'))).toEqual({
      key,
      source: 'LOCAL_API_KEY',
    });
  });

  it.each([
    { what: 'too short', value: 'k'.repeat(API_KEY_MIN_CHARS - 1) },
    { what: 'too long', value: 'k'.repeat(API_KEY_MAX_CHARS + 1) },
    { what: 'with a space inside', value: `${'k'.repeat(10)} ${'k'.repeat(10)}` },
  ])('refuses a key $what with a ConfigError that gives its length, not the key', ({ value }) => {
    const read = () => localApiKey(settings({ LOCAL_API_KEY: value }), join(dir, 'key'));
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(
      `Environment variable LOCAL_API_KEY must be ${API_KEY_MIN_CHARS} to ${API_KEY_MAX_CHARS} printable characters (as API Gateway requires), but received ${value.length} characters`,
    );
  });

  it('without LOCAL_API_KEY, makes a key once, keeps it in the file (owner only), and reuses it', () => {
    const file = join(dir, 'nested', 'key');
    const first = localApiKey(settings({ LOCAL_API_KEY: '' }), file);
    expect(first.source).toBe(`${file} (new)`);
    expect(first.key.length).toBeGreaterThanOrEqual(API_KEY_MIN_CHARS);
    expect(readFileSync(file, 'utf8')).toBe(`${first.key}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(localApiKey(settings({}), file)).toEqual({ key: first.key, source: file });
  });

  it('replaces a saved key API Gateway would not accept', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'short\n');
    const made = localApiKey(settings({}), file);
    expect(made.source).toBe(`${file} (new)`);
    expect(made.key).not.toBe('short');
  });
});
