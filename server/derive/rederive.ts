// Re-derives the facts of the services ingest queued (queue.ts) and stores what changed: only
// facts that actually changed are written and mark their cells dirty. A service queued from a
// time is derived from its window (window.ts) where that is exact, else whole. Either way the
// inputs are read set-based, one query per kind of record for a chunk of services, and each
// service is then derived on its own by the pure derivation (derive.ts), exactly as if it were
// alone; the differences are written a chunk at a time.
import { sql, type Insertable, type RawBuilder, type Transaction } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Database } from '../db/schema.js';
import { CommitGraph, type GraphCommit } from './commit-graph.js';
import {
  deriveServiceFacts, type DeploymentInput, type DerivationRules, type DerivedChange, type DerivedFacts, type IncidentInput,
  type PullRequestInput, type ServiceDerivation,
} from './derive.js';
import { markAnchorsDirty, type Anchor } from '../ingest/dirty.js';
import { takeQueuedDerivations, type DerivationMark } from './queue.js';
import type { SnapshotReaders } from '../db/snapshot-readers.js';
import { loadWindows, MARGINS_MS } from './window.js';
import {
  changeOfTuple, changeTupleColumns, DEPLOYMENT_INPUT_COLUMNS, deploymentOfRow, epochMs, factOfRow, INCIDENT_INPUT_COLUMNS, incidentOfRow, type ChangeTuple,
} from './rows.js';
import { settledLater } from '../lib/settled-later.js';
import { jsonColumn } from '../db/json-columns.js';

type Trx = Transaction<Database>;

/**
 * Services read and derived together; a chunk's whole history is in memory at once. Re-deriving
 * all 500 services of a large organisation (2,000 commits each, what a batch of its extra week
 * does) peaked at 405 MB RSS with 10 services a chunk and 309 MB with 4, in the same 15.5 s; the
 * service must stay under 512 MB through ingest, compute and load (issue #7).
 */
const SERVICES_PER_CHUNK = 4;
/** Windows read and derived together: a window holds days of a service's history, not years. */
const WINDOWS_PER_CHUNK = 100;
/** Chunks whose windows readers read ahead of the one being derived (each holds its chunk's windows in memory). */
const PREFETCH_DEPTH = 2;
/** Rows per write statement. */
const ROWS_PER_STATEMENT = 5000;

export interface RederiveOptions {
  /** Services per chunk; 1 derives and writes each service alone (the tests compare both). */
  servicesPerChunk?: number;
  /** False derives every queued service's whole history (the tests compare both). */
  windows?: boolean;
  /** Other connections that read the next chunks' windows while this one derives and writes (snapshot-readers.ts). */
  readers?: SnapshotReaders | null;
}

export interface DerivationStats {
  services: number;
  /** Derived from their window only. */
  windowed: number;
  /** Derived whole: queued so, no window to be had, or a window's walk that needed older history. */
  whole: number;
}

/** Re-derives every service the queue holds (queue.ts); the compute job runs this before it rolls up. */
export async function derivePending(trx: Trx, org: OrgConfig, options: RederiveOptions = {}): Promise<DerivationStats> {
  return deriveMarked(trx, await takeQueuedDerivations(trx), org, options);
}

/**
 * Derivation's statements are many small index lookups whose row estimates (over unnested
 * parameters) are rough: past the JIT's cost threshold, a 60 ms read spent 700 ms compiling.
 * Off for the derivation only; the setting the transaction had is restored after.
 */
async function withoutJit<T>(trx: Trx, run: () => Promise<T>): Promise<T> {
  const { rows: [before] } = await sql<{ jit: string }>`select current_setting('jit') as jit`.execute(trx);
  await sql`select set_config('jit', 'off', true)`.execute(trx);
  const result = await run(); // on a throw the transaction rolls back, and the setting with it
  await sql`select set_config('jit', ${before!.jit}, true)`.execute(trx);
  return result;
}

/** Re-derives the whole history of each service. */
export async function rederiveServices(trx: Trx, serviceIds: Iterable<string>, org: OrgConfig, options: RederiveOptions = {}): Promise<DerivationStats> {
  return deriveMarked(trx, [...new Set(serviceIds)].map((serviceId) => ({ serviceId, from: null })), org, options);
}

