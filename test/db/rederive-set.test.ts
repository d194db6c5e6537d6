// Re-derivation reads a whole set of services at once (one query per kind of record) and then
// derives each service on its own. What it stores must be exactly what deriving each service
// alone stores: facts, changes, dirty cells and production flags, even where services share a
// repository, incidents link across services, and a deployment moves between services.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordKind } from '../../connectors/contract.js';
import type { Db } from '../../server/db/database.js';
import { ingestInTransaction } from '../../server/ingest/ingest.js';
import { derivePending, rederiveServices, type RederiveOptions } from '../../server/derive/rederive.js';
import { createHarness, normalized, type Harness } from '../harness.js';
import { sha } from '../factories.js';

const orgYaml = `
organisation: { time_zone: Europe/Berlin, implicit_failure_linkage: true }
rework: { resolution_window_minutes: 120, hotfix_labels: [hotfix] }
teams: [{ id: core }]
services:
  - { id: alpha, owner: core, repositories: [acme/alpha, acme/shared] }
  - { id: beta, owner: core, repositories: [acme/beta, acme/shared] }
  - { id: gamma, owner: core, repositories: [acme/gamma], production_environment: '^(prod|live)$' }
  - { id: delta, owner: core, repositories: [acme/delta] }
`;
const now = new Date('2026-11-20T12:00:00Z');
const at = (day: number, hour: number, minute = 0) => new Date(Date.UTC(2026, 10, day, hour, minute)).toISOString();

type Item = { kind: RecordKind; value: Record<string, unknown> };

/** A linear history of `repository`: two commits a day, the day's head last. */
function commits(repository: string, repoNo: number, days: number[], from = 0): { items: Item[]; head: Map<number, string>; first: Map<number, string> } {
  const items: Item[] = [];
  const head = new Map<number, string>();
  const first = new Map<number, string>();
  let parent: string | null = from ? sha(repoNo, from) : null;
  days.forEach((day, i) => {
    const one = sha(repoNo, from + 2 * i + 1);
    const two = sha(repoNo, from + 2 * i + 2);
    items.push({ kind: 'commit', value: { repository, sha: one, parents: parent ? [parent] : [], authored_at: at(day - 1, 8), committed_at: at(day, 8) } });
    items.push({ kind: 'commit', value: { repository, sha: two, parents: [one], authored_at: at(day, 7), committed_at: at(day, 8) } });
    first.set(day, one);
    head.set(day, two);
    parent = two;
  });
  return { items, head, first };
}

const deployment = (source: string, externalId: string, service: string, finishedAt: string, commitSha: string | null, extra: Record<string, unknown> = {}): Item => ({
  kind: 'deployment',
  value: { source, external_id: externalId, service, environment: 'production', status: 'success', finished_at: finishedAt, commit_sha: commitSha, ...extra },
});
const incident = (externalId: string, service: string, createdAt: string, extra: Record<string, unknown> = {}): Item => ({
  kind: 'incident', value: { source: 'pager', external_id: externalId, service, severity: 'sev2', title: externalId, created_at: createdAt, ...extra },
});

const alpha = commits('acme/alpha', 1, [2, 4, 6, 9]);
const beta = commits('acme/beta', 2, [3, 5, 8]);
const gamma = commits('acme/gamma', 3, [2, 4, 7]);
const shared = commits('acme/shared', 9, [1, 5]);
const alphaLater = commits('acme/alpha', 1, [12], 8);
const gammaLater = commits('acme/gamma', 3, [12], 6);
const live = { environment: 'live' };

