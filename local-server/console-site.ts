// The local host's web console: the built files under /console/, gzipped when the browser takes it, with the
// console's security headers and caching, and a config.json saying where the admin key file is. The API it calls
// is the same origin's.
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CACHE_FOREVER, CACHE_NEVER, consoleSecurityHeaders, contentType } from '../console/headers.ts';

interface File {
  body: Buffer;
  gzipped: Buffer;
  type: string;
  cache: string;
}

function file(body: Buffer, name: string, cache: string): File {
  return { body, gzipped: gzipSync(body), type: contentType(name), cache };
}

/** A request handler for /console and below; false for any other path (the API's). */
export type ConsoleSite = (request: IncomingMessage, response: ServerResponse) => boolean;

export function consoleSite(options: { dir: string; adminKeyFile: string | null }): ConsoleSite {
  const files = new Map<string, File>();
  files.set('/console/', file(readFileSync(join(options.dir, 'index.html')), 'index.html', CACHE_NEVER));
  files.set(
    '/console/config.json',
    file(
      Buffer.from(JSON.stringify({ api_url: null, admin_key_file: options.adminKeyFile })),
      'config.json',
      CACHE_NEVER,
    ),
  );
  for (const name of readdirSync(join(options.dir, 'assets')))
    files.set(`/console/assets/${name}`, file(readFileSync(join(options.dir, 'assets', name)), name, CACHE_FOREVER));
  const security = consoleSecurityHeaders();

  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path !== '/console' && !path.startsWith('/console/')) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return true;
    }
    if (path === '/console') {
      response.writeHead(301, { location: '/console/' }).end();
      return true;
    }
    const found = files.get(path);
    if (!found) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...security }).end('not found\n');
      return true;
    }
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    const body = gzip ? found.gzipped : found.body;
    response.writeHead(200, {
      'content-type': found.type,
      'cache-control': found.cache,
      'content-length': String(body.length),
      vary: 'accept-encoding',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...security,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}
