// A windowed derivation (server/derive/window.ts) must store exactly what deriving every
// service's whole history stores. Randomised histories, replayed batch by batch with the
// queued derivation after each batch, against the same batches derived whole at the end:
// branches merged late (some older than any window), rollbacks, deployments of unknown or
// late-arriving commits, late parents, commit times out of order, ties, moved deployments,
// pull requests merged late, and incidents linked every way the derivation links them.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordKind } from '../../connectors/contract.js';
import type { Db } from '../../server/db/database.js';
import { derivePending, rederiveServices, type DerivationStats } from '../../server/derive/rederive.js';
import { withSnapshotReaders } from '../../server/db/snapshot-readers.js';
import { ingestInTransaction } from '../../server/ingest/ingest.js';
import { Random } from '../../server/lib/random.js';
import { createHarness, normalized, type Harness } from '../harness.js';

const orgYaml = `
organisation: { time_zone: UTC, implicit_failure_linkage: true }
rework: { resolution_window_minutes: 240, hotfix_labels: [hotfix] }
teams: [{ id: core }]
services:
  - { id: alpha, owner: core, repositories: [acme/alpha, acme/shared] }
  - { id: beta, owner: core, repositories: [acme/beta, acme/shared] }
  - { id: gamma, owner: core, repositories: [acme/gamma] }
`;
const now = new Date('2026-11-20T12:00:00Z');
const HOUR = 3_600_000;
const START = Date.parse('2026-08-01T00:00:00Z');
const REPOSITORIES = ['acme/alpha', 'acme/beta', 'acme/gamma', 'acme/shared'];
const SERVICE_REPOSITORIES: Record<string, string[]> = { alpha: ['acme/alpha', 'acme/shared'], beta: ['acme/beta', 'acme/shared'], gamma: ['acme/gamma'] };

type Item = { kind: RecordKind; value: Record<string, unknown> };
const iso = (ms: number) => new Date(ms).toISOString();

/** A random history as a stream of record versions, in the order a source would send them. */
/**
 * `mixed`: services also deploy the shared repository and commits we do not know, branches
 * start far back, records often arrive late and cause commits come abbreviated, so many windows
 * cannot be derived alone; without it, a typical organisation.
 */