const firstBatch: Item[] = [
  ...alpha.items, ...beta.items, ...gamma.items, ...shared.items,
  { kind: 'pull_request', value: { repository: 'acme/shared', number: 1, opened_at: at(4, 9), merged_at: at(5, 9), merge_commit_sha: shared.head.get(5), commit_shas: [shared.first.get(5)] } },
  { kind: 'pull_request', value: { repository: 'acme/alpha', number: 7, opened_at: at(1, 9), merged_at: at(2, 9), merge_commit_sha: alpha.head.get(2), commit_shas: [alpha.first.get(2)] } },
  deployment('ci', 'a-1', 'alpha', at(2, 10), alpha.head.get(2)!),
  deployment('ci', 'a-2', 'alpha', at(4, 10), alpha.head.get(4)!),
  // Both services deploy the shared repository's main line: its commits ship in each.
  deployment('ci', 'a-s1', 'alpha', at(5, 12), shared.head.get(5)!),
  deployment('ci', 'b-s1', 'beta', at(6, 12), shared.head.get(5)!),
  deployment('ci', 'a-3', 'alpha', at(6, 10), alpha.head.get(6)!),
  deployment('ci', 'a-4', 'alpha', at(9, 10), alpha.head.get(9)!),
  deployment('ci', 'b-1', 'beta', at(3, 10), beta.head.get(3)!),
  deployment('ci', 'b-2', 'beta', at(5, 10), beta.head.get(5)!),
  deployment('ci', 'b-3', 'beta', at(8, 10), beta.head.get(8)!),
  deployment('ci', 'b-hf', 'beta', at(9, 15), beta.head.get(8)!, { labels: ['hotfix'] }),
  // The same external id in two services (two tools): an incident naming it links to both.
  deployment('cd', 'dup-1', 'alpha', at(7, 10), alpha.head.get(6)!),
  deployment('argo', 'dup-1', 'beta', at(7, 11), beta.head.get(5)!),
  deployment('ci', 'g-1', 'gamma', at(2, 10), gamma.head.get(2)!, live),
  deployment('ci', 'g-2', 'gamma', at(4, 10), gamma.head.get(4)!, live),
  deployment('ci', 'g-3', 'gamma', at(7, 10), gamma.head.get(7)!, live),
  // Back to g-1's commit: g-3 was rolled back.
  deployment('ci', 'g-4', 'gamma', at(8, 10), gamma.head.get(2)!, live),
  // Not production: another environment, and a failed pipeline.
  deployment('ci', 'g-st', 'gamma', at(5, 10), gamma.head.get(4)!, { environment: 'staging' }),
  deployment('ci', 'g-f', 'gamma', at(6, 10), gamma.head.get(4)!, { environment: 'live', status: 'failure' }),
  // Cross-service links: an incident of beta caused by alpha's a-2; one of gamma fixed by beta's b-2.
  incident('i-1', 'beta', at(4, 11), { deployment_external_id: 'a-2', resolved_at: at(4, 13) }),
  incident('i-2', 'gamma', at(5, 9), { resolved_by_deployment_external_id: 'b-2', resolved_at: at(5, 10, 30) }),
  incident('i-3', 'alpha', at(6, 11, 30)),
  incident('i-4', 'gamma', at(7, 12), { deployment_external_id: 'dup-1', resolved_at: at(7, 14) }),
  incident('i-5', 'alpha', at(2, 12), { cause_commit_sha: alpha.first.get(2)!.slice(0, 10), resolved_at: at(2, 15) }),
  // b-3, which later moves to gamma, recovers in December: a cell only its fact marks.
  incident('i-6', 'beta', at(8, 11), { deployment_external_id: 'b-3', resolved_at: new Date(Date.UTC(2026, 11, 2, 9)).toISOString() }),
];

const secondBatch: Item[] = [
  // Commits first: gamma is re-derived before beta, from which b-3 moves to gamma.
  ...gammaLater.items, ...alphaLater.items,
  deployment('ci', 'a-5', 'alpha', at(12, 10), alphaLater.head.get(12)!),
  deployment('ci', 'a-3', 'alpha', at(6, 10), alpha.head.get(6)!, { environment: 'staging' }),
  deployment('ci', 'b-3', 'gamma', at(8, 10), beta.head.get(8)!, live),
  deployment('ci', 'g-f', 'gamma', at(6, 10), gamma.head.get(4)!, { environment: 'live', status: 'success' }),
  deployment('ci', 'g-5', 'gamma', at(12, 10), gammaLater.head.get(12)!, live),
  incident('i-1', 'beta', at(4, 11), { deployment_external_id: 'g-2', resolved_at: at(4, 13) }),
  incident('i-3', 'alpha', at(6, 11, 30), { resolved_at: at(6, 12, 30) }),
  // Re-sent unchanged.
  ...alpha.items.slice(0, 2), firstBatch.find((item) => item.value.external_id === 'b-1')!,
];

let set: Harness;
let alone: Harness;
beforeAll(async () => {
  [set, alone] = await Promise.all([createHarness({ orgYaml, now }), createHarness({ orgYaml, now })]);
});
afterAll(async () => {
  await set?.close();
  await alone?.close();
});

/** Ingest, then the derivation the next compute would run first. */
const ingest = (h: Harness, items: Item[], options?: RederiveOptions) =>
  h.db.transaction().execute(async (trx) => {
    await ingestInTransaction(trx, h.config.org, normalized(h, items));
    await derivePending(trx, h.config.org, options);
  });

/** Everything derivation writes. Surrogate ids agree: both databases store the same records in the same order. */
async function derived(db: Db) {
  const rows = async (query: string) => (await sql.raw<Record<string, unknown>>(query).execute(db)).rows;
  return {
    deployments: await rows('select id, source, external_id, service_id, is_production from deployments order by id'),
    facts: await rows('select * from deployment_facts order by deployment_id'),
    changes: await rows('select * from deployment_changes order by service_id, repository, sha'),
    dirty: await rows('select service_id, period_type, period_start::text from dirty_periods order by 1, 2, 3'),
  };
}

