import { defineConfig } from 'vitest/config';

// Two tiers (STYLE.md, Testing): `unit` needs nothing; `db` talks to a real Postgres
// (DATABASE_URL) or embedded PGlite. `npm test` runs both.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['server/**/*.test.ts', 'connectors/**/*.test.ts'],
          exclude: ['**/*.db.test.ts', 'node_modules/**'],
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
    ],
  },
});
