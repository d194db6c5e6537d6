// The inputs of a windowed derivation: the tail of a service's history from the production
// deployment before its earliest queued change on (queue.ts), read one query per kind for a
// chunk of services. Everything before the window is kept as stored; what the window needs
// of it is its last deployment (the base of the first walk) and which of the loaded commits
// it already shipped. Commits are read from a time on, not whole: the deployed commits'
// earliest time, less a margin. That is exact where commit times rise along parent edges
// (repositories where they do not are derived whole, see commit_time_inversions) as long as no
// walk needs a commit older than that; a walk that would is caught (CommitGraph.incomplete),
// the window is read again further back (MARGINS_MS), and after the last margin the service is
// derived whole.
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { GraphCommit } from './commit-graph.js';
import type { DeploymentInput, DerivedChange, DerivedFacts, IncidentInput, PullRequestInput } from './derive.js';
import {
  changeOfTuple, changeTupleColumns, deploymentOfRow, epochMs, factOfRow, incidentOfRow, INCIDENT_INPUT_COLUMNS, type ChangeTuple, type DeploymentRow, type IncidentRow,
} from './rows.js';

type Trx = Transaction<Database>;

/**
 * How much older than the window's oldest deployed commit the commits read go: a branch is
 * usually older than its merge. A window whose walk needs older history is read again with
 * the next margin (rederive.ts), and derived whole after the last.
 */
export const MARGINS_MS = [1, 7, 35].map((days) => days * 24 * 3_600_000);

export interface WindowHistory {
  /** The last production deployment before the window's first (derive.ts DerivationWindow). */
  previous: DeploymentInput;
  /** Of the loaded commits, those deployments before the window shipped. */
  shipped: Set<string>;
  /** The window's production deployments, the one before the earliest change first. */
  deployments: DeploymentInput[];
  incidents: IncidentInput[];
  pullRequests: PullRequestInput[];
  commits: GraphCommit[];
  truncated: Set<string>;
  /** The stored facts and changes of the window's deployments (what the derivation replaces). */
  facts: DerivedFacts[];
  changes: DerivedChange[];
}

/** The incidents columns a derivation reads, of `incidents i`. */
const INCIDENT_COLUMNS = sql.join(INCIDENT_INPUT_COLUMNS.map((column) => sql.ref(`i.${column}`)));

/**
 * Windows for services queued from a time on. A service comes back in `whole` when it has
 * fewer than two stored deployments before that time, or when those two are no longer
 * production deployments as stored: its whole history is derived instead.
 */
