/**
 * The browser page (web/) served at `/` beside the API, as a developer
 * opens it from `npm start`. Only the page's asset types are served, and
 * only regular files whose real path (symbolic links resolved) is inside
 * the directory: a link in web/ to the local API key is not served.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/** The page's asset types: nothing else in the static directory (tests, configs) is served. */
const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * Serves `pathname` (`/` is `index.html`) with 200 and `Cache-Control:
 * no-cache`; false, with nothing written, when there is no such file.
 */
export type StaticFiles = (pathname: string, res: ServerResponse) => boolean;

/** The real path of `file` when it is a regular file inside `root` (a real path), else undefined. */
function servable(file: string, root: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(file);
    if (!statSync(real).isFile()) return undefined;
  } catch {
    return undefined; // missing, or a dangling link
  }
  return real.startsWith(`${root}${sep}`) ? real : undefined;
}

/** The files of `dir`; undefined when no directory is given or it does not exist. */
export function staticFiles(dir: string | undefined): StaticFiles | undefined {
  if (dir === undefined || !existsSync(dir)) return undefined;
  const root = resolve(dir);
  const realRoot = realpathSync(root);
  return (pathname, res) => {
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    const type = STATIC_TYPES[extname(file)];
    if (type === undefined || !file.startsWith(`${root}${sep}`)) return false;
    const real = servable(file, realRoot);
    if (real === undefined) return false;
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache' });
    createReadStream(real).pipe(res);
    return true;
  };
}