async function deriveMarked(trx: Trx, marks: DerivationMark[], org: OrgConfig, options: RederiveOptions): Promise<DerivationStats> {
  return marks.length ? withoutJit(trx, () => deriveAll(trx, marks, org, options)) : { services: 0, windowed: 0, whole: 0 };
}

async function deriveAll(trx: Trx, marks: DerivationMark[], org: OrgConfig, options: RederiveOptions): Promise<DerivationStats> {
  const rules: DerivationRules = {
    implicitFailureLinkage: org.implicitFailureLinkage,
    reworkResolutionWindowMinutes: org.rework.resolutionWindowMinutes,
    hotfixRefPattern: org.rework.hotfixRefPattern,
    hotfixLabels: org.rework.hotfixLabels,
  };
  const stats: DerivationStats = { services: 0, windowed: 0, whole: 0 };
  const requested = marks.map((m) => m.serviceId);
  // A service missing from `services` has no rule: it is left alone.
  const known = new Set((await trx.selectFrom('services').select('id').where('id', '=', anyText(requested)).execute()).map((s) => s.id));
  // Where a commit is older than one of its parents, history cannot be read from a time on (window.ts).
  const inverted = new Set((await trx.selectFrom('service_repositories').select('service_id').distinct()
    .where('service_id', '=', anyText(requested))
    .where('repository', 'in', (eb) => eb.selectFrom('commit_time_inversions').select('repository')).execute()).map((r) => r.service_id));
  const windowed = marks.filter((m): m is { serviceId: string; from: Date } => known.has(m.serviceId) && m.from !== null && !inverted.has(m.serviceId) && options.windows !== false);
  const inWindows = new Set(windowed.map((m) => m.serviceId));
  const whole = requested.filter((id) => known.has(id) && !inWindows.has(id));
  const size = Math.max(1, options.servicesPerChunk ?? SERVICES_PER_CHUNK);
  const windowSize = Math.max(1, options.servicesPerChunk ?? WINDOWS_PER_CHUNK);
  const windowChunks = Array.from({ length: Math.ceil(windowed.length / windowSize) }, (_, i) => windowed.slice(i * windowSize, (i + 1) * windowSize));
  // With readers, the windows of the next chunks are read (at the first margin) while this chunk derives and writes.
  const readers = options.readers ?? null;
  const prefetched = new Map<number, Promise<LoadedWindows>>();
  const prefetch = (k: number) => {
    const chunk = windowChunks[k];
    if (!readers || !chunk || prefetched.has(k)) return;
    prefetched.set(k, settledLater(readers.read((reader) => loadWindows(reader, chunk, MARGINS_MS[0]!))));
  };
  // Each chunk's differences are written while the next chunk is derived (the statements run
  // in order on the transaction; no window reads another service's rows).
  let written: Promise<void> = Promise.resolve();
  for (const [k, chunk] of windowChunks.entries()) {
    for (let ahead = 0; ahead <= PREFETCH_DEPTH; ahead++) prefetch(k + ahead);
    const { whole: fellBack, write } = await deriveWindowChunk(trx, chunk, rules, prefetched.get(k));
    prefetched.delete(k);
    stats.windowed += chunk.length - fellBack.length;
    whole.push(...fellBack);
    await written;
    written = settledLater(write(org.timeZone));
  }
  await written; // the services derived whole read every earlier write
  for (let i = 0; i < whole.length; i += size) await rederiveChunk(trx, whole.slice(i, i + size), rules, org.timeZone);
  stats.whole = whole.length;
  stats.services = stats.windowed + stats.whole;
  return stats;
}

/** Ingest sets the flag as it writes a deployment; this applies a changed rule (sync-org.ts). */
export async function refreshProductionFlags(trx: Trx): Promise<void> {
  await sql`
    update deployments d set is_production = ${isProductionOf('d')}
    from services s
    where s.id = d.service_id and d.is_production is distinct from ${isProductionOf('d')}`.execute(trx);
}

/**
 * Production = the service's environment rule and a successful final status (KPIS.md), over a
 * deployments row `deployment` and its services row `s`: the one statement of the rule.
 */