export async function loadWindows(trx: Trx, marks: { serviceId: string; from: Date }[], marginMs: number): Promise<{ windows: Map<string, WindowHistory>; whole: string[] }> {
  const { rows: anchors } = await sql<DeploymentRow>`
    select m.service_id, d.id, d.external_id, d.finished_at, d.commit_sha, d.ref, d.labels
    from unnest(${marks.map((m) => m.serviceId)}::text[], ${marks.map((m) => m.from.toISOString())}::timestamptz[]) as m(service_id, from_at)
    cross join lateral (select f.deployment_id, f.finished_at from deployment_facts f where f.service_id = m.service_id and f.finished_at < m.from_at
      order by f.finished_at desc, f.deployment_id desc limit 2) f
    join deployments d on d.id = f.deployment_id and d.service_id = m.service_id and d.is_production and d.finished_at = f.finished_at
    order by m.service_id, d.finished_at, d.id`.execute(trx);
  const before = new Map<string, DeploymentRow[]>();
  for (const row of anchors) before.set(row.service_id, [...(before.get(row.service_id) ?? []), row]);
  const whole = marks.map((m) => m.serviceId).filter((id) => before.get(id)?.length !== 2);
  const starts = [...before].filter(([, rows]) => rows.length === 2).map(([serviceId, [previous, first]]) => ({ serviceId, previous: previous!, first: first! }));
  const windows = new Map<string, WindowHistory>();
  if (!starts.length) return { windows, whole };

  for (const { serviceId, previous } of starts) {
    windows.set(serviceId, {
      previous: deploymentOfRow(previous), shipped: new Set(), deployments: [], incidents: [], pullRequests: [], commits: [],
      truncated: new Set(), facts: [], changes: [],
    });
  }
  const of = (serviceId: string) => windows.get(serviceId)!;
  // The window starts at its first deployment: (finished_at, id) at or after it.
  const ids = starts.map((s) => s.serviceId);
  const t1 = starts.map((s) => s.first.finished_at.toISOString());
  const id1 = starts.map((s) => s.first.id);
  const startsAt = sql`unnest(${ids}::text[], ${t1}::timestamptz[], ${id1}::int[]) as w(service_id, t1, id1)`;

  const { rows: deployments } = await sql<DeploymentRow>`
    select d.service_id, d.id, d.external_id, d.finished_at, d.commit_sha, d.ref, d.labels from ${startsAt}
    join deployments d on d.service_id = w.service_id and d.is_production and d.finished_at >= w.t1 and (d.finished_at, d.id) >= (w.t1, w.id1)`.execute(trx);
  const owners = new Map<string, Set<string>>();
  for (const d of deployments) {
    of(d.service_id).deployments.push(deploymentOfRow(d));
    owners.set(d.external_id, new Set([...(owners.get(d.external_id) ?? []), d.service_id]));
  }

  // Each window's rows through the (service_id, time) index, as laterals the planner cannot
  // flatten (offset 0): as joins, it guessed thousands of rows per window and scanned the
  // whole table per chunk (40 ms for facts, 80 ms for changes at a large organisation).
  const { rows: facts } = await sql<Selectable<Database['deployment_facts']>>`
    select f.* from ${startsAt} cross join lateral (select * from deployment_facts f where f.service_id = w.service_id and f.finished_at >= w.t1
      and (f.finished_at, f.deployment_id) >= (w.t1, w.id1) offset 0) f`.execute(trx);
  for (const f of facts) of(f.service_id).facts.push(factOfRow(f));
  const { rows: [changes] } = await sql<{ json: string }>`
    select coalesce(json_agg(json_build_array(w.service_id, ${changeTupleColumns})), '[]')::text as json
    from ${startsAt} cross join lateral (select * from deployment_changes dc where dc.service_id = w.service_id and dc.deployed_at >= w.t1
      and (dc.deployed_at, dc.deployment_id) >= (w.t1, w.id1) offset 0) dc`.execute(trx);
  for (const [serviceId, tuple] of JSON.parse(changes!.json) as [string, ChangeTuple][]) of(serviceId).changes.push(changeOfTuple(tuple));

  // Commits from the earliest deployed commit's time (less the margin) on; a walk needs nothing older unless it is caught.
  const heads = starts.flatMap(({ serviceId }) =>
    [of(serviceId).previous, ...of(serviceId).deployments].flatMap((d) => (d.commitSha ? [{ serviceId, sha: d.commitSha }] : [])));
  const { rows: earliest } = await sql<{ service_id: string; earliest: Date }>`
    select h.service_id, min(c.committed_at) as earliest
    from unnest(${heads.map((h) => h.serviceId)}::text[], ${heads.map((h) => h.sha)}::text[]) as h(service_id, sha)
    join service_repositories sr on sr.service_id = h.service_id
    cross join lateral (select committed_at from commits c where c.repository = sr.repository and c.sha = h.sha) c
    group by h.service_id`.execute(trx);
  const cutoffs = new Map(earliest.map((e) => [e.service_id, new Date(e.earliest.getTime() - marginMs)]));
  for (const s of starts) {
    if (cutoffs.has(s.serviceId)) continue;
    windows.delete(s.serviceId); // no deployed commit is known: nothing to walk from
    whole.push(s.serviceId);
  }
  const reading = [...cutoffs];
  if (!reading.length) return { windows, whole };
  const start = new Map(starts.map((s) => [s.serviceId, s.first]));
  const { rows: [loaded] } = await sql<{ json: string }>`
    select coalesce(json_agg(json_build_array(w.service_id, c.repository, c.sha, c.parents, ${epochMs('c.authored_at')}, shipped_before)), '[]')::text as json
    from unnest(${reading.map(([id]) => id)}::text[], ${reading.map(([, cutoff]) => cutoff.toISOString())}::timestamptz[],
      ${reading.map(([id]) => start.get(id)!.finished_at.toISOString())}::timestamptz[], ${reading.map(([id]) => start.get(id)!.id)}::int[]) as w(service_id, cutoff, t1, id1)
    join service_repositories sr on sr.service_id = w.service_id
    -- A lateral the planner cannot flatten (offset 0), so the index serves the time bound too: as
    -- a join, the bound was a filter over every commit of the repository.
    cross join lateral (select * from commits c where c.repository = sr.repository and c.committed_at >= w.cutoff offset 0) c
    cross join lateral (select exists (select 1 from deployment_changes dc where dc.service_id = w.service_id and dc.repository = c.repository
      and dc.sha = c.sha and (dc.deployed_at, dc.deployment_id) < (w.t1, w.id1)) as shipped_before) x`.execute(trx);
  const loadedShas: { serviceId: string; sha: string }[] = [];
  for (const [serviceId, repository, sha, parents, authoredAt, shippedBefore] of JSON.parse(loaded!.json) as [string, string, string, string[], number, boolean][]) {
    const history = of(serviceId);
    history.commits.push({ repository, sha, parents, authoredAt: new Date(authoredAt) });
    // Only a commit no earlier deployment shipped can be credited to a pull request here.
    if (shippedBefore) history.shipped.add(sha);
    else loadedShas.push({ serviceId, sha });
  }
  // A deployment of a commit shipped before (a rollback's redeploy) ships the pull request merged
  // as that commit all the same (derive.ts pullRequestsHere): it is looked up too.
  for (const [serviceId, history] of windows) {
    for (const d of history.deployments) if (d.commitSha && history.shipped.has(d.commitSha)) loadedShas.push({ serviceId, sha: d.commitSha });
  }
  // The edge of what was read: parents not read that are stored all the same (older than the cutoff).
  const outside: { serviceId: string; sha: string }[] = [];
  for (const [serviceId, history] of windows) {
    const read = new Set(history.commits.map((c) => c.sha));
    for (const parent of new Set(history.commits.flatMap((c) => c.parents))) if (!read.has(parent)) outside.push({ serviceId, sha: parent });
  }
  const { rows: stored } = await sql<{ service_id: string; sha: string }>`
    select distinct o.service_id, o.sha from unnest(${outside.map((o) => o.serviceId)}::text[], ${outside.map((o) => o.sha)}::text[]) as o(service_id, sha)
    join service_repositories sr on sr.service_id = o.service_id
    where exists (select 1 from commits p where p.repository = sr.repository and p.sha = o.sha)`.execute(trx);
  const storedOutside = new Map<string, Set<string>>();
  for (const row of stored) storedOutside.set(row.service_id, new Set([...(storedOutside.get(row.service_id) ?? []), row.sha]));
  for (const [serviceId, history] of windows) {
    const beyond = storedOutside.get(serviceId);
    if (beyond) for (const c of history.commits) if (c.parents.some((parent) => beyond.has(parent))) history.truncated.add(c.sha);
  }

  // The merged pull requests that credit a commit the window may ship, in id order (which one is credited depends on it).
  const { rows: pullRequests } = await sql<{ service_id: string; repository: string; number: number; merge_commit_sha: string | null; commit_shas: string[] }>`
    with loaded as (select service_id, array_agg(sha) as shas from unnest(${loadedShas.map((l) => l.serviceId)}::text[], ${loadedShas.map((l) => l.sha)}::text[])
      as l(service_id, sha) group by service_id)
    select loaded.service_id, p.repository, p.number, p.merge_commit_sha, p.commit_shas
    from loaded
    -- Two index lookups, the merge commit's btree and the commit list's GIN, rather than one OR
    -- over every pull request (the repository is a filter in the second, or the planner takes its btree).
    cross join lateral (
      select p.id, p.repository, p.number, p.merge_commit_sha, p.commit_shas
      from service_repositories sr join pull_requests p on p.repository = sr.repository
      where sr.service_id = loaded.service_id and p.merge_commit_sha = any(loaded.shas) and p.merged_at is not null
      union
      select p.id, p.repository, p.number, p.merge_commit_sha, p.commit_shas from pull_requests p
      where p.commit_shas && loaded.shas and p.merged_at is not null
        and p.repository in (select sr.repository from service_repositories sr where sr.service_id = loaded.service_id)) p
    order by p.id`.execute(trx);
  for (const p of pullRequests) of(p.service_id).pullRequests.push({ repository: p.repository, number: p.number, mergeCommitSha: p.merge_commit_sha, commitShas: p.commit_shas });

  // Incidents: the service's own that can touch the window (started, created or resolved in it,
  // or naming a cause commit), and any naming one of the window's deployments.
  const windowIds = [...windows.keys()];
  const externalIds = [...owners.keys()];
  const { rows: incidents } = await sql<IncidentRow>`
    select i.* from unnest(${windowIds}::text[], ${windowIds.map((id) => start.get(id)!.finished_at.toISOString())}::timestamptz[]) as w(service_id, t1)
    cross join lateral (select ${INCIDENT_COLUMNS} from incidents i where i.service_id = w.service_id
      and (coalesce(i.started_at, i.created_at) >= w.t1 or i.created_at >= w.t1 or i.resolved_at >= w.t1
        or i.cause_commit_sha is not null or i.cause_pull_request is not null) offset 0) i
    union
    select ${INCIDENT_COLUMNS} from incidents i
    where i.deployment_external_id = any(${externalIds}::text[]) or i.resolved_by_deployment_external_id = any(${externalIds}::text[])
    order by id`.execute(trx);
  for (const row of incidents) {
    const services = new Set<string>();
    if (windows.has(row.service_id)) services.add(row.service_id);
    for (const externalId of [row.deployment_external_id, row.resolved_by_deployment_external_id]) {
      if (externalId !== null) for (const owner of owners.get(externalId) ?? []) services.add(owner);
    }
    const input = incidentOfRow(row);
    for (const serviceId of services) windows.get(serviceId)?.incidents.push(input);
  }
  return { windows, whole };
}
