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

export const INCIDENT_FIELDS = [
  'service_id', 'created_at', 'started_at', 'resolved_at', 'deployment_external_id', 'cause_commit_sha', 'resolved_by_deployment_external_id',
] as const;

interface IncidentVersion {
  service_id: string;
  created_at: Date;
  started_at: Date | null;
  resolved_at: Date | null;
  deployment_external_id: string | null;
  cause_commit_sha: string | null;
  resolved_by_deployment_external_id: string | null;
}

export type WrittenIncident = IncidentVersion & { inserted: boolean } & { [K in keyof IncidentVersion as `previous_${K}`]: IncidentVersion[K] | null };

/** The incident as written, and as it was stored before when it was updated. */
export function incidentVersions(row: WrittenIncident): IncidentVersion[] {
  const current: IncidentVersion = {
    service_id: row.service_id, created_at: row.created_at, started_at: row.started_at, resolved_at: row.resolved_at,
    deployment_external_id: row.deployment_external_id, cause_commit_sha: row.cause_commit_sha,
    resolved_by_deployment_external_id: row.resolved_by_deployment_external_id,
  };
  if (row.inserted || row.previous_service_id === null || row.previous_created_at === null) return [current];
  return [
    current,
    {
      service_id: row.previous_service_id, created_at: row.previous_created_at, started_at: row.previous_started_at,
      resolved_at: row.previous_resolved_at, deployment_external_id: row.previous_deployment_external_id,
      cause_commit_sha: row.previous_cause_commit_sha, resolved_by_deployment_external_id: row.previous_resolved_by_deployment_external_id,
    },
  ];
}

interface MarkRow {
  service_id: string;
  from_at: Date | null;
}
const toMarks = (rows: MarkRow[]): DerivationMark[] => rows.map((row) => ({ serviceId: row.service_id, from: row.from_at }));

export function marksForDeployments(rows: WrittenDeployment[]): DerivationMark[] {
  const marks: DerivationMark[] = [];
  for (const row of rows) {
    marks.push({ serviceId: row.service_id, from: row.finished_at });
    // A deployment that moved (in time or to another service) leaves a hole where it was.
    if (row.previous_service_id !== null && row.previous_finished_at !== null) marks.push({ serviceId: row.previous_service_id, from: row.previous_finished_at });
  }
  return marks;
}

export async function marksForCommits(trx: Trx, written: WrittenCommit[]): Promise<DerivationMark[]> {
  if (!written.length) return [];
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
    // A stored commit whose time changed may now be older than a child we cannot look up: its
    // repository is derived in full from now on (git cannot change a commit's time under one sha).
    if (!c.inserted && c.previous_committed_at?.getTime() !== c.committed_at.getTime()) inverted.add(c.repository);
  }
  const arrived = written.filter((c) => c.inserted);
  const changed = [...new Set(written.filter((c) => !c.inserted).map((c) => c.repository))];
  const { rows } = await sql<MarkRow>`
    with edges as (select * from unnest(${edges.map((e) => e.repository)}::text[], ${edges.map((e) => e.parent)}::text[], ${edges.map((e) => e.childAt)}::timestamptz[])
        as e(repository, parent, child_at)),
      found as (select e.repository, e.parent, e.child_at, c.committed_at as parent_at from edges e
        left join commits c on c.repository = e.repository and c.sha = e.parent),
      missing as (insert into commit_missing_parents (repository, sha, earliest_child_at)
        select repository, parent, min(child_at) from found where parent_at is null group by repository, parent
        on conflict (repository, sha) do update set earliest_child_at = least(commit_missing_parents.earliest_child_at, excluded.earliest_child_at)),
      arrived as (select * from unnest(${arrived.map((c) => c.repository)}::text[], ${arrived.map((c) => c.sha)}::text[],
        ${arrived.map((c) => c.committed_at.toISOString())}::timestamptz[]) as a(repository, sha, committed_at)),
      late as (delete from commit_missing_parents m using arrived a where m.repository = a.repository and m.sha = a.sha
        returning m.repository, m.earliest_child_at, a.committed_at),
      inverted as (insert into commit_time_inversions (repository)
        select repository from found where parent_at > child_at
        union select repository from late where committed_at > earliest_child_at
        union select unnest(${[...inverted]}::text[])
        on conflict do nothing)
    -- A late parent can extend walks already made; a changed commit is a different graph.
    select sr.service_id, null::timestamptz as from_at from service_repositories sr
    where sr.repository in (select repository from late) or sr.repository = any(${changed}::text[])
    union all
    -- Facts made without a graph walk (the deployed commit or its base unknown, or a pull
    -- request's list standing in for the walk) change when that commit or a listed one arrives.
    select f.service_id, f.finished_at from deployment_facts f
      join deployments d on d.id = f.deployment_id
      left join deployments previous on previous.id = f.previous_deployment_id
    where f.shipped_basis <> 'graph' and (d.commit_sha in (select sha from arrived) or previous.commit_sha in (select sha from arrived)
      or exists (select 1 from pull_requests p where p.merge_commit_sha = d.commit_sha and p.merged_at is not null
        and p.commit_shas && ${arrived.map((c) => c.sha)}::text[]))`.execute(trx);
  return toMarks(rows);
}