function history(seed: number, options: { inversions: boolean; mixed: boolean }): Item[] {
  const random = new Random(seed);
  const stream: { at: number; item: Item }[] = [];
  const send = (at: number, item: Item) => stream.push({ at, item });
  let shaCounter = 0;
  const newSha = () => `${(seed % 4096).toString(16).padStart(3, '0')}${(++shaCounter).toString(16).padStart(6, '0')}`.padEnd(40, 'e');
  const main = new Map<string, { sha: string; at: number }[]>(REPOSITORIES.map((r) => [r, []]));
  const commit = (repository: string, parents: string[], at: number, delay = 0) => {
    const sha = newSha();
    // Occasionally a commit older than its parent (a wrong clock): such repositories are derived whole.
    const committed = options.inversions && random.chance(0.03) ? at - random.between(1, 48) * HOUR : at;
    send(at + delay, { kind: 'commit', value: { repository, sha, parents, authored_at: iso(committed - random.between(0, 30) * HOUR), committed_at: iso(committed) } });
    return sha;
  };
  let prNumber = 0;
  const deployments: { externalId: string; service: string; at: number; sha: string | null }[] = [];
  const shipped: string[] = [];
  let t = START;
  for (let step = 0; step < 160; step++) {
    t += random.between(1, 20) * HOUR;
    const repository = random.pick(REPOSITORIES);
    const line = main.get(repository)!;
    const head = line.at(-1);
    const roll = random.next();
    // Late: the record arrives hours to days after it happened (a late parent, a slow sync).
    const delay = random.chance(options.mixed ? 0.08 : 0.01) ? random.between(1, 200) * HOUR : 0;
    if (roll < 0.45 || !head) {
      line.push({ sha: commit(repository, head ? [head.sha] : [], t, delay), at: t });
    } else if (roll < 0.6) {
      // A branch off main some commits back (sometimes far back), merged with a merge commit and a pull request.
      const base = line[Math.max(0, line.length - 1 - random.int(0, random.chance(options.mixed ? 0.2 : 0.02) ? 40 : 3))]!;
      const branch: string[] = [];
      let parent = base.sha;
      const branchStart = Math.max(base.at, t - random.between(1, 10) * HOUR);
      const size = random.int(1, 3);
      for (let i = 1; i <= size; i++) branch.push((parent = commit(repository, [parent], branchStart + i * 60_000, delay)));
      const merge = commit(repository, [head.sha, parent], t + 120_000, delay);
      line.push({ sha: merge, at: t + 120_000 });
      const pr = { repository, number: ++prNumber, opened_at: iso(t - 20 * HOUR), commit_shas: branch };
      // Sometimes seen open first and merged in a later sync.
      if (random.chance(0.3)) send(t - 10 * HOUR, { kind: 'pull_request', value: { ...pr } });
      send(t + 130_000 + (random.chance(0.2) ? random.between(1, 100) * HOUR : 0), { kind: 'pull_request', value: { ...pr, merged_at: iso(t + 120_000), merge_commit_sha: merge } });
    } else {
      // A service mostly deploys its own repository; now and then the shared one, whose history
      // a walk from its own head does not reach (such a window needs the whole history).
      const candidates = Object.entries(SERVICE_REPOSITORIES).filter(([, repos]) => repos.includes(repository)).map(([service]) => service);
      const service = random.pick(candidates);
      if (repository === 'acme/shared' && (!options.mixed || random.chance(0.8))) continue;
      const externalId = `d${seed}-${step}`;
      let sha: string | null = head.sha;
      const kind = random.next();
      if (kind < 0.08 && line.length > 3) sha = line[line.length - 1 - random.int(1, 3)]!.sha; // a rollback
      else if (kind < 0.12 && options.mixed) sha = random.chance(0.5) ? null : newSha(); // unknown to us
      else if (kind < 0.18) {
        // The deployed commit reaches us hours after the deployment (a webhook before the sync).
        sha = commit(repository, [head.sha], t - 60_000, random.between(1, 100) * HOUR);
        line.push({ sha, at: t - 60_000 });
      }
      const tie = random.chance(0.05) && deployments.length ? deployments.at(-1)!.at : t;
      const base = { source: 'ci', external_id: externalId, service, environment: random.chance(0.1) ? 'staging' : 'production', commit_sha: sha, labels: random.chance(0.05) ? ['hotfix'] : [] };
      send(tie + delay, { kind: 'deployment', value: { ...base, status: random.chance(0.05) ? 'failure' : 'success', finished_at: iso(tie) } });
      deployments.push({ externalId, service, at: tie, sha });
      if (sha) shipped.push(sha);
      // Corrections: re-sent later with another finish time, or moved to another service.
      if (random.chance(0.05)) send(tie + random.between(1, 300) * HOUR, { kind: 'deployment', value: { ...base, status: 'success', finished_at: iso(tie + random.between(-100, 100) * HOUR) } });
      if (random.chance(0.04)) {
        const other = random.pick(Object.keys(SERVICE_REPOSITORIES).filter((id) => id !== service));
        send(tie + random.between(1, 300) * HOUR, { kind: 'deployment', value: { ...base, service: other, status: 'success', finished_at: iso(tie) } });
      }
    }
    if (random.chance(0.15) && deployments.length) {
      // Incidents follow recent deployments (in a mixed history, any deployment).
      const target = options.mixed ? random.pick(deployments) : random.pick(deployments.slice(-5));
      const created = t + random.between(0, 10) * HOUR;
      const link = random.next();
      const value: Record<string, unknown> = {
        source: 'pager', external_id: `i${seed}-${step}`, service: random.chance(0.8) ? target.service : random.pick(Object.keys(SERVICE_REPOSITORIES)),
        severity: 'sev2', title: 'incident', created_at: iso(created), started_at: random.chance(0.3) ? iso(created - random.between(0, 3) * HOUR) : null,
        resolved_at: random.chance(0.8) ? iso(created + random.between(0.2, 30) * HOUR) : null,
        deployment_external_id: link < 0.25 ? target.externalId : null,
        cause_commit_sha: link >= 0.25 && link < 0.4 && shipped.length ? (options.mixed && random.chance(0.5) ? random.pick(shipped).slice(0, 8) : random.pick(shipped.slice(options.mixed ? 0 : -5))) : null,
        resolved_by_deployment_external_id: link >= 0.4 && link < 0.5 ? random.pick(options.mixed ? deployments : deployments.slice(-5)).externalId : null,
      };
      send(created, { kind: 'incident', value });
      // Resolved (or re-linked) in a later sync.
      if (random.chance(0.2)) send(created + random.between(1, 200) * HOUR, { kind: 'incident', value: { ...value, resolved_at: iso(created + random.between(1, 60) * HOUR) } });
    }
  }
  return stream.sort((a, b) => a.at - b.at).map((s) => s.item);
}

