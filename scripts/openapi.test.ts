/**
 * `npm run openapi [-- path]` (issue 17): writes the document the contract
 * test validates against, byte for byte, where it is asked to.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '#shared/openapi.ts';

const SCRIPT = fileURLToPath(new URL('./openapi.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (out: string) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, out], { cwd: ROOT });

describe('npm run openapi', () => {
  it('writes the OpenAPI 3.1 document to the path given, and says where', async () => {
    const out = join(dir, 'api.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', SCRIPT, out],
      { cwd: ROOT },
    );
    expect(stdout).toBe(`Wrote ${out}\n`);
    const text = readFileSync(out, 'utf8');
    expect(text).toBe(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
    const document = JSON.parse(text) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/{stage}/predict', '/{stage}/invocations']);
  });

  it('makes the folder of the path given', async () => {
    const out = join(dir, 'new', 'folder', 'api.json');
    const { stdout } = await run(out);
    expect(stdout).toBe(`Wrote ${out}\n`);
    expect(readFileSync(out, 'utf8')).toBe(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  });

  it('says in one line, exit status 1, when it cannot write the path (no stack trace)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const out = join(file, 'api.json'); // a folder that is a file
    const error = (await run(out).catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
      stderr: string;
    };
    expect(error.code).toBe(1);
    expect(error.stdout).toBe('');
    expect(error.stderr).toBe(`npm run openapi: cannot write ${out} (EEXIST)\n`);
  });
});
