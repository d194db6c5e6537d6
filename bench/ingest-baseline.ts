// Ingest speed against two baselines measured in the same run on the same records
// (issue #7): a naive loader that sends one INSERT … ON CONFLICT per row (ingest speed-up),
// and plain COPY of the very same rows (the floor: ingest efficiency is COPY's time as a
// fraction of ours, for new rows and for an unchanged re-sync).
import { sql } from 'kysely';
import type { NormalizedRecord } from '../connectors/contract.js';
import type { OrgConfig } from '../server/config.js';
import type { Db } from '../server/db/database.js';
import { ingestRecords, upsertRows } from '../server/ingest/ingest.js';
import { RAW_ROWS, rowOf, type RawTable } from '../server/ingest/raw-rows.js';
import { syncOrg } from '../server/org/sync-org.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';

export interface IngestBaseline {
  records: number;
  /** Medians of the rounds (single_row_upsert: one run, its 20 s dwarf the noise). */
  timings_ms: { ours_new: number; ours_unchanged: number; single_row_upsert: number; copy: number };
  ratios: { ingest_speedup: number; ingest_efficiency_new: number; ingest_efficiency_unchanged: number };
  /** Every round's own figures, in order. */
  rounds: { ours_new: number; ours_unchanged: number; copy: number }[];
}

/**
 * Ours and COPY are timed this many times, alternately, each on a fresh database: one run of
 * each gave the same code an efficiency anywhere from 0.33 to 0.50 on this machine (a second
 * of work, timed once, against a third of a second timed once). The median of three is steadier.
 */
export const ROUNDS = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// The API's largest batch: ours ingests the sample as a connector or client would send it.
const BATCH = 10_000;

/**
 * Times `run` after a CHECKPOINT, untimed: the baselines run one after another on a server that
 * has just written a large organisation's computes, and whichever comes first would share the
 * disk with flushing that work (ours, first, took 2.3 s in an org-L run and 1.2-1.4 s alone).
 */
async function quietly(db: Db, run: () => Promise<unknown>): Promise<number> {
  await sql`checkpoint`.execute(db);
  return timed(run);
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** Ours: the product's ingest layer (validation already done), in API-sized batches. */
export async function loadWithIngest(db: Db, org: OrgConfig, sample: NormalizedRecord[]): Promise<void> {
  for (let i = 0; i < sample.length; i += BATCH) await ingestRecords(db, org, sample.slice(i, i + BATCH));
}

/** The naive loader: the same upsert statement ingest uses, one row per statement, each its own transaction. */
export async function loadRowByRow(db: Db, sample: NormalizedRecord[]): Promise<void> {
  for (const item of sample) {
    await upsertRows(db as unknown as Parameters<typeof upsertRows>[0], item.kind, [item.record], RAW_ROWS[item.kind].keys);
  }
}

/** The floor: the same rows as CSV, prepared up front (COPY's cost is the database's), then COPY per table. */
export function prepareCopy(sample: NormalizedRecord[]): { table: RawTable; columns: string[]; csv: string }[] {
  const byTable = new Map<RawTable, Record<string, unknown>[]>();
  for (const item of sample) {
    const { table } = RAW_ROWS[item.kind];
    const rows = byTable.get(table) ?? [];
    rows.push(rowOf(item.kind, item.record));
    byTable.set(table, rows);
  }
  return [...byTable].map(([table, rows]) => ({ table, columns: Object.keys(rows[0]!), csv: toCsv(rows) }));
}

export async function measureIngestBaselines(databaseUrl: string | undefined, org: OrgConfig, sample: NormalizedRecord[]): Promise<IngestBaseline> {
  const fresh = async (label: string) => {
    const database = await createBenchDatabase(databaseUrl, label);
    await syncOrg(database.db, org);
    return database;
  };
  const measure = async (label: string, run: (database: BenchDatabase) => Promise<number[]>) => {
    const database = await fresh(label);
    try {
      return await run(database);
    } finally {
      await database.close();
    }
  };

  const loads = prepareCopy(sample);
  const rounds: IngestBaseline['rounds'] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [oursNew, oursUnchanged] = await measure('ours', async ({ db }) => [
      await quietly(db, () => loadWithIngest(db, org, sample)),
      await quietly(db, () => loadWithIngest(db, org, sample)), // a re-sync: nothing changed
    ]);
    const [copy] = await measure('copy', async (database) => [
      await quietly(database.db, async () => {
        for (const load of loads) await database.copy(load.table, load.columns, load.csv);
      }),
    ]);
    rounds.push({ ours_new: oursNew!, ours_unchanged: oursUnchanged!, copy: copy! });
  }
  const [singleRow] = await measure('single', async ({ db }) => [await quietly(db, () => loadRowByRow(db, sample))]);
  const oursNew = median(rounds.map((r) => r.ours_new));
  const oursUnchanged = median(rounds.map((r) => r.ours_unchanged));
  const copy = median(rounds.map((r) => r.copy));

  return {
    records: sample.length,
    timings_ms: { ours_new: oursNew, ours_unchanged: oursUnchanged, single_row_upsert: singleRow!, copy },
    ratios: { ingest_speedup: singleRow! / oursNew, ingest_efficiency_new: copy / oursNew, ingest_efficiency_unchanged: copy / oursUnchanged },
    rounds,
  };
}

/** Rows as COPY's csv format: NULL is an unquoted empty field, every value is quoted, arrays are Postgres array literals. */
export function toCsv(rows: Record<string, unknown>[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;
  const field = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (Array.isArray(value)) return quote(`{${value.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`);
    if (value instanceof Date) return quote(value.toISOString());
    if (typeof value === 'boolean') return value ? 't' : 'f';
    return quote(String(value));
  };
  return rows.map((row) => columns.map((c) => field(row[c])).join(',')).join('\n') + '\n';
}