export const isProductionOf = (deployment: string): RawBuilder<boolean> =>
  sql<boolean>`(${sql.ref(`${deployment}.environment`)} ~* s.production_environment and ${sql.ref(`${deployment}.status`)} = 'success')`;

const anyText = (values: readonly string[]): RawBuilder<string> => sql<string>`any(${values}::text[])`;
interface ServiceHistory {
  deployments: DeploymentInput[];
  incidents: IncidentInput[];
  pullRequests: PullRequestInput[];
  commits: GraphCommit[];
  facts: DerivedFacts[];
  changes: DerivedChange[];
}

type FactRow = Insertable<Database['deployment_facts']>;

/** What a chunk writes: rows that disappeared, rows that are new, and the cells they touch. */
interface Differences {
  goneFacts: number[];
  goneChanges: { serviceId: string; repository: string; sha: string }[];
  addedFacts: FactRow[];
  addedChanges: { serviceId: string; change: DerivedChange }[];
  anchors: Anchor[];
}

const noDifferences = (): Differences => ({ goneFacts: [], goneChanges: [], addedFacts: [], addedChanges: [], anchors: [] });

type LoadedWindows = Awaited<ReturnType<typeof loadWindows>>;

/**
 * Derives each window of the chunk; returns the services to derive whole instead, and what
 * writes the differences. `firstLoad`: the windows at the first margin, already being read by a reader.
 */
async function deriveWindowChunk(
  trx: Trx, marks: { serviceId: string; from: Date }[], rules: DerivationRules, firstLoad?: Promise<LoadedWindows>,
): Promise<{ whole: string[]; write: (timeZone: string) => Promise<void> }> {
  const differences = noDifferences();
  const derivedHere = new Set<string>();
  const whole: string[] = [];
  let pending = marks;
  for (const [attempt, marginMs] of MARGINS_MS.entries()) {
    if (!pending.length) break;
    const { windows, whole: withoutWindow } = attempt === 0 && firstLoad ? await firstLoad : await loadWindows(trx, pending, marginMs);
    whole.push(...withoutWindow);
    const again = new Set<string>();
    for (const [serviceId, history] of windows) {
      const graph = new CommitGraph(history.commits, history.truncated);
      const derived = deriveServiceFacts({
        serviceId,
        deployments: history.deployments,
        incidents: history.incidents,
        pullRequests: history.pullRequests,
        graph,
        rules,
        window: { previous: history.previous, shipped: history.shipped },
      });
      if (derived.exact) {
        derivedHere.add(serviceId);
        collectDifferences(serviceId, derived, history, differences);
      } else if (graph.incomplete && attempt + 1 < MARGINS_MS.length) {
        again.add(serviceId); // a walk went past the commits read: read further back
      } else {
        whole.push(serviceId);
      }
    }
    pending = pending.filter((m) => again.has(m.serviceId));
  }
  return { whole, write: (timeZone) => writeDifferences(trx, derivedHere, differences, timeZone) };
}

async function rederiveChunk(trx: Trx, serviceIds: string[], rules: DerivationRules, timeZone: string): Promise<void> {
  const histories = await loadHistories(trx, serviceIds);
  const differences = noDifferences();
  for (const serviceId of serviceIds) {
    const history = histories.get(serviceId)!;
    const derived = deriveServiceFacts({
      serviceId,
      deployments: history.deployments,
      incidents: history.incidents,
      pullRequests: history.pullRequests,
      graph: new CommitGraph(history.commits),
      rules,
    });
    histories.delete(serviceId); // its commits can go before the next service's graph is built
    collectDifferences(serviceId, derived, history, differences);
  }
  await writeDifferences(trx, new Set(serviceIds), differences, timeZone);
}

/**
 * Each service's inputs as the per-service derivation defines them, read with one query per
 * kind for the whole chunk: its production deployments; incidents on it plus any elsewhere
 * naming one of its production deployments (so one incident can be in two services' inputs);
 * the commits and merged pull requests of its own repositories (a repository can belong to
 * several services); and its stored facts and changes.
 */
