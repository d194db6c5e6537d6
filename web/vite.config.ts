// Vite config for the dashboard: root is web/, the bundle lands in dist/web for fastify to
// serve, and the dev server proxies /api to a running Bellwether (BELLWETHER_API).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // The scorecard budget (≤ 150 KB gzip for the first screen) is checked by reading the
    // gzip sizes Vite prints; keep the warning low so a regression is visible in the log.
    chunkSizeWarningLimit: 250,
  },
  server: {
    proxy: {
      '/api': process.env.BELLWETHER_API ?? 'http://127.0.0.1:3100',
    },
  },
  preview: {
    proxy: {
      '/api': process.env.BELLWETHER_API ?? 'http://127.0.0.1:3100',
    },
  },
});