export async function marksForPullRequests(trx: Trx, written: WrittenPullRequest[]): Promise<DerivationMark[]> {
  const credited: { repository: string; sha: string }[] = [];
  const mergeShas: string[] = [];
  for (const pr of written) {
    for (const [mergedAt, merge, shas] of [
      [pr.merged_at, pr.merge_commit_sha, pr.commit_shas],
      [pr.previous_merged_at, pr.previous_merge_commit_sha, pr.previous_commit_shas ?? []],
    ] as const) {
      if (mergedAt === null) continue; // an open pull request is no input to derivation
      if (merge) mergeShas.push(merge);
      for (const sha of merge ? [merge, ...shas] : shas) credited.push({ repository: pr.repository, sha });
    }
  }
  if (!credited.length) return [];
  // A merge commit is only looked up for facts made without a graph walk; changes are keyed by
  // (service, repository, sha), and a pull request credits a sha in any of its services' repositories.
  const { rows } = await sql<MarkRow>`
    select f.service_id, f.finished_at as from_at from deployment_facts f join deployments d on d.id = f.deployment_id
    where f.shipped_basis <> 'graph' and d.commit_sha = any(${mergeShas}::text[])
    union all
    select dc.service_id, min(dc.deployed_at) from unnest(${credited.map((c) => c.repository)}::text[], ${credited.map((c) => c.sha)}::text[]) as x(repository, sha)
      join service_repositories sr on sr.repository = x.repository
      join service_repositories own on own.service_id = sr.service_id
      join deployment_changes dc on dc.service_id = sr.service_id and dc.repository = own.repository and dc.sha = x.sha
    group by dc.service_id`.execute(trx);
  return toMarks(rows);
}

export async function marksForIncidents(trx: Trx, rows: WrittenIncident[]): Promise<DerivationMark[]> {
  const marks: DerivationMark[] = [];
  const linked = new Set<string>();
  const causes: { serviceId: string; sha: string }[] = [];
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
  }
  if (!linked.size && !causes.length) return marks;
  const { rows: found } = await sql<MarkRow>`
    select service_id, finished_at as from_at from deployments where external_id = any(${[...linked]}::text[])
    union all
    select d.service_id, d.finished_at from unnest(${causes.map((c) => c.serviceId)}::text[], ${causes.map((c) => c.sha)}::text[]) as x(service_id, sha)
      join deployments d on d.commit_sha = x.sha and d.service_id = x.service_id
    union all
    select dc.service_id, dc.deployed_at from unnest(${causes.map((c) => c.serviceId)}::text[], ${causes.map((c) => c.sha)}::text[]) as x(service_id, sha)
      join service_repositories own on own.service_id = x.service_id
      join deployment_changes dc on dc.service_id = x.service_id and dc.repository = own.repository and dc.sha = x.sha`.execute(trx);
  return [...marks, ...toMarks(found)];
}
