// The one writer of raw records (DESIGN.md, Ingest). A call is one transaction: records
// are upserted by their natural key, each service whose derived facts a write can change is
// queued for re-derivation from the earliest time the write reaches (the compute job derives,
// server/derive/), and the cells incidents touch directly are marked dirty for the KPI engine.
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { BugRecord, CiRunRecord, CommitRecord, DeploymentRecord, IncidentRecord, NormalizedRecord, PullRequestRecord, RecordKind } from '../../connectors/contract.js';
import { repositoryOwners } from '../../connectors/repository-owners.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { InvalidInput } from '../lib/errors.js';
import { withSpan } from '../lib/tracing.js';
import { queueDerivations, type DerivationMark } from '../derive/queue.js';
import { isProductionOf } from '../derive/rederive.js';
import { countsForBuildHealth } from '../kpi/queries/build-success-rate.js';
import { laterRecurrenceAnchors, markAnchorsDirty, type Anchor } from './dirty.js';
import { applyPendingEvents, reconcileWithStored } from './incident-events.js';
import {
  INCIDENT_FIELDS, incidentVersions, MarkContext, marksForCommits, marksForDeployments, marksForIncidents, marksForPullRequests,
  type WrittenCommit, type WrittenDeployment, type WrittenIncident, type WrittenPullRequest,
} from './derivation-marks.js';
import { validateRecords, type Catalog, type Locator } from './validate.js';
import { settledLater } from '../lib/settled-later.js';
import { RAW_ROWS, type ColumnSource } from './raw-rows.js';

type Trx = Transaction<Database>;
type RecordOf<K extends RecordKind> = Extract<NormalizedRecord, { kind: K }>['record'];

