// Which stored facts a write can change, as derivation marks (server/derive/queue.ts): for
// each service, the earliest deployment time a written record reaches, or its whole history
// when that cannot be bounded. A windowed derivation re-derives from that mark on and keeps
// everything before it, so a mark must never be later than the earliest fact the write can
// change. The rules follow derive.ts input by input:
// - a deployment is a fact itself, and the next one's base;
// - an incident links to the deployment before it starts (implicit), to any it names
//   (explicit), to those that shipped its cause commit, and to those it was open across (rework);
// - a new commit can only change a stored fact through a stored walk that stopped short of it
//   (a late parent) or a fact made without a walk (its deployed commit or base unknown, or a
//   pull request's list standing in); a changed commit is a different graph: whole history;
// - a merged pull request credits its commits (pull_request_number of stored changes) and
//   names a merge commit some deployments shipped.
// Lookups driven by a batch's keys are scalar subqueries, one index probe each: as joins, the
// planner hashed whole tables (a million changes: 2 s per 1,000 pull requests).
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DerivationMark } from '../derive/queue.js';

type Trx = Transaction<Database>;

export interface WrittenCommit {
  repository: string;
  sha: string;
  parents: string[];
  committed_at: Date;
  inserted: boolean;
  previous_committed_at: Date | null;
}

export interface WrittenPullRequest {
  repository: string;
  merged_at: Date | null;
  merge_commit_sha: string | null;
  commit_shas: string[];
  previous_merged_at: Date | null;
  previous_merge_commit_sha: string | null;
  previous_commit_shas: string[] | null;
}

export interface WrittenDeployment {
  service_id: string;
  finished_at: Date;
  previous_service_id: string | null;
  previous_finished_at: Date | null;
}

// acknowledged_at and fingerprint feed no derivation: the KPI cells they anchor or reach
// (time to acknowledge, recurrence of later incidents) are marked dirty by ingest.ts.
export const INCIDENT_FIELDS = [
  'service_id', 'created_at', 'started_at', 'acknowledged_at', 'resolved_at', 'deployment_external_id', 'cause_commit_sha',
  'cause_pull_request', 'cause_set_via', 'resolved_by_deployment_external_id', 'fingerprint',
] as const;

interface IncidentVersion {
  service_id: string;
  created_at: Date;
  started_at: Date | null;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
  deployment_external_id: string | null;
  cause_commit_sha: string | null;
  cause_pull_request: string | null;
  cause_set_via: string | null;
  resolved_by_deployment_external_id: string | null;
  /** The recurrence key (generated column, migration 0006). */
  fingerprint: string;
}

export type WrittenIncident = IncidentVersion & { inserted: boolean } & { [K in keyof IncidentVersion as `previous_${K}`]: IncidentVersion[K] | null };

/** The incident as written, and as it was stored before when it was updated. */
export function incidentVersions(row: WrittenIncident): IncidentVersion[] {
  const current: IncidentVersion = {
    service_id: row.service_id, created_at: row.created_at, started_at: row.started_at, acknowledged_at: row.acknowledged_at,
    resolved_at: row.resolved_at, deployment_external_id: row.deployment_external_id, cause_commit_sha: row.cause_commit_sha,
    cause_pull_request: row.cause_pull_request, cause_set_via: row.cause_set_via,
    resolved_by_deployment_external_id: row.resolved_by_deployment_external_id, fingerprint: row.fingerprint,
  };
  if (row.inserted || row.previous_service_id === null || row.previous_created_at === null || row.previous_fingerprint === null) return [current];
  return [
    current,
    {
      service_id: row.previous_service_id, created_at: row.previous_created_at, started_at: row.previous_started_at,
      acknowledged_at: row.previous_acknowledged_at, resolved_at: row.previous_resolved_at,
      deployment_external_id: row.previous_deployment_external_id, cause_commit_sha: row.previous_cause_commit_sha,
      cause_pull_request: row.previous_cause_pull_request, cause_set_via: row.previous_cause_set_via,
      resolved_by_deployment_external_id: row.previous_resolved_by_deployment_external_id, fingerprint: row.previous_fingerprint,
    },
  ];
}

interface MarkRow {
  service_id: string;
  from_at: Date | null;
}
const toMarks = (rows: MarkRow[]): DerivationMark[] => rows.map((row) => ({ serviceId: row.service_id, from: row.from_at }));

