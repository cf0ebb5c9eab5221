/**
 * `npm run openapi [-- path]` (issue 17): writes the document the contract
 * test validates against, byte for byte, where it is asked to.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
});
