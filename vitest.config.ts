import { defineConfig } from 'vitest/config';

// Three tiers (STYLE.md, Testing): `unit` needs nothing; `db` talks to a real Postgres
// (DATABASE_URL) or embedded PGlite; `e2e` adds Chromium. `npm test` runs them all.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'connectors/**/*.test.ts', 'web/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', 'node_modules/**'],
          // Connector tests page thousands of recorded items through a local HTTP server; on a
          // busy 2-core machine that outlasts the default 5 s (a hang still fails, later).
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'db',
          include: ['test/**/*.test.ts', '**/*.db.test.ts'],
          exclude: ['node_modules/**', 'test/e2e/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The dashboard in a real Chromium against the real app on a loopback port.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts', 'test/e2e/setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