/**
 * What the marks of one ingest transaction look up again and again, read once: which services
 * each repository belongs to, and the facts made without a graph walk (few: mostly each
 * service's first deployment), with their deployed commit and its base. Derivation runs in the
 * compute job, never inside an ingest, so neither changes while the ingest runs.
 */
export class MarkContext {
  #catalog?: Promise<{ servicesOf: Map<string, string[]>; repositoriesOf: Map<string, string[]> }>;
  #withoutWalk?: Promise<{ service_id: string; finished_at: Date; head: string | null; base: string | null }[]>;
  #pullRequests?: Promise<{ service_id: string; finished_at: Date; commit_shas: string[] }[]>;
  constructor(private readonly trx: Trx) {}

  /** repository → the services it belongs to, and service → its repositories. */
  catalog() {
    this.#catalog ??= this.trx.selectFrom('service_repositories').select(['service_id', 'repository']).execute().then((rows) => {
      const servicesOf = new Map<string, string[]>();
      const repositoriesOf = new Map<string, string[]>();
      for (const row of rows) {
        servicesOf.set(row.repository, [...(servicesOf.get(row.repository) ?? []), row.service_id]);
        repositoriesOf.set(row.service_id, [...(repositoriesOf.get(row.service_id) ?? []), row.repository]);
      }
      return { servicesOf, repositoriesOf };
    });
    return this.#catalog;
  }

  /** The merged pull requests whose list stood in for a walk: merging the fact's deployed commit, in one of its service's repositories. */
  pullRequestsOfFactsWithoutWalk() {
    this.#pullRequests ??= sql<{ service_id: string; finished_at: Date; commit_shas: string[] }>`
      select f.service_id, f.finished_at, p.commit_shas from deployment_facts f
      join deployments d on d.id = f.deployment_id
      join service_repositories sr on sr.service_id = f.service_id
      join pull_requests p on p.repository = sr.repository and p.merge_commit_sha = d.commit_sha and p.merged_at is not null
      where f.shipped_basis = 'pull_request'`.execute(this.trx).then((r) => r.rows);
    return this.#pullRequests;
  }

  factsWithoutWalk() {
    // Scalar subqueries: each one an index probe (as joins, the planner hashed all deployments).
    this.#withoutWalk ??= sql<{ service_id: string; finished_at: Date; head: string | null; base: string | null }>`
      select f.service_id, f.finished_at, (select commit_sha from deployments d where d.id = f.deployment_id) as head,
        (select commit_sha from deployments p where p.id = f.previous_deployment_id) as base
      from deployment_facts f where f.shipped_basis <> 'graph'`.execute(this.trx).then((r) => r.rows);
    return this.#withoutWalk;
  }
}

export function marksForDeployments(rows: WrittenDeployment[]): DerivationMark[] {
  const marks: DerivationMark[] = [];
  for (const row of rows) {
    marks.push({ serviceId: row.service_id, from: row.finished_at });
    // A deployment that moved (in time or to another service) leaves a hole where it was.
    if (row.previous_service_id !== null && row.previous_finished_at !== null) marks.push({ serviceId: row.previous_service_id, from: row.previous_finished_at });
  }
  return marks;
}

export async function marksForCommits(trx: Trx, context: MarkContext, written: WrittenCommit[]): Promise<DerivationMark[]> {
  if (!written.length) return [];
  const marks: DerivationMark[] = [];
  const { servicesOf } = await context.catalog();
  const wholeHistory = (repository: string) => marks.push(...(servicesOf.get(repository) ?? []).map((serviceId) => ({ serviceId, from: null })));
  // Parent edges: a parent written alongside is checked here; only the others are looked up.
  const alongside = new Map(written.map((c) => [`${c.repository}\u0000${c.sha}`, c.committed_at.getTime()]));
  const inverted = new Set<string>();
  const edges: { repository: string; parent: string; childAt: string }[] = [];
  for (const c of written) {
    for (const parent of c.parents) {
      const parentAt = alongside.get(`${c.repository}\u0000${parent}`);
      if (parentAt === undefined) edges.push({ repository: c.repository, parent, childAt: c.committed_at.toISOString() });
      else if (parentAt > c.committed_at.getTime()) inverted.add(c.repository);
    }
    if (!c.inserted) {
      // A changed commit is a different graph. One whose time changed may now be older than a
      // child we cannot look up: its repository is derived whole from now on (git cannot
      // change a commit's time under one sha).
      wholeHistory(c.repository);
      if (c.previous_committed_at?.getTime() !== c.committed_at.getTime()) inverted.add(c.repository);
    }
  }
  if (edges.length) {
    const { rows: found } = await sql<{ repository: string; parent: string; child_at: Date; parent_at: Date | null }>`
      select e.repository, e.parent, e.child_at, (select committed_at from commits c where c.repository = e.repository and c.sha = e.parent) as parent_at
      from unnest(${edges.map((e) => e.repository)}::text[], ${edges.map((e) => e.parent)}::text[], ${edges.map((e) => e.childAt)}::timestamptz[]) as e(repository, parent, child_at)`.execute(trx);
    const missing = found.filter((e) => e.parent_at === null);
    for (const e of found) if (e.parent_at !== null && e.parent_at > e.child_at) inverted.add(e.repository);
    if (missing.length) {
      await sql`
        insert into commit_missing_parents (repository, sha, earliest_child_at)
        select repository, sha, min(child_at) from unnest(${missing.map((e) => e.repository)}::text[], ${missing.map((e) => e.parent)}::text[],
          ${missing.map((e) => e.child_at.toISOString())}::timestamptz[]) as m(repository, sha, child_at) group by repository, sha
        on conflict (repository, sha) do update set earliest_child_at = least(commit_missing_parents.earliest_child_at, excluded.earliest_child_at)`.execute(trx);
    }
  }
  const arrived = written.filter((c) => c.inserted);
  if (arrived.length) {
    // A late parent can extend walks already made, back to any time.
    const { rows: late } = await sql<{ repository: string; earliest_child_at: Date; sha: string }>`
      delete from commit_missing_parents m where (m.repository, m.sha) in (select * from unnest(${arrived.map((c) => c.repository)}::text[], ${arrived.map((c) => c.sha)}::text[]))
      returning m.repository, m.sha, m.earliest_child_at`.execute(trx);
    const arrivedAt = new Map(arrived.map((c) => [`${c.repository}\u0000${c.sha}`, c.committed_at]));
    for (const row of late) {
      wholeHistory(row.repository);
      if (arrivedAt.get(`${row.repository}\u0000${row.sha}`)! > row.earliest_child_at) inverted.add(row.repository);
    }
    // Facts made without a graph walk (the deployed commit or its base unknown, or a pull
    // request's list standing in for the walk) change when that commit or a listed one arrives.
    const shas = new Set(arrived.map((c) => c.sha));
    for (const f of await context.factsWithoutWalk()) {
      if ((f.head && shas.has(f.head)) || (f.base && shas.has(f.base))) marks.push({ serviceId: f.service_id, from: f.finished_at });
    }
    for (const f of await context.pullRequestsOfFactsWithoutWalk()) {
      if (f.commit_shas.some((sha) => shas.has(sha))) marks.push({ serviceId: f.service_id, from: f.finished_at });
    }
  }
  if (inverted.size) await sql`insert into commit_time_inversions (repository) select unnest(${[...inverted]}::text[]) on conflict do nothing`.execute(trx);
  return marks;
}

export async function marksForPullRequests(trx: Trx, context: MarkContext, written: WrittenPullRequest[]): Promise<DerivationMark[]> {
  const marks: DerivationMark[] = [];
  const { servicesOf, repositoriesOf } = await context.catalog();
  // A change is keyed by (service, repository, sha); a pull request credits a sha in any repository of its services.
  const credited: { serviceId: string; repository: string; sha: string }[] = [];
  const mergeShas = new Set<string>();
  for (const pr of written) {
    for (const [mergedAt, merge, shas] of [
      [pr.merged_at, pr.merge_commit_sha, pr.commit_shas],
      [pr.previous_merged_at, pr.previous_merge_commit_sha, pr.previous_commit_shas ?? []],
    ] as const) {
      if (mergedAt === null) continue; // an open pull request is no input to derivation
      if (merge) mergeShas.add(merge);
      for (const serviceId of servicesOf.get(pr.repository) ?? []) {
        for (const repository of repositoriesOf.get(serviceId) ?? []) {
          for (const sha of merge ? [merge, ...shas] : shas) credited.push({ serviceId, repository, sha });
        }
      }
    }
  }
  if (!credited.length) return marks;
  // A merge commit matters to facts made without a walk only.
  for (const f of await context.factsWithoutWalk()) if (f.head && mergeShas.has(f.head)) marks.push({ serviceId: f.service_id, from: f.finished_at });
  const { rows } = await sql<MarkRow>`
    select service_id, min(from_at) as from_at from (
      select x.service_id, (select deployed_at from deployment_changes dc where dc.service_id = x.service_id and dc.repository = x.repository and dc.sha = x.sha) as from_at
      from unnest(${credited.map((c) => c.serviceId)}::text[], ${credited.map((c) => c.repository)}::text[], ${credited.map((c) => c.sha)}::text[]) as x(service_id, repository, sha)) c
    where from_at is not null group by service_id`.execute(trx);
  return [...marks, ...toMarks(rows)];
}

export async function marksForIncidents(trx: Trx, rows: WrittenIncident[]): Promise<DerivationMark[]> {
  const marks: DerivationMark[] = [];
  const linked = new Set<string>();
  const causes: { serviceId: string; sha: string }[] = [];
  const causePullRequests: { serviceId: string; repository: string; number: number }[] = [];
  for (const version of rows.flatMap(incidentVersions)) {
    // Implicit links and rework look at deployments around the incident's start and creation.
    const start = version.started_at && version.started_at < version.created_at ? version.started_at : version.created_at;
    marks.push({ serviceId: version.service_id, from: start });
    if (version.deployment_external_id) linked.add(version.deployment_external_id);
    if (version.resolved_by_deployment_external_id) linked.add(version.resolved_by_deployment_external_id);
    if (version.cause_commit_sha) {
      // An abbreviated sha matches by prefix, which no index serves: the whole history.
      if (version.cause_commit_sha.length < 40) marks.push({ serviceId: version.service_id, from: null });
      else causes.push({ serviceId: version.service_id, sha: version.cause_commit_sha });
    }
    const pullRequest = version.cause_pull_request?.match(/^(.+)#(\d+)$/);
    if (pullRequest) causePullRequests.push({ serviceId: version.service_id, repository: pullRequest[1]!, number: Number(pullRequest[2]) });
  }
  if (!linked.size && !causes.length && !causePullRequests.length) return marks;
  // A cause pull request links to the deployment that shipped one of its commits: found through
  // its own commit list (pull_requests' key, then deployment_changes' key), never by scanning.
  const pullRequestShas: { serviceId: string; sha: string }[] = [];
  if (causePullRequests.length) {
    const { rows: shipped } = await sql<{ service_id: string; sha: string }>`
      select x.service_id, s.sha
      from unnest(${causePullRequests.map((c) => c.serviceId)}::text[], ${causePullRequests.map((c) => c.repository)}::text[], ${causePullRequests.map((c) => c.number)}::int[])
        as x(service_id, repository, number)
      join service_repositories sr on sr.service_id = x.service_id and lower(sr.repository) = lower(x.repository)
      join pull_requests p on p.repository = sr.repository and p.number = x.number
      cross join lateral unnest(array_append(p.commit_shas, p.merge_commit_sha)) as s(sha)
      where s.sha is not null`.execute(trx);
    for (const row of shipped) pullRequestShas.push({ serviceId: row.service_id, sha: row.sha });
  }
  causes.push(...pullRequestShas);
  const { rows: found } = await sql<MarkRow>`
    select service_id, finished_at as from_at from deployments where external_id = any(${[...linked]}::text[])
    union all
    select x.service_id, d.finished_at from unnest(${causes.map((c) => c.serviceId)}::text[], ${causes.map((c) => c.sha)}::text[]) as x(service_id, sha)
      join deployments d on d.commit_sha = x.sha and d.service_id = x.service_id
    union all
    select x.service_id, (select deployed_at from deployment_changes dc where dc.service_id = x.service_id and dc.repository = own.repository and dc.sha = x.sha)
    from unnest(${causes.map((c) => c.serviceId)}::text[], ${causes.map((c) => c.sha)}::text[]) as x(service_id, sha)
      join service_repositories own on own.service_id = x.service_id`.execute(trx);
  return [...marks, ...toMarks(found.filter((row) => row.from_at !== null))];
}
