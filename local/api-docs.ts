/**
 * The API's reference beside the API, as `npm start` serves it, with no key:
 * `GET /openapi.json` (the OpenAPI document, shared/openapi.ts, its servers
 * this gateway and its stages the template's) and `GET /docs` (Swagger UI
 * from the swagger-ui-dist package: offline, no CDN).
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { buildOpenApiDocument } from '#shared/openapi.ts';

/** The paths served here: the document, the page and the page's assets. */
export const API_DOCS_PATHS = {
  document: '/openapi.json',
  page: '/docs',
} as const;

/** Swagger UI's files the page loads, by the name it is served under. */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>image-inference-gateway API reference</title>
  <link rel="stylesheet" href="${API_DOCS_PATHS.page}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${API_DOCS_PATHS.page}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${API_DOCS_PATHS.page}/swagger-ui-bundle.js"></script>
  <script src="${API_DOCS_PATHS.page}/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(API_DOCS_PATHS.document)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
});
`;

/** Serves `pathname` when it is one of the docs' paths; false, with nothing written, otherwise. */
export type ApiDocs = (req: IncomingMessage, pathname: string, res: ServerResponse) => boolean;

/** The docs for an API of these stages. */
export function apiDocs(stages: readonly string[]): ApiDocs {
  const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const documents = new Map<string, string>();
  const send = (res: ServerResponse, type: string, body: string) => {
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    res.end(body);
  };
  return (req, pathname, res) => {
    if (pathname === API_DOCS_PATHS.document) {
      // The servers entry is this gateway, as the client reached it, so "Try it out" works.
      const host = req.headers.host ?? 'localhost';
      let document = documents.get(host);
      if (document === undefined) {
        document = JSON.stringify(
          buildOpenApiDocument({
            servers: [{ url: `http://${host}`, description: 'The local gateway (npm start)' }],
            stages,
          }),
          null,
          2,
        );
        documents.set(host, document);
      }
      send(res, 'application/json', document);
      return true;
    }
    if (pathname === API_DOCS_PATHS.page || pathname === `${API_DOCS_PATHS.page}/`) {
      send(res, 'text/html; charset=utf-8', PAGE);
      return true;
    }
    if (pathname === `${API_DOCS_PATHS.page}/init.js`) {
      send(res, 'text/javascript; charset=utf-8', INIT);
      return true;
    }
    const asset = pathname.startsWith(`${API_DOCS_PATHS.page}/`)
      ? pathname.slice(API_DOCS_PATHS.page.length + 1)
      : undefined;
    const type = asset === undefined ? undefined : ASSETS[asset];
    if (asset === undefined || type === undefined) return false;
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'max-age=3600' });
    createReadStream(join(dist, asset)).pipe(res);
    return true;
  };
}
