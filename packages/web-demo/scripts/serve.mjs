// A tiny static server for dist/site/ (the built page) on 127.0.0.1. Every response carries the cross-origin isolation
// headers (COOP same-origin, COEP require-corp), so SharedArrayBuffer and worker threads are available;
// paths under /strict/ serve the same files with a strict Content-Security-Policy besides
// (`script-src 'self' 'wasm-unsafe-eval'`: no eval, no inline script, WebAssembly allowed, and no blob:
// workers, so core's worker-thread pool cannot start), and under /strict-blob/ with the same policy plus
// `worker-src 'self' blob:` (what a page must allow for the pool).
// Usage: node scripts/serve.mjs [port]  (default 8080; 0 picks a free port)
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self'";
export const STRICT_BLOB_CSP = STRICT_CSP.replace("worker-src 'self'", "worker-src 'self' blob:");
/** Path prefixes served with a Content-Security-Policy, and the policy. */
const POLICIES = { '/strict/': STRICT_CSP, '/strict-blob/': STRICT_BLOB_CSP };
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8',
};

/** Starts the server; resolves to { url, close() } once it listens. */
export function startServer({ root = fileURLToPath(new URL('../dist/site', import.meta.url)), port = 0 } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const prefix = Object.keys(POLICIES).find((p) => url.pathname.startsWith(p));
    let path = decodeURIComponent(prefix ? url.pathname.slice(prefix.length - 1) : url.pathname);
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(root, path));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
      ...(prefix ? { 'Content-Security-Policy': POLICIES[prefix] } : {}),
    };
    if (!file.startsWith(root)) {
      res.writeHead(403, headers).end('forbidden');
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({ url: `http://127.0.0.1:${actual}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const { url } = await startServer({ port });
  console.log(`web-demo: ${url}/  (strict CSP: ${url}/strict/, with blob: workers: ${url}/strict-blob/)`);
}
