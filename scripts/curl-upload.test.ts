/**
 * scripts/curl-upload.sh as a newcomer runs it (issue 14): PORT and
 * API_URL say where, API_KEY, LOCAL_API_KEY and .cache/local-api-key (in
 * that order) give the key, and what fails is said in words.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePath } from '../fixtures/index.ts';

const SCRIPT = fileURLToPath(new URL('./curl-upload.sh', import.meta.url));
const IMAGE = imagePath('small.jpg');

/** A stand-in gateway: 200 with the key and path it got, or 403 for the key `refused-…`. */
let gateway: Server;
let port: number;
/** A port nothing listens on. */
let closedPort: number;
/** A copy of the repository's layout: scripts/curl-upload.sh and .cache/local-api-key. */
let root: string;

beforeAll(async () => {
  gateway = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = req.headers['x-api-key'];
      if (typeof key === 'string' && key.startsWith('refused')) {
        res.writeHead(403, { 'Content-Type': 'application/problem+json' });
        res.end(JSON.stringify({ code: 'INVALID_API_KEY', status: 403 }));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ key, path: req.url, type: req.headers['content-type'] }));
    });
  });
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  port = (gateway.address() as AddressInfo).port;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));

  root = mkdtempSync(join(tmpdir(), 'curl-upload-'));
  mkdirSync(join(root, 'scripts'));
  mkdirSync(join(root, '.cache'));
  copyOf(root);
  writeFileSync(join(root, '.cache', 'local-api-key'), 'key-from-the-file-0000000\n');
});
afterAll(() => {
  gateway?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Copies the script to `dir`/scripts/ (which must exist); the copy's path. */
function copyOf(dir: string): string {
  const copy = join(dir, 'scripts', 'curl-upload.sh');
  copyFileSync(SCRIPT, copy);
  return copy;
}

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `script` (the repository's by default) with only `env` (and PATH) set. */
function run(env: Record<string, string>, args = [IMAGE], script = SCRIPT): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [script, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const answer = (result: Result) =>
  JSON.parse(result.stdout.slice(result.stdout.indexOf('\n') + 1)) as Record<string, string>;

describe('scripts/curl-upload.sh', () => {
  it('uploads to the local gateway on PORT, STAGE defaulting to dev', async () => {
    const result = await run({ PORT: String(port), API_KEY: 'key-from-api-key-00000000' });
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith('HTTP 200\n')).toBe(true);
    expect(answer(result)).toMatchObject({
      path: '/dev/predict',
      type: expect.stringMatching(/^multipart\/form-data; boundary=/),
    });
  });

  it('uploads to API_URL (a trailing slash allowed), with the stage given', async () => {
    const result = await run(
      { API_URL: `http://127.0.0.1:${port}/`, API_KEY: 'key-from-api-key-00000000' },
      [IMAGE, 'prod'],
    );
    expect(answer(result)).toMatchObject({ path: '/prod/predict' });
  });

  it.each([
    {
      what: 'API_KEY before LOCAL_API_KEY and the file',
      env: { API_KEY: 'key-from-api-key-00000000', LOCAL_API_KEY: 'key-from-local-api-key-00' },
      key: 'key-from-api-key-00000000',
    },
    {
      what: 'LOCAL_API_KEY before the file',
      env: { LOCAL_API_KEY: 'key-from-local-api-key-00' },
      key: 'key-from-local-api-key-00',
    },
    { what: '.cache/local-api-key last', env: {}, key: 'key-from-the-file-0000000' },
  ] as Array<{ what: string; env: Record<string, string>; key: string }>)(
    'takes the key from $what',
    async ({ env, key }) => {
      const result = await run({ PORT: String(port), ...env }, [IMAGE], copyOf(root));
      expect(answer(result).key).toBe(key);
    },
  );

  it('without any key, says where one comes from (exit 2)', async () => {
    // The repository's own .cache/local-api-key may exist: a copy without one.
    const bare = mkdtempSync(join(tmpdir(), 'curl-upload-bare-'));
    try {
      mkdirSync(join(bare, 'scripts'));
      const script = copyOf(bare);
      expect(await run({ PORT: String(port) }, [IMAGE], script)).toEqual({
        code: 2,
        stdout: '',
        stderr: `${script}: no API key: set API_KEY (a deployed API's key) or LOCAL_API_KEY, or run npm start once (it writes ${join(bare, '.cache', 'local-api-key')})\n`,
      });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('nothing listening on PORT: asks whether npm start is running on that port', async () => {
    const result = await run({ PORT: String(closedPort), API_KEY: 'key-from-api-key-00000000' });
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `${SCRIPT}: could not connect to http://127.0.0.1:${closedPort}: is npm start running on port ${closedPort}? (set PORT if it uses another)\n`,
    });
  });

  it('nothing listening at API_URL: says to check API_URL', async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const result = await run({ API_URL: url, API_KEY: 'key-from-api-key-00000000' });
    expect(result.stderr).toBe(`${SCRIPT}: could not connect to ${url} (API_URL): check API_URL\n`);
    expect(result.code).toBe(1);
  });

  it('a refused key: the 403 problem, then which key was refused (exit 1)', async () => {
    const result = await run({ PORT: String(port), LOCAL_API_KEY: 'refused-key-0000000000000' });
    expect(result.code).toBe(1);
    expect(result.stdout.startsWith('HTTP 403\n')).toBe(true);
    expect(answer(result)).toEqual({ code: 'INVALID_API_KEY', status: 403 });
    expect(result.stderr).toBe(
      `${SCRIPT}: the API key from LOCAL_API_KEY was refused: use the key npm start prints (or the deployed stage's key in API_KEY)\n`,
    );
  });

  it('an image that does not exist: says so (exit 2)', async () => {
    const result = await run({ PORT: String(port) }, ['no-such-image.jpg']);
    expect([result.code, result.stderr]).toEqual([
      2,
      `${SCRIPT}: no such file: no-such-image.jpg\n`,
    ]);
  });
});
