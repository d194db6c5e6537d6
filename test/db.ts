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
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