/** Facts and changes with every surrogate id as a natural key. */
async function derived(db: Db) {
  const facts = await sql<Record<string, unknown>>`
    select d.external_id, f.service_id, f.finished_at, p.external_id as previous, f.shipped_basis, f.change_count, f.is_failed, f.failure_reason,
      (select array_agg(i.external_id order by i.external_id) from incidents i where i.id = any(f.failure_incident_ids)) as failure_incidents,
      r.external_id as rolled_back_by, f.recovered_at, f.is_rework, f.rework_reason, ri.external_id as rework_incident
    from deployment_facts f join deployments d on d.id = f.deployment_id
    left join deployments p on p.id = f.previous_deployment_id left join deployments r on r.id = f.rolled_back_by_deployment_id
    left join incidents ri on ri.id = f.rework_incident_id
    order by d.external_id`.execute(db);
  const changes = await sql<Record<string, unknown>>`
    select c.service_id, c.repository, c.sha, d.external_id, c.authored_at, c.deployed_at, c.lead_time_seconds, c.pull_request_number
    from deployment_changes c join deployments d on d.id = c.deployment_id order by 1, 2, 3`.execute(db);
  return { facts: facts.rows, changes: changes.rows };
}

/** gamma's commits, named by number (hex, padded with `fill`), at hours after START. */
function gammaHistory(fill: string) {
  const sha = (n: number) => `${n.toString(16).padStart(4, '0')}`.padEnd(40, fill);
  const at = (hour: number) => iso(START + hour * HOUR);
  const commit = (n: number, parents: number[], hour: number): Item => ({
    kind: 'commit', value: { repository: 'acme/gamma', sha: sha(n), parents: parents.map(sha), authored_at: at(hour), committed_at: at(hour) },
  });
  const deployment = (id: string, hour: number, commitSha: number): Item => ({
    kind: 'deployment', value: { source: 'ci', external_id: id, service: 'gamma', environment: 'production', status: 'success', finished_at: at(hour), commit_sha: sha(commitSha) },
  });
  return { sha, at, commit, deployment };
}

/** Each batch ingested and derived in windows on one side, whole on the other; returns the whole side's facts and changes. */
async function windowedAndWhole(batches: Item[][]) {
  for (const h of [windowed, whole]) await sql.raw(`truncate ${TABLES} restart identity`).execute(h.db);
  for (const batch of batches) {
    await windowed.db.transaction().execute(async (trx) => {
      await ingestInTransaction(trx, windowed.config.org, normalized(windowed, batch));
      await derivePending(trx, windowed.config.org);
    });
    await whole.db.transaction().execute(async (trx) => {
      await ingestInTransaction(trx, whole.config.org, normalized(whole, batch));
      await rederiveServices(trx, Object.keys(SERVICE_REPOSITORIES), whole.config.org);
    });
  }
  return derived(whole.db);
}

let windowed: Harness;
let whole: Harness;
beforeAll(async () => {
  [windowed, whole] = await Promise.all([createHarness({ orgYaml, now }), createHarness({ orgYaml, now })]);
});
afterAll(async () => {
  await windowed?.close();
  await whole?.close();
});

const TABLES = 'deployments, commits, pull_requests, incidents, deployment_facts, deployment_changes, dirty_periods, derivation_queue, commit_missing_parents, commit_time_inversions';

