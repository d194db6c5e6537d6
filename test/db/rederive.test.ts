// Facts derived batch by batch (each batch queues the services it touches, and the derivation
// that follows re-derives them from where the batch reaches, writing only what changed) equal
// the facts derived from everything at once, whatever the arrival order.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedRecord } from '../../connectors/contract.js';
import { demoConfigFile } from '../../server/config.js';
import { generateDemoData } from '../../server/demo/generate.js';
import { derivePending } from '../../server/derive/rederive.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import { createHarness, type Harness } from '../harness.js';

const now = new Date('2026-11-20T12:00:00Z');
let once: Harness;
let batched: Harness;

/** Ingest, then the derivation the next compute would run first. */
async function ingestAndDerive(h: Harness, records: NormalizedRecord[]) {
  await ingestRecords(h.db, h.config.org, records);
  await h.db.transaction().execute((trx) => derivePending(trx, h.config.org));
}

/** Facts and changes keyed by the deployment's natural key (surrogate ids differ between databases). */
async function derived(h: Harness) {
  const facts = await sql<Record<string, unknown>>`
    select d.source, d.external_id, f.shipped_basis, f.change_count, f.is_failed, f.failure_reason, f.recovered_at, f.is_rework, f.rework_reason,
      p.external_id as previous_external_id
    from deployment_facts f join deployments d on d.id = f.deployment_id left join deployments p on p.id = f.previous_deployment_id
    order by d.source, d.external_id`.execute(h.db);
  const changes = await sql<Record<string, unknown>>`
    select c.service_id, c.repository, c.sha, d.external_id, c.lead_time_seconds, c.pull_request_number
    from deployment_changes c join deployments d on d.id = c.deployment_id order by c.service_id, c.repository, c.sha`.execute(h.db);
  return { facts: facts.rows, changes: changes.rows };
}

beforeAll(async () => {
  const orgYaml = readFileSync(demoConfigFile(), 'utf8');
  [once, batched] = await Promise.all([createHarness({ orgYaml, now }), createHarness({ orgYaml, now })]);
});
afterAll(async () => {
  await once?.close();
  await batched?.close();
});

describe('incremental derivation', () => {
  it('ends with the same facts as one pass, with records arriving in batches and out of order', async () => {
    const data = generateDemoData(once.config.org, { now, weeks: 4 });
    const records: NormalizedRecord[] = [
      ...data.commits.map((record) => ({ kind: 'commit' as const, record })),
      ...data.pullRequests.map((record) => ({ kind: 'pull_request' as const, record })),
      ...data.deployments.map((record) => ({ kind: 'deployment' as const, record })),
      ...data.incidents.map((record) => ({ kind: 'incident' as const, record })),
    ];
    await ingestAndDerive(once, records);

    // Two orders that force rewrites: (1) deployments and incidents before any commit, so
    // facts appear as history fills in; (2) deployments newest first, so each one first
    // ships commits that an older one, arriving later, takes from it (changes move).
    const reordered = [...records.filter((r) => r.kind !== 'commit'), ...records.filter((r) => r.kind === 'commit')];
    const size = Math.ceil(reordered.length / 7);
    for (let i = 0; i < reordered.length; i += size) await ingestAndDerive(batched, reordered.slice(i, i + size));
    await sql`truncate deployments, deployment_facts, deployment_changes, dirty_periods, derivation_queue`.execute(batched.db);
    const newestFirst = records.filter((r) => r.kind === 'deployment').reverse();
    for (let i = 0; i < newestFirst.length; i += 40) await ingestAndDerive(batched, newestFirst.slice(i, i + 40));

    const expected = await derived(once);
    expect(expected.changes.length).toBeGreaterThan(100);
    expect(await derived(batched)).toEqual(expected);
  });
});
