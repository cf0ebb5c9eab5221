/**
 * `npm run openapi [-- path]`: writes the OpenAPI 3.1 document of the API
 * (shared/openapi.ts) to `path`, openapi.json by default, making its folder
 * if needed. Import it into API Gateway's documentation or serve it beside
 * the deployed API (README). A path it cannot write is one line on stderr
 * and exit status 1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { buildOpenApiDocument } from '#shared/openapi.ts';

const out = resolve(process.argv[2] ?? 'openapi.json');
try {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  console.log(`Wrote ${out}`);
} catch (error) {
  const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
  console.error(`npm run openapi: cannot write ${out} (${reason})`);
  process.exitCode = 1;
}
