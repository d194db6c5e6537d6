// Ingest writes a kind's records 1,000 per statement and builds the next statement while the
// database writes the current one (server/ingest/ingest.ts, pipelined). A statement that
// fails part-way through a batch fails the whole call, and the transaction leaves nothing.
// A record another transaction inserts or deletes meanwhile is written again, as an update or an insert.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestInTransaction, ingestRecords } from '../../server/ingest/ingest.js';
import { isPglite } from '../db.js';
import { createHarness, normalized, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services: [{ id: api, owner: eng, repositories: [acme/api] }]
`;
const now = new Date('2026-11-20T12:00:00Z');
const sha = (i: number) => i.toString(16).padStart(40, '0');
const commits = (count: number) => Array.from({ length: count }, (_, i) => ({
  kind: 'commit' as const,
  value: { repository: 'acme/api', sha: sha(i), parents: i ? [sha(i - 1)] : [], authored_at: '2026-11-02T08:00:00Z', committed_at: new Date(Date.parse('2026-11-02T08:00:00Z') + i * 1000).toISOString() },
}));

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
});
afterAll(async () => h?.close());

describe('an ingest of several statements', () => {
  it('writes every chunk, in order', async () => {
    const counts = await ingestRecords(h.db, h.config.org, normalized(h, commits(2500)));
    expect(counts).toEqual({ received: 2500, inserted: 2500, updated: 0, unchanged: 0 });
    expect((await tableCounts(h.db)).commits).toBe(2500);
    // Each commit's parent came in an earlier chunk or earlier in its own: none is missing.
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from commit_missing_parents`.execute(h.db);
    expect(rows[0]!.n).toBe(0);
  });

  it('fails whole, writing nothing, when a later chunk\'s statement fails', async () => {
    await sql`delete from commits`.execute(h.db);
    await sql`delete from derivation_queue`.execute(h.db);
    // A stand-in for any failure inside the database: a trigger that rejects one commit of the third chunk.
    await sql`create function reject_commit() returns trigger language plpgsql as $$
      begin if new.sha = ${sql.lit(sha(2100))} then raise exception 'rejected %', new.sha; end if; return new; end $$`.execute(h.db);
    await sql`create trigger reject_commit before insert on commits for each row execute function reject_commit()`.execute(h.db);
    try {
      await expect(ingestRecords(h.db, h.config.org, normalized(h, commits(2500)))).rejects.toThrow(`rejected ${sha(2100)}`);
    } finally {
      await sql`drop trigger reject_commit on commits`.execute(h.db);
      await sql`drop function reject_commit()`.execute(h.db);
    }
    const counts = await tableCounts(h.db);
    expect(counts.commits).toBe(0);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from derivation_queue`.execute(h.db);
    expect(rows[0]!.n).toBe(0);
  });

  // PGlite has one connection: no second transaction can run meanwhile.
  it.skipIf(isPglite)('updates the records a concurrent ingest inserted first, once it has committed', async () => {
    await sql`delete from commits`.execute(h.db);
    const first = normalized(h, commits(3));
    const second = normalized(h, commits(4).map((c) => ({ ...c, value: { ...c.value, message: 'amended' } })));
    let commitFirst!: () => void;
    let firstWritten!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
    const firstHasWritten = new Promise<void>((resolve) => (firstWritten = resolve));
    const firstIngest = h.db.transaction().execute(async (trx) => {
      const counts = await ingestInTransaction(trx, h.config.org, first);
      firstWritten();
      await firstMayCommit;
      return counts;
    });
    // The first transaction holds its three new rows uncommitted; the second's insert of them waits.
    await firstHasWritten;
    const secondIngest = ingestRecords(h.db, h.config.org, second);
    await untilOneWaitsForALock();
    commitFirst();
    expect(await firstIngest).toEqual({ received: 3, inserted: 3, updated: 0, unchanged: 0 });
    expect(await secondIngest).toEqual({ received: 4, inserted: 1, updated: 3, unchanged: 0 });
    const { rows } = await sql<{ message: string }>`select message from commits order by sha`.execute(h.db);
    expect(rows.map((row) => row.message)).toEqual(['amended', 'amended', 'amended', 'amended']);
  });

  it.skipIf(isPglite)('inserts again a record whose row a concurrent transaction deleted before its update', async () => {
    await sql`delete from commits`.execute(h.db);
    await ingestRecords(h.db, h.config.org, normalized(h, commits(2)));
    let commitDelete!: () => void;
    let deleted!: () => void;
    const deleteMayCommit = new Promise<void>((resolve) => (commitDelete = resolve));
    const rowDeleted = new Promise<void>((resolve) => (deleted = resolve));
    const deletion = h.db.transaction().execute(async (trx) => {
      await sql`delete from commits where sha = ${sha(1)}`.execute(trx);
      deleted();
      await deleteMayCommit;
    });
    await rowDeleted;
    const amended = normalized(h, commits(2).map((c) => ({ ...c, value: { ...c.value, message: 'amended' } })));
    const ingest = ingestRecords(h.db, h.config.org, amended);
    await untilOneWaitsForALock();
    commitDelete();
    await deletion;
    expect(await ingest).toEqual({ received: 2, inserted: 1, updated: 1, unchanged: 0 });
    const { rows } = await sql<{ sha: string; message: string }>`select sha, message from commits order by sha`.execute(h.db);
    expect(rows).toEqual([{ sha: sha(0), message: 'amended' }, { sha: sha(1), message: 'amended' }]);
  });
});

/** Waits until a connection of the test database waits for a lock another transaction holds. */
async function untilOneWaitsForALock(): Promise<void> {
  for (;;) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(h.db);
    if (rows[0]!.n) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
