/**
 * `npm run openapi [-- path]`: writes the OpenAPI 3.1 document of the API
 * (shared/openapi.ts) to `path`, openapi.json by default. Import it into API
 * Gateway's documentation or serve it beside the deployed API (README).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildOpenApiDocument } from '#shared/openapi.ts';

const out = resolve(process.argv[2] ?? 'openapi.json');
writeFileSync(out, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`Wrote ${out}`);