/** A deployment's fact by its natural key, with incident and deployment ids as natural keys. */
async function fact(db: Db, source: string, externalId: string) {
  const { rows } = await sql<Record<string, unknown>>`
    select f.service_id, f.is_failed, f.failure_reason, f.is_rework, f.rework_reason, f.recovered_at,
      (select array_agg(i.external_id order by i.external_id) from incidents i where i.id = any(f.failure_incident_ids)) as failure_incidents,
      (select r.external_id from deployments r where r.id = f.rolled_back_by_deployment_id) as rolled_back_by,
      (select i.external_id from incidents i where i.id = f.rework_incident_id) as rework_incident
    from deployment_facts f join deployments d on d.id = f.deployment_id where d.source = ${source} and d.external_id = ${externalId}`.execute(db);
  return rows[0];
}

describe('set-based re-derivation', () => {
  it('stores what deriving each service alone stores, batch after batch', async () => {
    await ingest(set, firstBatch);
    await ingest(alone, firstBatch, { servicesPerChunk: 1 });
    const first = await derived(set.db);
    expect(await derived(alone.db)).toEqual(first);

    // The cases the data is built for, so that the comparison is not between two empty tables.
    expect(await fact(set.db, 'ci', 'a-2')).toMatchObject({ failure_reason: 'incident_link', failure_incidents: ['i-1'] });
    expect(await fact(set.db, 'ci', 'a-1')).toMatchObject({ failure_reason: 'incident_link', failure_incidents: ['i-5'] });
    expect(await fact(set.db, 'ci', 'a-3')).toMatchObject({ failure_reason: 'implicit_incident', recovered_at: null });
    expect(await fact(set.db, 'ci', 'b-2')).toMatchObject({ rework_reason: 'incident_fix_link', rework_incident: 'i-2' });
    expect(await fact(set.db, 'ci', 'b-hf')).toMatchObject({ rework_reason: 'hotfix_rule' });
    expect(await fact(set.db, 'ci', 'g-3')).toMatchObject({ failure_reason: 'rollback', rolled_back_by: 'g-4' });
    expect(await fact(set.db, 'cd', 'dup-1')).toMatchObject({ service_id: 'alpha', failure_incidents: ['i-4'] });
    expect(await fact(set.db, 'argo', 'dup-1')).toMatchObject({ service_id: 'beta', failure_incidents: ['i-4'] });
    expect(await fact(set.db, 'ci', 'g-st')).toBeUndefined();
    expect(await fact(set.db, 'ci', 'g-f')).toBeUndefined();
    const sharedHead = shared.head.get(5)!;
    expect(first.changes.filter((c) => c.sha === sharedHead).map((c) => c.service_id)).toEqual(['alpha', 'beta']);
    expect(first.dirty.some((d) => d.service_id === 'delta')).toBe(false);

    // As if the engine had run: the second batch's own marks are compared.
    for (const h of [set, alone]) await sql`delete from dirty_periods`.execute(h.db);
    await ingest(set, secondBatch);
    await ingest(alone, secondBatch, { servicesPerChunk: 1 });
    const second = await derived(set.db);
    expect(await derived(alone.db)).toEqual(second);

    expect(await fact(set.db, 'ci', 'a-2')).toMatchObject({ is_failed: false });
    expect(await fact(set.db, 'ci', 'g-2')).toMatchObject({ failure_reason: 'incident_link', failure_incidents: ['i-1'] });
    expect(await fact(set.db, 'ci', 'a-3')).toBeUndefined();
    expect(await fact(set.db, 'ci', 'b-3')).toMatchObject({ service_id: 'gamma' });
    expect(await fact(set.db, 'ci', 'g-f')).toMatchObject({ service_id: 'gamma' });
    expect(second.deployments.find((d) => d.external_id === 'g-f')).toMatchObject({ is_production: true });
    expect(second.deployments.find((d) => d.external_id === 'a-3')).toMatchObject({ is_production: false });
    // b-3 left beta: the cells of its finish (the 8th) and of its recovery (December) are dirty.
    expect(second.dirty).toContainEqual({ service_id: 'beta', period_type: 'week', period_start: '2026-11-02' });
    expect(second.dirty).toContainEqual({ service_id: 'beta', period_type: 'month', period_start: '2026-12-01' });
  });

  it('re-derives every service of a sync alike, services without records included', async () => {
    for (const h of [set, alone]) await sql`delete from dirty_periods`.execute(h.db);
    // A changed derivation setting re-derives everything (server/org/sync-org.ts); here directly, both ways.
    const services = ['delta', 'gamma', 'beta', 'alpha'];
    const org = { ...set.config.org, implicitFailureLinkage: false };
    await set.db.transaction().execute((trx) => rederiveServices(trx, services, org));
    await alone.db.transaction().execute((trx) => rederiveServices(trx, services, org, { servicesPerChunk: 1 }));
    const after = await derived(set.db);
    expect(await derived(alone.db)).toEqual(after);
    expect(after.dirty.length).toBeGreaterThan(0);
  });
});
