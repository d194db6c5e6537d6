// The version that read caches key on: the database's current snapshot (xmin:xmax:running
// xids). Every committed write moves it (a commit either leaves the running list or, being
// newer than every completed xid, raises xmax), so an unchanged snapshot means no write has
// committed since, in any table: kpi_values, the raw records, the settings alike. It also
// moves on writes that change nothing a reader shows (a job_runs row, another database of the
// same cluster): those only cost a cache miss.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';

export interface DataVersion {
  /** pg_current_snapshot() as text: equal snapshots, equal data. */
  snapshot: string;
  /** Order of reading: a higher sequence is a later snapshot. */
  sequence: number;
}

/**
 * Reads the version for callers, one query for all the callers that asked while the previous
 * query was out (20 concurrent requests need a few queries, not 20). Each caller's version is
 * read by a query sent after it asked, so it sees every write committed before its request.
 */
export function dataVersionReader(db: Db): () => Promise<DataVersion> {
  let waiting: { promise: Promise<DataVersion>; send: () => void } | null = null;
  let inFlight = false;
  let sequence = 0;

  const next = (): { promise: Promise<DataVersion>; send: () => void } => {
    let send!: () => void;
    const promise = new Promise<DataVersion>((resolve, reject) => {
      send = () => {
        inFlight = true;
        sql<{ snapshot: string }>`select pg_current_snapshot()::text as snapshot`.execute(db).then(
          ({ rows }) => resolve({ snapshot: rows[0]!.snapshot, sequence: ++sequence }),
          reject,
        ).finally(() => {
          inFlight = false;
          const batch = waiting;
          waiting = null;
          batch?.send();
        });
      };
    });
    return { promise, send };
  };

  return () => {
    if (waiting) return waiting.promise;
    const batch = next();
    if (inFlight) waiting = batch;
    else batch.send();
    return batch.promise;
  };
}
