// Runs a connector (DESIGN.md: connectors translate and remember a cursor; ingest writes):
// each stream resumes from its stored cursor, and each batch's records and the cursor that
// covers them commit in one transaction, so a sync stopped anywhere resumes exactly where it
// stopped. Every run is a sync_runs row with its counts, requests made and 304s.
import { sql } from 'kysely';
import type { Connector, JsonValue, Logger, NormalizedRecord, StreamKey, SyncMetrics } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { catalogOf, ingestInTransaction } from '../ingest/ingest.js';
import { validateRecords } from '../ingest/validate.js';
import { withSpan } from '../lib/tracing.js';

export interface SyncProgress {
  stream: StreamKey;
  batches: number;
  records: number;
  inserted: number;
  updated: number;
  /** Records a connector produced that failed validation: logged and left out, never written. */
  rejected: number;
  requests: number;
  notModified: number;
  /** The source's rate-limit budget left, when it reports one. */
  rateLimitRemaining?: number;
}

export interface SyncSummary extends SyncProgress {
  /** Null when skipped. */
  runId: number | null;
  /** skipped: another sync of this connector is running (here or in another replica). */
  status: 'succeeded' | 'failed' | 'skipped';
  streams: number;
  error?: string;
}

export interface SyncOptions {
  now: Date;
  log: Logger;
  since?: Date;
  signal?: AbortSignal;
  /** Called after every stored batch (the CLI prints it). */
  onProgress?: (progress: SyncProgress) => void;
}

/** The stored cursor of a stream, if it has one. */
export async function readCursor(db: Db, stream: StreamKey): Promise<JsonValue | undefined> {
  const row = await db.selectFrom('connector_cursors').select('cursor').where('connector', '=', stream.connector).where('stream', '=', stream.stream).executeTakeFirst();
  return row ? (row.cursor as JsonValue) : undefined;
}

/** A running sync older than this is taken for a crashed process's: it no longer holds the connector. */
const ABANDONED_AFTER = '6 hours';

/**
 * Claims the connector: one sync of it at a time across replicas (a sync spans many
 * transactions, so the claim is a `running` sync_runs row, written under a transaction lock).
 */
async function claimRun(db: Db, connector: string): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`bellwether:sync:${connector}`}))`.execute(trx);
    await sql`update sync_runs set status = 'failed', finished_at = now(), error = 'abandoned: the process running it stopped'
      where connector = ${connector} and status = 'running' and started_at < now() - ${ABANDONED_AFTER}::interval`.execute(trx);
    const running = await trx.selectFrom('sync_runs').select('id').where('connector', '=', connector).where('status', '=', 'running').executeTakeFirst();
    if (running) return null;
    // The database's clock, not the service's (which a demo may fix): runs are operational records, compared with now() above.
    const { id } = await trx.insertInto('sync_runs').values({ connector, started_at: sql<Date>`now()`, status: 'running' }).returning('id').executeTakeFirstOrThrow();
    return id;
  });
}

export async function runSync<S>(db: Db, org: OrgConfig, connector: Connector<JsonValue, S>, config: S, options: SyncOptions): Promise<SyncSummary> {
  const metrics: SyncMetrics = { requests: 0, notModified: 0 };
  // A stream may make more streams known (a GitHub organisation's listing, its repositories):
  // after pulling every stream listed, the runner asks again, until nothing new is listed.
  const pulled = new Set<string>();
  const unpulled = () => connector.streams(config).filter((stream) => !pulled.has(stream.stream));
  const streams = unpulled();
  let current: StreamKey = streams[0] ?? { connector: connector.id, stream: '' };
  const runId = await claimRun(db, connector.id);
  if (runId === null) {
    options.log.info({ connector: connector.id }, 'sync skipped: another sync of this connector is running');
    return { runId, status: 'skipped', streams: streams.length, stream: current, batches: 0, records: 0, inserted: 0, updated: 0, rejected: 0, requests: 0, notModified: 0 };
  }
  const catalog = catalogOf(org);
  const totals = { batches: 0, records: 0, inserted: 0, updated: 0, rejected: 0 };
  const progress = (): SyncProgress => ({
    stream: current, ...totals, requests: metrics.requests, notModified: metrics.notModified,
    ...(metrics.rateLimitRemaining !== undefined ? { rateLimitRemaining: metrics.rateLimitRemaining } : {}),
  });
  const record = (status: 'running' | 'succeeded' | 'failed', error: string | null = null) =>
    db.updateTable('sync_runs').set({
      status, streams: Math.max(pulled.size, streams.length), batches: totals.batches, records: totals.records, inserted: totals.inserted, updated: totals.updated, rejected: totals.rejected,
      requests: metrics.requests, not_modified: metrics.notModified, error, ...(status === 'running' ? {} : { finished_at: new Date() }),
    }).where('id', '=', runId).execute();

  try {
    await withSpan('bellwether.sync', { connector: connector.id, sync_run: runId }, async () => {
      for (let pending = streams; pending.length; pending = unpulled()) for (const stream of pending) {
        current = stream;
        pulled.add(stream.stream);
        const cursor = await readCursor(db, stream);
        const context = { now: options.now, signal: options.signal ?? new AbortController().signal, log: options.log, metrics, ...(options.since ? { since: options.since } : {}) };
        for await (const batch of connector.pull(stream, cursor, context)) {
          const valid = keepValid(batch.records, catalog, connector.id, options.log);
          totals.rejected += batch.records.length - valid.length;
          const counts = await db.transaction().execute(async (trx) => {
            const written = await ingestInTransaction(trx, org, valid);
            await sql`insert into connector_cursors (connector, stream, cursor, updated_at) values (${stream.connector}, ${stream.stream}, ${JSON.stringify(batch.cursor)}::jsonb, now())
              on conflict (connector, stream) do update set cursor = excluded.cursor, updated_at = excluded.updated_at`.execute(trx);
            return written;
          });
          totals.batches += 1;
          totals.records += batch.records.length;
          totals.inserted += counts.inserted;
          totals.updated += counts.updated;
          await record('running');
          options.onProgress?.(progress());
        }
      }
    });
  } catch (error) {
    const message = (error as Error).message;
    await record('failed', message);
    options.log.error({ err: error, connector: connector.id, sync_run: runId }, 'sync failed');
    return { runId, status: 'failed', streams: Math.max(pulled.size, streams.length), ...progress(), error: message };
  }
  await record('succeeded');
  return { runId, status: 'succeeded', streams: pulled.size, ...progress() };
}

/** A connector's records pass the same validation as pushed ones; a bad one is logged and left out. */
function keepValid(records: NormalizedRecord[], catalog: ReturnType<typeof catalogOf>, connector: string, log: Logger): NormalizedRecord[] {
  if (!records.length) return records;
  const { records: valid, problems } = validateRecords(records.map((r) => ({ kind: r.kind, value: r.record })), catalog, (index) => ({ index }));
  if (problems.length) log.warn({ connector, problems: problems.slice(0, 20), rejected: records.length - valid.length }, 'records rejected by validation');
  return valid;
}
