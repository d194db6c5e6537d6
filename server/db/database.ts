// Opens the one store: a Postgres server through `pg` when DATABASE_URL is set,
// otherwise an embedded PGlite database in the data folder (DESIGN.md, Storage).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PgliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** Connections each pooled server database opened here can hold at once; absent: one (PGlite). */
const poolSizes = new WeakMap<Db, number>();

/** How many connections `db` can hold at once: a Postgres pool's size, 1 for PGlite (or a Db not opened here). */
export const connectionsOf = (db: Db): number => poolSizes.get(db) ?? 1;

export interface DatabaseHandle {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Where the data lives, for logs: a redacted URL or a folder. */
  location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  databaseUrl?: string | undefined;
  /** PGlite folder; `memory://` keeps everything in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const max = options.poolSize ?? 10;
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    poolSizes.set(db, max);
    return { db, kind: 'postgres', location: redactUrl(options.databaseUrl), close: () => db.destroy() };
  }
  const dataDir = options.dataDir ?? './data';
  let pglite: PGlite;
  if (dataDir.startsWith('memory://')) {
    pglite = new PGlite();
  } else {
    const folder = join(dataDir, 'pglite');
    mkdirSync(folder, { recursive: true });
    pglite = new PGlite(folder);
  }
  const db = new Kysely<Database>({ dialect: new PgliteDialect(pglite) });
  return { db, kind: 'pglite', location: dataDir, close: () => db.destroy() };
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** True when the database answers; used by /readyz. */
export async function pingDatabase(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
