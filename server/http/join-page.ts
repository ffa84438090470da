import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HttpSurface } from './http-surface.js';
import { sendJson } from './http-surface.js';

// Built by scripts/build-client.mjs next to the compiled server: dist/client/.
const CLIENT_DIR = fileURLToPath(new URL('../../client/', import.meta.url));

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json',
  'style.css': 'text/css; charset=utf-8',
};

async function serveFile(res: import('node:http').ServerResponse, file: string, type: string): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(`${CLIENT_DIR}${file}`);
  } catch {
    sendJson(res, 404, {
      error: { code: 'NOT_FOUND', message: `the join page is not built (${file}): run npm run build` },
    });
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
}

/** The browser join page at `/` and `/join`, and its bundle under `/client/`. */
export function addJoinPage(http: HttpSurface): void {
  const page = ({ res }: { res: import('node:http').ServerResponse }) =>
    serveFile(res, 'index.html', 'text/html; charset=utf-8');
  http.route('GET', '/', page);
  http.route('GET', '/join', page);
  http.route('GET', '/favicon.ico', ({ res }) => {
    res.writeHead(204);
    res.end();
  });
  http.route('GET', '/client/:file', ({ res, params }) => {
    const file = params.file ?? '';
    const type = ASSETS[file];
    if (!type) {
      sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no client file ${file}` } });
      return;
    }
    return serveFile(res, file, type);
  });
}