async function loadHistories(trx: Trx, serviceIds: string[]): Promise<Map<string, ServiceHistory>> {
  const histories = new Map<string, ServiceHistory>(
    serviceIds.map((id) => [id, { deployments: [], incidents: [], pullRequests: [], commits: [], facts: [], changes: [] }]),
  );
  const of = (serviceId: string) => histories.get(serviceId)!;

  const deployments = await trx
    .selectFrom('deployments')
    .select(DEPLOYMENT_INPUT_COLUMNS)
    .where('service_id', '=', anyText(serviceIds))
    .where('is_production', '=', true)
    .execute();
  /** external_id → the chunk's services with a production deployment of that id. */
  const deploymentOwners = new Map<string, Set<string>>();
  for (const d of deployments) {
    of(d.service_id).deployments.push(deploymentOfRow(d));
    const owners = deploymentOwners.get(d.external_id) ?? new Set<string>();
    owners.add(d.service_id);
    deploymentOwners.set(d.external_id, owners);
  }

  const externalIds = [...deploymentOwners.keys()];
  const chunk = new Set(serviceIds);
  const incidents = await trx
    .selectFrom('incidents')
    .select(INCIDENT_INPUT_COLUMNS)
    .where((eb) =>
      eb.or([
        eb('service_id', '=', anyText(serviceIds)),
        ...(externalIds.length
          ? [eb('deployment_external_id', '=', anyText(externalIds)), eb('resolved_by_deployment_external_id', '=', anyText(externalIds))]
          : []),
      ]),
    )
    // The derivation takes the first matching incident in places: id order makes that stable.
    .orderBy('id')
    .execute();
  for (const i of incidents) {
    const input = incidentOfRow(i);
    const services = new Set<string>();
    if (chunk.has(i.service_id)) services.add(i.service_id);
    for (const externalId of [i.deployment_external_id, i.resolved_by_deployment_external_id]) {
      if (externalId !== null) for (const owner of deploymentOwners.get(externalId) ?? []) services.add(owner);
    }
    for (const serviceId of services) of(serviceId).incidents.push(input);
  }

  /** repository → the chunk's services it belongs to. */
  const repositoryServices = new Map<string, string[]>();
  for (const link of await trx.selectFrom('service_repositories').select(['service_id', 'repository']).where('service_id', '=', anyText(serviceIds)).execute()) {
    repositoryServices.set(link.repository, [...(repositoryServices.get(link.repository) ?? []), link.service_id]);
  }
  const repositories = [...repositoryServices.keys()];
  if (repositories.length) {
    // One JSON value rather than a row per commit: a chunk can hold 200k commits, and parsing
    // them row by row (arrays, timestamps) cost the driver more than the query cost Postgres.
    const { rows: [commits] } = await sql<{ json: string }>`
      select coalesce(json_agg(json_build_array(repository, sha, parents, ${epochMs('authored_at')})), '[]')::text as json
      from commits where repository = any(${repositories}::text[])`.execute(trx);
    for (const [repository, sha, parents, authoredAt] of JSON.parse(commits!.json) as [string, string, string[], number][]) {
      const commit: GraphCommit = { repository, sha, parents, authoredAt: new Date(authoredAt) };
      for (const serviceId of repositoryServices.get(repository)!) of(serviceId).commits.push(commit);
    }
    // Which pull request a commit is credited to depends on their order: id order makes it stable.
    const { rows: [pullRequests] } = await sql<{ json: string }>`
      select coalesce(json_agg(json_build_array(repository, number, merge_commit_sha, commit_shas) order by id), '[]')::text as json
      from pull_requests where repository = any(${repositories}::text[]) and merged_at is not null`.execute(trx);
    for (const [repository, number, mergeCommitSha, commitShas] of JSON.parse(pullRequests!.json) as [string, number, string | null, string[]][]) {
      const pullRequest: PullRequestInput = { repository, number, mergeCommitSha, commitShas };
      for (const serviceId of repositoryServices.get(repository)!) of(serviceId).pullRequests.push(pullRequest);
    }
  }

  for (const f of await trx.selectFrom('deployment_facts').selectAll().where('service_id', '=', anyText(serviceIds)).execute()) {
    of(f.service_id).facts.push(factOfRow(f));
  }
  // As many rows as commits: read as one JSON value too.
  const { rows: [changes] } = await sql<{ json: string }>`
    select coalesce(json_agg(json_build_array(service_id, ${changeTupleColumns})), '[]')::text as json
    from deployment_changes where service_id = any(${serviceIds}::text[])`.execute(trx);
  for (const [serviceId, tuple] of JSON.parse(changes!.json) as [string, ChangeTuple][]) of(serviceId).changes.push(changeOfTuple(tuple));
  return histories;
}

