// Serves the built dashboard (dist/web, from `npm run build`) from the same origin as the
// API, so the page needs no CORS and one port serves everything. The dashboard is a
// single-page app: its deep links (/teams/x, /explain/k, /reports/2026-10) all answer with
// index.html and the client router takes over.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** The dashboard's client-side routes; anything else unknown stays a JSON 404. */
export const WEB_ROUTES = ['/', '/teams/:id', '/services/:id', '/explain/:key', '/reports', '/reports/:month'] as const;

/** dist/web under the package root, found from this file in server/ (tsx) or dist/server/ (built). */
export function defaultWebDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, 'dist', 'web');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Bellwether</title>
<body style="font:16px system-ui;margin:3rem;max-width:40rem">
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build</code> (or start with <code>npm start</code>, which builds first).
The API is running: <a href="/api/v1/scorecard">/api/v1/scorecard</a>, <a href="/docs">/docs</a>.</p>`;

export async function registerWeb(app: FastifyInstance, webDir: string): Promise<void> {
  const root = resolve(webDir);
  if (!existsSync(join(root, 'index.html'))) {
    for (const url of WEB_ROUTES) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT));
    }
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: true,
    cacheControl: false, // set below, per file
    // Vite names every asset by its content hash, so it can be cached for good.
    setHeaders(res, path) {
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const url of WEB_ROUTES) {
    // index.html (no-cache, above) is revalidated on every load so a new build shows at once.
    app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'));
  }
}
