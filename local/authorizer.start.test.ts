/**
 * `npm start -- -c authorizer=jwt` as a newcomer runs it (issue 18): it
 * prints a development token and writes it to `.cache/local-token`, which
 * the printed curl reads; the token is accepted and no token is 401. With
 * `-c jwtIssuer=…` the tokens are that issuer's: none is made, and the curl
 * says so.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../fixtures/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const START = join(ROOT, 'local', 'start.ts');
const TOKEN_FILE = join(ROOT, '.cache', 'local-token');
const KEY = 'npm-start-jwt-test-key-00001';

// The developer's own token file is put back afterwards (it names a key
// that died with its npm start anyway).
let saved: Buffer | undefined;
beforeAll(() => {
  saved = existsSync(TOKEN_FILE) ? readFileSync(TOKEN_FILE) : undefined;
});
afterAll(() => {
  if (saved === undefined) rmSync(TOKEN_FILE, { force: true });
  else writeFileSync(TOKEN_FILE, saved, { mode: 0o600 });
});

/** Runs `npm start` with `args` until it is ready; its stdout so far. */
async function startReady(
  args: readonly string[],
): Promise<{ child: ChildProcess; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', START, ...args], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', MODEL_PORT: '0', LOCAL_API_KEY: KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('Ctrl-C stops both servers.')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
  });
  return { child, stdout };
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

function upload(url: string, authorization?: string): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([loadImage('small.jpg')], { type: 'image/jpeg' }), 'small.jpg');
  const headers: Record<string, string> = { 'x-api-key': KEY };
  if (authorization !== undefined) headers.Authorization = authorization;
  return fetch(`${url}/dev/predict`, { method: 'POST', body: form, headers });
}

describe('npm start -- -c authorizer=jwt', () => {
  it('prints a development token, writes it to .cache/local-token (owner only), and the printed curl uses it', async () => {
    rmSync(TOKEN_FILE, { force: true });
    const { child, stdout } = await startReady(['-c', 'authorizer=jwt']);
    try {
      const token = /^ {2}JWT {8}Authorization: Bearer (\S+)$/m.exec(stdout)?.[1];
      expect(token?.split('.')).toHaveLength(3);
      expect(readFileSync(TOKEN_FILE, 'utf8')).toBe(`${token}\n`);
      expect(statSync(TOKEN_FILE).mode & 0o777).toBe(0o600);
      const url = /^ {2}API {8}(http:\/\/127\.0\.0\.1:\d+)\//m.exec(stdout)?.[1] as string;
      expect(stdout).toContain(
        `(in ${TOKEN_FILE}; issuer ${url}, JWKS ${url}/.well-known/jwks.json, audience image-inference-gateway)`,
      );
      expect(stdout).toContain(
        `curl -s -H 'x-api-key: ${KEY}' -H "Authorization: Bearer $(cat .cache/local-token)" -F image=@fixtures/images/photo-2mp.jpg ${url}/dev/predict`,
      );
      expect((await upload(url, `Bearer ${token}`)).status).toBe(200);
      const refused = await upload(url);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(((await refused.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 90_000);

  it("with -c jwtIssuer: no development token, and the curl asks for one of that issuer's", async () => {
    rmSync(TOKEN_FILE, { force: true });
    const issuer = 'https://issuer.example.com';
    const { child, stdout } = await startReady([
      '-c',
      'authorizer=jwt',
      '-c',
      `jwtIssuer=${issuer}`,
    ]);
    try {
      expect(stdout).not.toMatch(/^ {2}JWT /m);
      expect(existsSync(TOKEN_FILE)).toBe(false);
      expect(stdout).toContain(`-H "Authorization: Bearer <a token from ${issuer}>"`);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 90_000);
});