// A fact is one per deployment, a change one per commit of a service (their primary keys);
// two with the same identity are the same row when every stored value is equal. Compared
// field by field: a JSON key per row cost a batch touching 500 services 3 of its 15 s.
const sameTime = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : a.getTime() === b.getTime());
const sameFact = (a: DerivedFacts, b: DerivedFacts) =>
  a.finishedAt.getTime() === b.finishedAt.getTime() && a.previousDeploymentId === b.previousDeploymentId && a.shippedBasis === b.shippedBasis &&
  a.changeCount === b.changeCount && a.isFailed === b.isFailed && a.failureReason === b.failureReason &&
  a.failureIncidentIds.length === b.failureIncidentIds.length && a.failureIncidentIds.every((id, i) => id === b.failureIncidentIds[i]) &&
  a.failureLinkReasons.length === b.failureLinkReasons.length && a.failureLinkReasons.every((reason, i) => reason === b.failureLinkReasons[i]) &&
  a.rolledBackByDeploymentId === b.rolledBackByDeploymentId && sameTime(a.recoveredAt, b.recoveredAt) && a.isRework === b.isRework &&
  a.reworkReason === b.reworkReason && a.reworkIncidentId === b.reworkIncidentId;
const sameChange = (a: DerivedChange, b: DerivedChange) =>
  a.deploymentId === b.deploymentId && a.authoredAt.getTime() === b.authoredAt.getTime() && a.deployedAt.getTime() === b.deployedAt.getTime() &&
  a.leadTimeSeconds === b.leadTimeSeconds && a.pullRequestNumber === b.pullRequestNumber;

/** The items of `next` not stored the same in `previous`, and those of `previous` not in `next` the same (identities unique on each side). */
function difference<T>(next: T[], previous: T[], identity: (item: T) => string | number, same: (a: T, b: T) => boolean): { added: T[]; gone: T[] } {
  // A first derivation (or a service with nothing left) needs no comparison at all.
  if (!previous.length || !next.length) return { added: next, gone: previous };
  const stored = new Map(previous.map((item) => [identity(item), item]));
  const kept = new Set<T>();
  const added = next.filter((item) => {
    const match = stored.get(identity(item));
    if (match === undefined || !same(item, match)) return true;
    kept.add(match);
    return false;
  });
  return { added, gone: previous.filter((item) => !kept.has(item)) };
}

function collectDifferences(serviceId: string, derived: ServiceDerivation, history: ServiceHistory, out: Differences): void {
  const facts = difference(derived.facts, history.facts, (f) => f.deploymentId, sameFact);
  const changes = difference(derived.changes, history.changes, (c) => `${c.repository}\u0000${c.sha}`, sameChange);
  const factAnchors = (f: DerivedFacts) => {
    out.anchors.push({ serviceId, at: f.finishedAt });
    if (f.recoveredAt) out.anchors.push({ serviceId, at: f.recoveredAt });
  };
  for (const f of facts.added) {
    factAnchors(f);
    out.addedFacts.push({
      deployment_id: f.deploymentId, service_id: serviceId, finished_at: f.finishedAt, previous_deployment_id: f.previousDeploymentId,
      shipped_basis: f.shippedBasis, change_count: f.changeCount, is_failed: f.isFailed, failure_reason: f.failureReason,
      failure_incident_ids: f.failureIncidentIds, failure_link_reasons: f.failureLinkReasons, rolled_back_by_deployment_id: f.rolledBackByDeploymentId,
      recovered_at: f.recoveredAt, is_rework: f.isRework, rework_reason: f.reworkReason, rework_incident_id: f.reworkIncidentId,
    });
  }
  for (const f of facts.gone) {
    factAnchors(f);
    out.goneFacts.push(f.deploymentId);
  }
  for (const change of changes.added) {
    out.anchors.push({ serviceId, at: change.deployedAt });
    out.addedChanges.push({ serviceId, change });
  }
  for (const c of changes.gone) {
    out.anchors.push({ serviceId, at: c.deployedAt });
    out.goneChanges.push({ serviceId, repository: c.repository, sha: c.sha });
  }
}

