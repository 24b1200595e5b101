// The local host's console files: the page, its config (saying where the admin key file is), the assets gzipped
// when asked, and only GET and HEAD.
import { createServer, request, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsole } from '../../console/build.ts';
import { consoleSite } from '../../local-server/console-site.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  const site = consoleSite({ dir: ensureConsole(), adminKeyFile: '/data/admin-key' });
  server = createServer((req, res) => {
    if (!site(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => server.close());

function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the local console site', () => {
  it('says where the admin key file is, never cached', async () => {
    const config = await get('/console/config.json');
    expect(config.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(config.body.toString())).toEqual({ api_url: null, admin_key_file: '/data/admin-key' });
  });

  it('gzips an asset for a browser that takes it, and leaves every other path to the API', async () => {
    const page = (await get('/console/')).body.toString();
    const script = page.match(/src="(assets\/[^"]+\.js)"/)![1]!;
    const plain = await get(`/console/${script}`);
    const zipped = await get(`/console/${script}`, { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect((await get('/v1/health')).status).toBe(418);
    expect((await get('/consoles')).status).toBe(418);
  });

  it('answers 405 with Allow to anything but GET and HEAD', async () => {
    const posted = await get('/console/', {}, 'POST');
    expect(posted.status).toBe(405);
    expect(posted.headers.allow).toBe('GET, HEAD');
    expect((await get('/console/', {}, 'HEAD')).status).toBe(200);
  });
});
