import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFiles } from './static-files.ts';

let root: string;
let server: Server;
let port: number;

/** GET with the path sent exactly as given (fetch would normalise `..`). */
function get(
  path: string,
): Promise<{ status: number; type?: string; cache?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'],
          cache: res.headers['cache-control'],
          body,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'static-files-'));
  const site = join(root, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<h1>page</h1>');
  writeFileSync(join(site, 'page.js'), 'export {};');
  writeFileSync(join(site, 'page.test.ts'), 'not served');
  writeFileSync(join(root, 'outside.html'), 'secret');
  // As `npm start` keeps it: .cache/local-api-key beside web/.
  mkdirSync(join(root, '.cache'));
  writeFileSync(join(root, '.cache', 'local-api-key'), 'the-local-api-key-000000');
  writeFileSync(join(root, '.cache', 'state.js'), 'secret');
  symlinkSync('../.cache/local-api-key', join(site, 'key.js'));
  symlinkSync(join(root, '.cache'), join(site, 'cache'));
  symlinkSync('../outside.html', join(site, 'outside.html'));
  symlinkSync('missing-target.js', join(site, 'dangling.js'));
  symlinkSync('page.js', join(site, 'alias.js'));
  const serve = staticFiles(site);
  server = createServer((req, res) => {
    if (serve?.(req.url ?? '/', res) !== true) res.writeHead(404).end('not served');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

describe('staticFiles', () => {
  it('is undefined without a directory, or for one that does not exist', () => {
    expect(staticFiles(undefined)).toBeUndefined();
    expect(staticFiles(join(tmpdir(), 'no-such-directory-for-static-files'))).toBeUndefined();
  });

  it.each([
    { path: '/', type: 'text/html; charset=utf-8', body: '<h1>page</h1>' },
    { path: '/index.html', type: 'text/html; charset=utf-8', body: '<h1>page</h1>' },
    { path: '/page.js', type: 'text/javascript; charset=utf-8', body: 'export {};' },
  ])('serves $path as $type, not cached', async ({ path, type, body }) => {
    expect(await get(path)).toEqual({ status: 200, type, cache: 'no-cache', body });
  });

  it.each([
    { what: 'a type the page does not use', path: '/page.test.ts' },
    { what: 'a missing file', path: '/missing.js' },
    { what: 'a directory', path: '/sub' },
    { what: 'a file outside the directory', path: '/../outside.html' },
    { what: 'a symbolic link to the local API key', path: '/key.js' },
    { what: 'a file under a linked directory outside', path: '/cache/state.js' },
    { what: 'a symbolic link to a page outside', path: '/outside.html' },
    { what: 'a dangling symbolic link', path: '/dangling.js' },
  ])('does not serve $what', async ({ path }) => {
    expect(await get(path)).toMatchObject({ status: 404, body: 'not served' });
  });

  it('serves a symbolic link whose target is inside the directory', async () => {
    expect(await get('/alias.js')).toMatchObject({ status: 200, body: 'export {};' });
  });
});