// Write only the difference: a new week touches a handful of a service's facts, not its history.
async function writeDifferences(trx: Trx, chunk: Set<string>, d: Differences, timeZone: string): Promise<void> {
  for (let i = 0; i < d.goneChanges.length; i += ROWS_PER_STATEMENT) {
    const rows = d.goneChanges.slice(i, i + ROWS_PER_STATEMENT);
    await sql`delete from deployment_changes where (service_id, repository, sha) in (
      select * from unnest(${rows.map((c) => c.serviceId)}::text[], ${rows.map((c) => c.repository)}::text[], ${rows.map((c) => c.sha)}::text[]))`.execute(trx);
  }
  // Facts are keyed by deployment alone. A deployment that moved here from a service derived in
  // a later chunk still has its row there: it goes now, and its cells are marked dirty as that
  // service's gone fact would have marked them (the chunk's own rows are already in `anchors`).
  const replaced = [...new Set([...d.goneFacts, ...d.addedFacts.map((f) => f.deployment_id)])];
  for (let i = 0; i < replaced.length; i += ROWS_PER_STATEMENT) {
    const { rows } = await sql<{ service_id: string; finished_at: Date; recovered_at: Date | null }>`
      with deleted as (delete from deployment_facts where deployment_id = any(${replaced.slice(i, i + ROWS_PER_STATEMENT)}::int[])
        returning service_id, finished_at, recovered_at)
      select * from deleted where service_id <> all(${[...chunk]}::text[])`.execute(trx);
    for (const row of rows) {
      d.anchors.push({ serviceId: row.service_id, at: row.finished_at });
      if (row.recovered_at) d.anchors.push({ serviceId: row.service_id, at: row.recovered_at });
    }
  }
  for (let i = 0; i < d.addedFacts.length; i += ROWS_PER_STATEMENT) {
    await insertJsonRows(trx, 'deployment_facts', d.addedFacts.slice(i, i + ROWS_PER_STATEMENT));
  }
  for (let i = 0; i < d.addedChanges.length; i += ROWS_PER_STATEMENT) await insertChanges(trx, d.addedChanges.slice(i, i + ROWS_PER_STATEMENT));
  if (d.anchors.length) await markAnchorsDirty(trx, d.anchors, timeZone);
}

// One JSON parameter per statement (json_populate_recordset reads the table's own types):
// a VALUES list of rows × columns parameters costs more to build and parse than the insert.
async function insertJsonRows(trx: Trx, table: 'deployment_facts', rows: FactRow[]): Promise<void> {
  const columns = sql.join(Object.keys(rows[0]!).map((column) => sql.ref(column)));
  await sql`insert into ${sql.table(table)} (${columns})
    select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`.execute(trx);
}

// Changes, as many as commits, go column by column (json-columns.ts) rather than as an object
// per row: Postgres reads the columns faster, and Node writes no key per value.
async function insertChanges(trx: Trx, rows: { serviceId: string; change: DerivedChange }[]): Promise<void> {
  const column = <T>(value: (change: DerivedChange) => T) => jsonColumn(rows.map((row) => value(row.change)));
  await sql`insert into deployment_changes (deployment_id, service_id, repository, sha, authored_at, deployed_at, lead_time_seconds, pull_request_number)
    select c.deployment_id::int, c.service_id, c.repository, c.sha, c.authored_at::timestamptz, c.deployed_at::timestamptz, c.lead_time_seconds::float8,
      c.pull_request_number::int
    from rows from (${column((c) => c.deploymentId)}, ${jsonColumn(rows.map((row) => row.serviceId))}, ${column((c) => c.repository)}, ${column((c) => c.sha)},
      ${column((c) => c.authoredAt)}, ${column((c) => c.deployedAt)}, ${column((c) => c.leadTimeSeconds)}, ${column((c) => c.pullRequestNumber)})
      as c(deployment_id, service_id, repository, sha, authored_at, deployed_at, lead_time_seconds, pull_request_number)`.execute(trx);
}
