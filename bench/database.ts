// Fresh, migrated databases for the benchmark: a new database on the Postgres server
// (DATABASE_URL) or a new PGlite in a temporary folder. Each comes with a COPY loader, the
// floor every ingest path is compared with, and the settings a separate service process
// needs to open the very same database (bench/service.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  /** The bench's own handle. `lend` replaces it: read `database.db` again afterwards, never keep an old one. */
  readonly db: Db;
  /** The server database's name (absent for PGlite). */
  name?: string;
  /** DATABASE_URL of this very database, for a service process (absent for PGlite). */
  url?: string;
  /** BELLWETHER_DATA_DIR of this database, for a service process (PGlite only). */
  dataDir?: string;
  kind: 'postgres' | 'pglite';
  /** Server version, e.g. "PostgreSQL 15.19 …". */
  version: string;
  /** COPY … FROM STDIN (csv) into `table` (`columns` in the csv's order). */
  copy(table: string, columns: string[], csv: string): Promise<void>;
  /**
   * Runs `use` while another process owns the database. PGlite allows one process per folder,
   * so the bench's handle is closed for the duration and reopened after; a server database
   * takes any number of clients and stays open.
   */
  lend<T>(use: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type Handle = Omit<BenchDatabase, 'version'>;

/** `keep`: leave the server database (or the PGlite folder) in place at close, to profile queries against it later. */
export async function createBenchDatabase(databaseUrl: string | undefined, label: string, options: { keep?: boolean } = {}): Promise<BenchDatabase> {
  const handle = databaseUrl ? await serverDatabase(databaseUrl, label, options.keep ?? false) : await pgliteDatabase(label, options.keep ?? false);
  await migrateToLatest(handle.db);
  const { rows } = await sql<{ version: string }>`select version()`.execute(handle.db);
  // Not a spread: `db` is a getter that must stay live across `lend`.
  return Object.assign(handle, { version: rows[0]!.version });
}

async function serverDatabase(url: string, label: string, keep: boolean): Promise<Handle> {
  const name = `bellwether_bench_${label.toLowerCase()}_${randomBytes(4).toString('hex')}`.replace(/[^a-z0-9_]/g, '_');
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
    name,
    url: target.toString(),
    kind: 'postgres',
    async copy(table, columns, csv) {
      const client = await pool.connect();
      try {
        await pipeline(Readable.from([csv]), client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin with (format csv)`)));
      } finally {
        client.release();
      }
    },
    lend: (use) => use(),
    async close() {
      await db.destroy();
      if (keep) return;
      const dropper = new pg.Client({ connectionString: url });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

/**
 * PGlite in a temporary folder rather than in memory, so that `bellwether serve` in another
 * process can open the same data. The files go to `<dataDir>/pglite`, where openDatabase
 * (server/db/database.ts) looks for them; the raw PGlite is opened here because COPY needs it.
 */
async function pgliteDatabase(label: string, keep: boolean): Promise<Handle> {
  const dataDir = mkdtempSync(join(tmpdir(), `bellwether-bench-${label.toLowerCase().replace(/[^a-z0-9_]/g, '_')}-`));
  const open = () => {
    const pglite = new PGlite(join(dataDir, 'pglite'));
    return { pglite, db: new Kysely<Database>({ dialect: new PgliteDialect(pglite) }) };
  };
  let current: ReturnType<typeof open> | null = open();
  const opened = () => {
    if (!current) throw new Error(`the bench's PGlite handle on ${dataDir} is lent to another process`);
    return current;
  };
  return {
    get db() {
      return opened().db;
    },
    dataDir,
    kind: 'pglite',
    async copy(table, columns, csv) {
      await opened().pglite.query(`copy ${table} (${columns.join(', ')}) from '/dev/blob' with (format csv)`, [], { blob: new Blob([csv]) });
    },
    async lend(use) {
      await opened().db.destroy();
      current = null;
      try {
        return await use();
      } finally {
        current = open();
        await current.pglite.waitReady;
      }
    },
    async close() {
      if (current) await current.db.destroy();
      current = null;
      if (keep) console.log(`  --keep: the PGlite data stays in ${dataDir}`);
      else rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