describe('windowed derivation', () => {
  it.each([
    [1, false, false], [2, false, false], [3, false, false], [4, true, false], [5, false, true], [6, false, true], [7, true, true],
  ])('stores what whole derivation stores (seed %i, commit times out of order: %s, mixed: %s)', async (seed, inversions, mixed) => {
    for (const h of [windowed, whole]) await sql.raw(`truncate ${TABLES} restart identity`).execute(h.db);
    const items = history(seed, { inversions, mixed });
    const random = new Random(seed * 7919);
    const total: DerivationStats = { services: 0, windowed: 0, whole: 0 };
    // The same batches in the same order on both sides (surrogate ids break ties). After each
    // batch, one side derives what the batch queued, windows first; the other re-derives every
    // service's whole history, and the two must agree then and there (a later whole derivation
    // would otherwise hide a window that went wrong).
    const services = Object.keys(SERVICE_REPOSITORIES);
    let batches = 0;
    for (let i = 0; i < items.length; batches++) {
      const batch = items.slice(i, (i += random.int(1, 25)));
      // As the service runs it: the batch committed, then a compute derives. On a server database
      // other connections read the next services' windows (one service a chunk here, so the
      // readers read ahead service by service) while the compute derives and writes.
      await windowed.db.transaction().execute((trx) => ingestInTransaction(trx, windowed.config.org, normalized(windowed, batch)));
      const stats = await windowed.db.transaction().execute((trx) =>
        withSnapshotReaders(windowed.db, trx, (readers) => derivePending(trx, windowed.config.org, { readers, servicesPerChunk: seed % 2 ? 1 : undefined })));
      for (const key of ['services', 'windowed', 'whole'] as const) total[key] += stats[key];
      await whole.db.transaction().execute(async (trx) => {
        await ingestInTransaction(trx, whole.config.org, normalized(whole, batch));
        await sql`delete from derivation_queue`.execute(trx);
        await rederiveServices(trx, services, whole.config.org);
      });
      expect(await derived(windowed.db), `after batch ${batches}`).toEqual(await derived(whole.db));
    }

    const expected = await derived(whole.db);
    expect(expected.facts.length).toBeGreaterThan(20);
    expect(expected.changes.length).toBeGreaterThan(50);
    // In a typical organisation the windows do the work; the whole history is derived for the
    // first deployments (no window before them) and the odd far-back branch or late record.
    if (!mixed && !inversions) expect(total.windowed).toBeGreaterThan(total.whole);
    expect(total.windowed).toBeGreaterThan(0);
  });

  it('re-derives a deployment whose pull request stood in for the walk when one of its commits arrives late', async () => {
    const { sha, at, commit, deployment } = gammaHistory('c');
    // gamma's first deployment ships pull request #1 (commits 1 and 2, squashed into 3): no
    // previous deployment, so its list stands in for a walk; commit 1, a parent of no stored
    // commit, is only synced later.
    const batches: Item[][] = [
      [
        commit(2, [], 2), commit(3, [], 3),
        { kind: 'pull_request', value: { repository: 'acme/gamma', number: 1, opened_at: at(0), merged_at: at(3), merge_commit_sha: sha(3), commit_shas: [sha(1), sha(2)] } },
        deployment('g-1', 4, 3),
      ],
      [commit(1, [], 1)],
    ];
    const expected = await windowedAndWhole(batches);
    expect(expected.changes.map((c) => c.sha)).toEqual([sha(1), sha(2), sha(3)]);
    expect(await derived(windowed.db)).toEqual(expected);
  });

  it('links an incident naming a pull request to a later redeploy of its merge commit, as the whole derivation does', async () => {
    const { sha, at, commit, deployment } = gammaHistory('d');
    // Pull request #1 (commit 3) is merged as commit 4 and shipped by g-3; g-4 ships commit 5 on
    // top, and g-5, synced later, rolls back to commit 4. The incident names the pull request:
    // g-5 shipped it again (its merge commit), so it is linked to g-5 too.
    const batches: Item[][] = [
      [
        commit(1, [], 1), commit(2, [1], 2), commit(3, [2], 3), commit(4, [2, 3], 5), commit(5, [4], 7),
        { kind: 'pull_request', value: { repository: 'acme/gamma', number: 1, opened_at: at(3), merged_at: at(5), merge_commit_sha: sha(4), commit_shas: [sha(3)] } },
        deployment('g-1', 1.5, 1), deployment('g-2', 2.5, 2), deployment('g-3', 6, 4), deployment('g-4', 8, 5),
        { kind: 'incident', value: { source: 'pager', external_id: 'i-pr', service: 'gamma', severity: 'sev2', title: 'incident', created_at: at(12), cause_pull_request: 'acme/gamma#1' } },
      ],
      [deployment('g-5', 10, 4)],
    ];
    const expected = await windowedAndWhole(batches);
    expect(expected.facts.filter((f) => f.failure_reason === 'incident_link').map((f) => f.external_id)).toEqual(['g-3', 'g-5']);
    expect(await derived(windowed.db)).toEqual(expected);
  });
});
