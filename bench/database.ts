// Fresh, migrated databases for the benchmark: a new database on the Postgres server
// (DATABASE_URL) or a new in-memory PGlite. Each comes with a COPY loader, the floor every
// ingest path is compared with.
import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Db } from '../server/db/database.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { PgliteDialect } from '../server/db/pglite-dialect.js';
import type { Database } from '../server/db/schema.js';

export interface BenchDatabase {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Server version, e.g. "PostgreSQL 15.19 …". */
  version: string;
  /** COPY … FROM STDIN (csv) into `table` (`columns` in the csv's order). */
  copy(table: string, columns: string[], csv: string): Promise<void>;
  close(): Promise<void>;
}

export async function createBenchDatabase(databaseUrl: string | undefined, label: string): Promise<BenchDatabase> {
  const handle = databaseUrl ? await serverDatabase(databaseUrl, label) : await pgliteDatabase();
  await migrateToLatest(handle.db);
  const { rows } = await sql<{ version: string }>`select version()`.execute(handle.db);
  return { ...handle, version: rows[0]!.version };
}

async function serverDatabase(url: string, label: string): Promise<Omit<BenchDatabase, 'version'>> {
  const name = `bellwether_bench_${label}_${randomBytes(4).toString('hex')}`.replace(/[^a-z0-9_]/g, '_');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: target.toString(), max: 10 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async copy(table, columns, csv) {
      const client = await pool.connect();
      try {
        await pipeline(Readable.from([csv]), client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv)`)));
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

async function pgliteDatabase(): Promise<Omit<BenchDatabase, 'version'>> {
  const pglite = new PGlite();
  const db = new Kysely<Database>({ dialect: new PgliteDialect(pglite) });
  return {
    db,
    kind: 'pglite',
    async copy(table, columns, csv) {
      await pglite.query(`copy ${table} (${columns.join(', ')}) from '/dev/blob' with (format csv)`, [], { blob: new Blob([csv]) });
    },
    close: () => db.destroy(),
  };
}