export interface IngestCounts {
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

/** What records may refer to: the services and repositories of bellwether.yaml (a repository by name or by a service's pattern). */
export function catalogOf(org: OrgConfig): Catalog {
  const owners = repositoryOwners(org.services);
  return { services: new Set(org.services.map((s) => s.id)), repositories: { has: (repository) => owners.ownersOf(repository).length > 0 } };
}

/** Validates then ingests; throws InvalidInput (nothing written) if any item is bad. */
export async function validateAndIngest(
  db: Db,
  org: OrgConfig,
  items: { kind: RecordKind; value: unknown }[],
  locate: Locator,
): Promise<IngestCounts> {
  const catalog = catalogOf(org);
  const { records, problems } = validateRecords(items, catalog, locate);
  if (problems.length) {
    const rejected = new Set(problems.map((p) => p.index ?? p.line)).size;
    throw new InvalidInput(`${rejected} of ${items.length} record(s) rejected; nothing was written`, problems);
  }
  return ingestRecords(db, org, records);
}

/** Stores already-validated records in one transaction. */
export async function ingestRecords(db: Db, org: OrgConfig, records: NormalizedRecord[]): Promise<IngestCounts> {
  return withSpan('bellwether.ingest', { records: records.length }, () => db.transaction().execute((trx) => ingestInTransaction(trx, org, records)));
}

export async function ingestInTransaction(trx: Trx, org: OrgConfig, records: NormalizedRecord[]): Promise<IngestCounts> {
  const counts: IngestCounts = { received: records.length, inserted: 0, updated: 0, unchanged: 0 };
  const byKind = <K extends RecordKind>(kind: K) =>
    records.filter((r): r is Extract<NormalizedRecord, { kind: K }> => r.kind === kind).map((r) => r.record as RecordOf<K>);
  const marks: DerivationMark[] = [];
  const context = new MarkContext(trx);
  const anchors: Anchor[] = [];
  const add = (written: { inserted: number; updated: number }, total: number) => {
    counts.inserted += written.inserted;
    counts.updated += written.updated;
    counts.unchanged += total - written.inserted - written.updated;
  };
  await linkPatternRepositories(trx, org, records);
  const commits = dedupe(byKind('commit'), (c) => `${c.repository}\u0000${c.sha}`);
  add(await upsertCommits(trx, context, commits, marks), byKind('commit').length);
  const pullRequests = dedupe(byKind('pull_request'), (p) => `${p.repository}\u0000${p.number}`);
  add(await upsertPullRequests(trx, context, pullRequests, marks, anchors), byKind('pull_request').length);
  const deployments = dedupe(byKind('deployment'), (d) => `${d.source}\u0000${d.external_id}`);
  add(await upsertDeployments(trx, deployments, marks), byKind('deployment').length);
  // A record that says when its status changed does not undo a newer status a webhook stored.
  const incidents = await reconcileWithStored(trx, dedupe(byKind('incident'), (i) => `${i.source}\u0000${i.external_id}`));
  add(await upsertIncidents(trx, org, incidents, marks, anchors), byKind('incident').length);
  // Webhook events that waited for these incidents to be known.
  await applyPendingEvents(trx, org, incidents);
  // CI runs feed no derivation, only build health (read directly: its cells are marked here).
  const ciRuns = dedupe(byKind('ci_run'), (r) => `${r.source}\u0000${r.external_id}`);
  add(await upsertCiRuns(trx, org, context, ciRuns, anchors), byKind('ci_run').length);
  const bugs = dedupe(byKind('bug'), (b) => `${b.source}\u0000${b.external_id}`);
  add(await upsertBugs(trx, bugs, anchors), byKind('bug').length);

  await markAnchorsDirty(trx, anchors, org.timeZone);
  await queueDerivations(trx, marks);
  return counts;
}

/**
 * A repository a service owns by pattern (not by name) gets its service_repositories row when
 * its first records arrive, before anything reads that table in this transaction (the marks,
 * derivation): records of repositories found in a GitHub organisation join like listed ones.
 */
async function linkPatternRepositories(trx: Trx, org: OrgConfig, records: NormalizedRecord[]): Promise<void> {
  const owners = repositoryOwners(org.services);
  if (!owners.hasPatterns) return;
  const repositories = new Set<string>();
  for (const { kind, record } of records) {
    // A bug's repository is where it was filed, not code a service ships (it is not checked against the catalog).
    if (kind !== 'commit' && kind !== 'pull_request' && kind !== 'ci_run') continue;
    const repository = record.repository;
    if (typeof repository === 'string' && !owners.named.has(repository)) repositories.add(repository);
  }
  const rows = [...repositories].flatMap((repository) => owners.ownersOf(repository).map((service_id) => ({ service_id, repository })));
  if (rows.length) await trx.insertInto('service_repositories').values(rows).onConflict((oc) => oc.doNothing()).execute();
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const map = new Map<string, T>();
  for (const item of items) map.set(key(item), item); // the last version of a record wins
  return [...map.values()];
}

const chunks = <T>(items: T[], size = 1000) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const tally = (rows: { inserted: boolean }[]) => ({ inserted: rows.filter((r) => r.inserted).length, updated: rows.filter((r) => !r.inserted).length });
const sum = (parts: { inserted: number; updated: number }[]) => parts.reduce((a, b) => ({ inserted: a.inserted + b.inserted, updated: a.updated + b.updated }), { inserted: 0, updated: 0 });

/** SQL types of the natural-key columns that are not text. */
const KEY_TYPES: Record<string, string> = { number: 'integer' };

/** A row an upsert statement returns: a written row, or (`retry_record` set) a record to write again (another transaction inserted or deleted its row meanwhile). */
type UpsertRow<R> = R & { inserted: boolean; retry_record: object | null };
/** Builds the upsert statement of some records (upsertStatement with the rest of its arguments bound). */
type UpsertOf<R> = (records: object[]) => RawBuilder<UpsertRow<R>>;

/**
 * Inserts records' rows or updates them in place on their natural key, skipping rows whose
 * payload is unchanged (so a re-send writes nothing). Returns the written rows' `returning`
 * columns, and for each `previous` column its value before this write as `previous_<column>`
 * (null for an inserted row). A `computed` column is written as its SQL expression over the
 * `incoming` row, not as the record says.
 */
export async function upsertRows<R>(
  trx: Trx, kind: RecordKind, records: object[], returning: string[],
  computed: Record<string, RawBuilder<unknown>> = {}, previous: string[] = [],
): Promise<(R & { inserted: boolean })[]> {
  if (!records.length) return [];
  const upsertOf: UpsertOf<R> = (some) => upsertStatement<R>(kind, some, returning, computed, previous);
  return settleRetries(trx, (await upsertOf(records).execute(trx)).rows, upsertOf);
}

/**
 * The rows of an upsert, with the records a concurrent transaction inserted first (the insert
 * waited for it, then skipped them) or deleted written again: the statement run anew sees those
 * rows as they are now, and updates or inserts them. Ingest runs at read committed, where each
 * statement sees what committed before it began; a second skip would mean it does not.
 */
async function settleRetries<R>(trx: Trx, rows: UpsertRow<R>[], upsertOf: UpsertOf<R>): Promise<UpsertRow<R>[]> {
  const retry = rows.filter((row) => row.retry_record !== null).map((row) => row.retry_record!);
  if (!retry.length) return rows;
  const again = (await upsertOf(retry).execute(trx)).rows;
  if (again.some((row) => row.retry_record !== null)) throw new Error('ingest must run at read committed: a record written concurrently was skipped twice');
  return [...rows.filter((row) => row.retry_record === null), ...again];
}

/** upsertRows's statement for a non-empty chunk, built (its JSON serialised) before it is run. */
function upsertStatement<R>(
  kind: RecordKind, records: object[], returning: string[],
  computed: Record<string, RawBuilder<unknown>> = {}, previous: string[] = [],
): RawBuilder<UpsertRow<R>> {
  const { table, keys, columns: sources } = RAW_ROWS[kind];
  const columns = [...Object.keys(sources), 'payload'];
  // is_production is derived (rederive.ts), never taken from the request, unless computed here.
  const updated = columns.filter((column) => !keys.includes(column) && (column !== 'is_production' || column in computed));
  const ids = (names: string[]) => sql.join(names.map((name) => sql.ref(name)));
  // What the insert and the update return: the caller's columns, and the key that finds a skipped record.
  const returned = [...new Set([...returning, ...keys])];
  const valueOf = (column: string) => computed[column] ?? (column === 'payload' ? sql`sent.value` : sql`incoming.${sql.ref(column)}`);
  // Each record travels once, as the JSON it is stored as (its payload), in one jsonb parameter:
  // the database parses it once, and reads the columns out of it (raw-rows.ts) with
  // jsonb_populate_record (the table's own column types). A VALUES list of rows × columns
  // parameters took longer to build, send and parse than the upsert itself at 1,000 rows, and
  // sending the columns beside the payload (every value twice) cost a quarter of the statement.
  // One probe of the stored row per sent record says what to do with it: insert it (none is
  // stored), leave it (stored with the same payload: a re-send writes nothing, not even a lock),
  // or update it in place; the probe also reads the `previous` columns (every part of a WITH
  // sees the table as it was when the statement began). A plain insert of what the probe did
  // not find, rather than INSERT … ON CONFLICT DO UPDATE for every record, took a sample of new
  // commits from 433 to 363 ms (median of 21), about what COPY took (375 ms).
  const keyIn = (value: string, key: string) => sql`(${sql.ref(value)}->>${sql.lit(key)})::${sql.raw(KEY_TYPES[key] ?? 'text')}`;
  const sameKey = (written: string) => sql.join(keys.map((key) => sql`${sql.ref(`${written}.${key}`)} = ${keyIn('sent.value', key)}`), sql` and `);
  const fromRecord = sql.join(Object.entries(sources).map(([column, source]) => sql`${columnFromRecord(column, source)} as ${sql.ref(column)}`));
  const incoming = sql`sent cross join lateral jsonb_populate_record(null::${sql.table(table)}, sent.value) record cross join lateral (select ${fromRecord}) incoming`;
  const previousColumns = (of: (column: string) => RawBuilder<unknown>) => sql.join(previous.map((column) => sql`, ${of(column)} as ${sql.ref(`previous_${column}`)}`), sql``);
  return sql<UpsertRow<R>>`
    with sent as (
      select e.value, stored.id as stored_id, stored.payload = e.value as same${previousColumns((column) => sql`stored.${sql.ref(column)}`)}
      from jsonb_array_elements(${`[${records.map((record) => JSON.stringify(record)).join(',')}]`}::jsonb) e
      left join ${sql.table(table)} stored on ${sql.join(keys.map((key) => sql`stored.${sql.ref(key)} = ${keyIn('e.value', key)}`), sql` and `)}
    ),
    inserted as (
      insert into ${sql.table(table)} (${ids(columns)})
      select ${sql.join(columns.map(valueOf))} from ${incoming}
      where sent.stored_id is null
      -- Another transaction inserted the row since this statement began: left to the retry below.
      on conflict (${ids(keys)}) do nothing
      returning ${ids(returned)}
    ),
    updated as (
      update ${sql.table(table)} set ${sql.join(updated.map((column) => sql`${sql.ref(column)} = ${valueOf(column)}`))}, updated_at = now()
      from ${incoming}
      where ${sql.ref(`${table}.id`)} = sent.stored_id and not sent.same
      returning ${sql.join(returned.map((column) => sql.ref(`${table}.${column}`)))}${previousColumns((column) => sql`sent.${sql.ref(`previous_${column}`)}`)}
    )
    select ${ids(returning)}, true as inserted${previousColumns(() => sql`null`)}, null::jsonb as retry_record from inserted
    union all
    select ${ids(returning)}, false${previousColumns((column) => sql.ref(`previous_${column}`))}, null from updated
    union all
    select ${sql.join(returning.map(() => sql`null`))}, null${previousColumns(() => sql`null`)}, sent.value from sent
    -- Checked once (a one-time filter): which records were skipped is looked for only when some
    -- were, inserted by another transaction meanwhile, or deleted before their update.
    where (select count(*) from inserted) + (select count(*) from updated) < (select count(*) from sent where sent.same is not true)
      and sent.same is not true
      and not exists (select from inserted where ${sameKey('inserted')})
      and not exists (select from updated where ${sameKey('updated')})`;
}

/** A column's value in the upsert, from `record` (the record's JSON as the table's row type) and `sent.value` (the JSON). */
function columnFromRecord(column: string, source: ColumnSource): RawBuilder<unknown> {
  let value = source.field === undefined ? sql`record.${sql.ref(column)}` : sql`(sent.value->>${sql.lit(source.field)})`;
  if (source.default !== undefined) value = sql`coalesce(${value}, ${Array.isArray(source.default) ? sql`'{}'` : sql.lit(source.default)})`;
  if (source.only !== undefined) value = sql`case when ${value} = ${sql.lit(source.only)} then ${value} end`;
  return value;
}

/**
 * Runs one upsert per chunk of `records`, in order, each chunk's `after` (its derivation marks)
 * before the next upsert, and counts the rows inserted and updated. The next chunk's statement
 * is built (its JSON serialised) while the database writes the current one: serially, building
 * them took about 0.2 s of the 1.4 s a large organisation's 20k-record sample took to ingest.
 */
async function pipelined<T extends object, R>(
  trx: Trx, records: T[], prepare: (chunk: T[]) => RawBuilder<UpsertRow<R>>, after: (written: UpsertRow<R>[], chunk: T[]) => Promise<void> | void,
): Promise<{ inserted: number; updated: number }> {
  const parts = chunks(records);
  const counts = [];
  let next = parts.length ? prepare(parts[0]!) : null;
  for (let i = 0; i < parts.length; i++) {
    const running = settledLater(next!.execute(trx));
    // Let the statement reach the socket (kysely dispatches it a few promise hops on), then build the next.
    await new Promise((resolve) => setImmediate(resolve));
    next = i + 1 < parts.length ? prepare(parts[i + 1]!) : null;
    const rows = await settleRetries(trx, (await running).rows, (retry) => prepare(retry as T[]));
    counts.push(tally(rows));
    await after(rows, parts[i]!);
  }
  return sum(counts);
}

// Only keys, the inserted flag and previous values come back: the rest of a written row is
// taken from what was sent (returning every commit's parents cost the upsert a tenth of its time).
const byKey = <T extends object>(records: T[], keys: (keyof T)[]) => {
  const map = new Map<string, T>();
  for (const record of records) map.set(keys.map((key) => String(record[key])).join('\u0000'), record);
  return (written: Record<string, unknown>) => map.get(keys.map((key) => String(written[key as string])).join('\u0000'))!;
};

// The derivation marks of commits and pull requests are worked out once for the whole batch,
// after its last statement, not per statement: a few queries per batch rather than per 1,000
// rows, and a parent sent later in the same batch is found written rather than missing.
async function upsertCommits(trx: Trx, context: MarkContext, commits: CommitRecord[], marks: DerivationMark[]) {
  const written: WrittenCommit[] = [];
  const counts = await pipelined(trx, commits, (chunk) =>
    upsertStatement<{ repository: string; sha: string; previous_committed_at: Date | null }>('commit', chunk, ['repository', 'sha'], {}, ['committed_at']),
  (rows, chunk) => {
    const sent = byKey(chunk, ['repository', 'sha']);
    for (const row of rows) {
      const { parents, committed_at } = sent(row);
      written.push({ ...row, parents, committed_at: new Date(committed_at) });
    }
  });
  marks.push(...(await marksForCommits(trx, context, written)));
  return counts;
}

async function upsertPullRequests(trx: Trx, context: MarkContext, pullRequests: PullRequestRecord[], marks: DerivationMark[], anchors: Anchor[]) {
  type Stored = Pick<WrittenPullRequest, 'repository' | 'previous_merged_at' | 'previous_merge_commit_sha' | 'previous_commit_shas'>;
  const batch: WrittenPullRequest[] = [];
  const counts = await pipelined(trx, pullRequests, (chunk) =>
    upsertStatement<Stored & { number: number }>('pull_request', chunk, ['repository', 'number'], {}, ['merged_at', 'merge_commit_sha', 'commit_shas']),
  async (rows, chunk) => {
    const sent = byKey(chunk, ['repository', 'number']);
    const written: WrittenPullRequest[] = rows.map((row) => {
      const { merged_at, merge_commit_sha, commit_shas } = sent(row);
      return { ...row, merged_at: merged_at ? new Date(merged_at) : null, merge_commit_sha: merge_commit_sha ?? null, commit_shas: commit_shas ?? [] };
    });
    // PR cycle time reads merged pull requests directly: the merged_at cells of the old and the
    // new version are dirty, for every service owning the repository (a re-dated merge, a new
    // opened_at, a pull request merged or unmerged).
    const { servicesOf } = await context.catalog();
    for (const pr of written) {
      for (const mergedAt of [pr.merged_at, pr.previous_merged_at]) {
        if (mergedAt === null) continue;
        for (const serviceId of servicesOf.get(pr.repository) ?? []) anchors.push({ serviceId, at: new Date(mergedAt) });
      }
    }
    batch.push(...written);
  });
  marks.push(...(await marksForPullRequests(trx, context, batch)));
  return counts;
}

// Set as the row is written: derivation reads production deployments only.
const isProduction = sql<boolean>`coalesce((select ${isProductionOf('incoming')} from services s where s.id = incoming.service_id), false)`;

async function upsertDeployments(trx: Trx, deployments: DeploymentRecord[], marks: DerivationMark[]) {
  return pipelined(trx, deployments, (chunk) =>
    upsertStatement<WrittenDeployment>('deployment', chunk, ['service_id', 'finished_at'], { is_production: isProduction }, ['service_id', 'finished_at']),
  (rows) => {
    marks.push(...marksForDeployments(rows));
  });
}

async function upsertIncidents(trx: Trx, org: OrgConfig, incidents: IncidentRecord[], marks: DerivationMark[], anchors: Anchor[]) {
  return pipelined(trx, incidents, (chunk) =>
    upsertStatement<WrittenIncident>('incident', chunk, [...INCIDENT_FIELDS], {}, [...INCIDENT_FIELDS]),
  async (rows) => {
    if (!rows.length) return;
    // The incident KPIs read incidents directly: the anchors of their old and new versions are
    // dirty (created: recurrence, on-call, count; acknowledged: MTTA; resolved: time to restore).
    const versions = rows.flatMap(incidentVersions);
    for (const version of versions) {
      anchors.push({ serviceId: version.service_id, at: version.created_at });
      if (version.acknowledged_at) anchors.push({ serviceId: version.service_id, at: version.acknowledged_at });
      if (version.resolved_at) anchors.push({ serviceId: version.service_id, at: version.resolved_at });
    }
    // An incident decides whether later ones of its fingerprint (old and new) are recurrences.
    anchors.push(...(await laterRecurrenceAnchors(trx, versions, org.incidents.recurrenceWindowDays)));
    marks.push(...(await marksForIncidents(trx, rows)));
  });
}

/** A CI run as written and as it was before (previous_* are null for an inserted row; the repository is its key's). */
interface WrittenCiRun {
  repository: string;
  status: string;
  branch: string | null;
  event: string | null;
  finished_at: Date | null;
  previous_status: string | null;
  previous_branch: string | null;
  previous_event: string | null;
  previous_finished_at: Date | null;
}

async function upsertCiRuns(trx: Trx, org: OrgConfig, context: MarkContext, runs: CiRunRecord[], anchors: Anchor[]) {
  const columns = ['repository', 'status', 'branch', 'event', 'finished_at'];
  const versioned = columns.filter((column) => column !== 'repository');
  return pipelined(trx, runs, (chunk) => upsertStatement<WrittenCiRun>('ci_run', chunk, columns, {}, versioned), async (rows) => {
    if (!rows.length) return;
    // Build health counts finished default-branch runs that succeeded or failed, at finish: the
    // cells of the old and the new version are dirty when that version counted, for every
    // service owning the repository (a run finishes, is re-run, or its outcome is corrected).
    const { servicesOf } = await context.catalog();
    const branches = org.ci.defaultBranches;
    for (const row of rows) {
      const previous = { status: row.previous_status, branch: row.previous_branch, event: row.previous_event, finished_at: row.previous_finished_at };
      for (const version of previous.status === null ? [row] : [row, { ...previous, status: previous.status }]) {
        if (!countsForBuildHealth(version, branches)) continue;
        for (const serviceId of servicesOf.get(row.repository) ?? []) anchors.push({ serviceId, at: new Date(version.finished_at!) });
      }
    }
  });
}

/** A bug as written and as it was before (previous_* are null for an inserted row). */
interface WrittenBug {
  service_id: string;
  created_at: Date;
  found_in_production: boolean;
  previous_service_id: string | null;
  previous_created_at: Date | null;
  previous_found_in_production: boolean | null;
}

async function upsertBugs(trx: Trx, bugs: BugRecord[], anchors: Anchor[]) {
  const columns = ['service_id', 'created_at', 'found_in_production'];
  return pipelined(trx, bugs, (chunk) => upsertStatement<WrittenBug>('bug', chunk, columns, {}, columns), (rows) => {
    // Escaped defects counts production-found bugs at creation: the cells of the old and the
    // new version are dirty when that version counted (a bug can move service, date or flag).
    for (const row of rows) {
      if (row.found_in_production) anchors.push({ serviceId: row.service_id, at: new Date(row.created_at) });
      if (row.previous_found_in_production && row.previous_service_id && row.previous_created_at) {
        anchors.push({ serviceId: row.previous_service_id, at: new Date(row.previous_created_at) });
      }
    }
  });
}
