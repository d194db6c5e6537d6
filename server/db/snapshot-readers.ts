// Reads of the compute on other connections while its transaction goes on: each reader is a
// read-only transaction that imports the compute transaction's snapshot (pg_export_snapshot),
// so it sees the data exactly as the compute saw it when it began, and none of what the
// compute has written since. Two users: a windowed derivation reads the next chunks of
// services' inputs (rederive.ts), none of which is among the rows the current chunk writes;
// the rollup reads populations of tables the derivation does not write, or of every table
// when it wrote nothing (kpi/engine.ts). Either way, on the other core.
import { sql, type Transaction } from 'kysely';
import { connectionsOf, type Db } from './database.js';
import type { Database } from './schema.js';

type Trx = Transaction<Database>;

/** At most this many readers: the machines we size for have 2 cores, and the compute transaction keeps one busy. */
const MAX_READERS = 2;

export interface SnapshotReaders {
  /** Runs `read` on the first free reader. */
  read<T>(read: (reader: Trx) => Promise<T>): Promise<T>;
}

/**
 * Opens the readers a pooled database can spare (none for PGlite's one connection: `use` gets
 * null and reads on the compute transaction), runs `use`, and ends them.
 */
export async function withSnapshotReaders<T>(db: Db, trx: Trx, use: (readers: SnapshotReaders | null) => Promise<T>): Promise<T> {
  // One connection is the compute transaction's; leave another for the API and the scheduler.
  const count = Math.min(MAX_READERS, connectionsOf(db) - 2);
  if (count < 1) return use(null);
  const { rows } = await sql<{ id: string; work_mem: string }>`select pg_export_snapshot() as id, current_setting('work_mem') as work_mem`.execute(trx);
  const { id: snapshot, work_mem: workMem } = rows[0]!;
  if (!/^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
  const open = (readers: Trx[]): Promise<T> => {
    if (readers.length === count) return use(queue(readers));
    return db.connection().execute((connection) =>
      connection.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (reader) => {
        await sql`set transaction snapshot ${sql.lit(snapshot)}`.execute(reader);
        // As on the compute transaction (rederive.ts withoutJit): many small index lookups the JIT only slows.
        await sql`select set_config('jit', 'off', true)`.execute(reader);
        // The compute's own memory for sorts and aggregates (engine.ts sets it on its transaction).
        await sql`select set_config('work_mem', ${workMem}, true)`.execute(reader);
        return open([...readers, reader]);
      }));
  };
  return open([]);
}

function queue(readers: Trx[]): SnapshotReaders {
  const free = [...readers];
  const waiting: ((reader: Trx) => void)[] = [];
  const release = (reader: Trx) => {
    const next = waiting.shift();
    if (next) next(reader);
    else free.push(reader);
  };
  return {
    async read(read) {
      const reader = free.pop() ?? (await new Promise<Trx>((resolve) => waiting.push(resolve)));
      try {
        return await read(reader);
      } finally {
        release(reader);
      }
    },
  };
}
