// Gives a test file its own migrated database: a clone of the run's template on the
// Postgres server when DATABASE_URL is set, otherwise a fresh in-memory PGlite.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../server/db/database.js';
import { migrateToLatest } from '../server/db/migrate.js';

export const isPglite = !process.env.DATABASE_URL;

export interface TestDatabase extends DatabaseHandle {
  /** Connection URL of this file's database (server only), for a second client. */
  url: string | null;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const templateUrl = inject('templateDatabaseUrl');
  if (!templateUrl) {
    const handle = await openDatabase({ dataDir: 'memory://' });
    await migrateToLatest(handle.db);
    return { ...handle, url: null };
  }
  const template = new URL(templateUrl);
  const templateName = template.pathname.slice(1);
  const name = `bellwether_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: templateUrl.replace(`/${templateName}`, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${templateName}`);
  } finally {
    await admin.end();
  }
  template.pathname = `/${name}`;
  const url = template.toString();
  const handle = await openDatabase({ databaseUrl: url, poolSize: 4 });
  return {
    ...handle,
    url,
    close: async () => {
      await handle.close();
      const dropper = new pg.Client({ connectionString: templateUrl.replace(`/${templateName}`, '/postgres') });
      await dropper.connect();
      try {
        // The pool's clients have sent their goodbye but their sessions may still be closing: a
        // forced drop then kills them, and the FATAL reaches a client the pool no longer listens
        // to (an unhandled error that fails the run). Wait for the sessions to go first.
        for (let waited = 0; waited < 5000; waited += 20) {
          const { rows } = await dropper.query<{ sessions: number }>('select count(*)::int as sessions from pg_stat_activity where datname = $1', [name]);
          if (!rows[0]?.sessions) break;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
