// The one writer of raw records (DESIGN.md, Ingest). A call is one transaction: records
// are upserted by their natural key, re-derived facts are refreshed for the services they
// touch, and the touched (service, period) cells are marked dirty for the KPI engine.
import { sql, type Transaction } from 'kysely';
import type { CommitRecord, DeploymentRecord, IncidentRecord, NormalizedRecord, PullRequestRecord, RecordKind } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { InvalidInput } from '../lib/errors.js';
import { withSpan } from '../lib/tracing.js';
import { markAnchorsDirty, type Anchor } from './dirty.js';
import { rederiveServices } from './rederive.js';
import { validateRecords, type Catalog, type Locator } from './validate.js';

type Trx = Transaction<Database>;
type RecordOf<K extends RecordKind> = Extract<NormalizedRecord, { kind: K }>['record'];

export interface IngestCounts {
  received: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

/** What records may refer to: the services and repositories of bellwether.yaml. */
export function catalogOf(org: OrgConfig): Catalog {
  return { services: new Set(org.services.map((s) => s.id)), repositories: new Set(org.services.flatMap((s) => s.repositories)) };
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
  const affected = new Set<string>();
  const anchors: Anchor[] = [];
  const add = (written: { inserted: number; updated: number }, total: number) => {
    counts.inserted += written.inserted;
    counts.updated += written.updated;
    counts.unchanged += total - written.inserted - written.updated;
  };
  const commits = dedupe(byKind('commit'), (c) => `${c.repository}\u0000${c.sha}`);
  add(await upsertCommits(trx, commits, affected), byKind('commit').length);
  const pullRequests = dedupe(byKind('pull_request'), (p) => `${p.repository}\u0000${p.number}`);
  add(await upsertPullRequests(trx, pullRequests, affected), byKind('pull_request').length);
  const deployments = dedupe(byKind('deployment'), (d) => `${d.source}\u0000${d.external_id}`);
  add(await upsertDeployments(trx, deployments, affected), byKind('deployment').length);
  const incidents = dedupe(byKind('incident'), (i) => `${i.source}\u0000${i.external_id}`);
  add(await upsertIncidents(trx, incidents, affected, anchors), byKind('incident').length);

  await markAnchorsDirty(trx, anchors, org.timeZone);
  await rederiveServices(trx, affected, org);
  return counts;
}

function dedupe<T>(items: T[], key: (item: T) => string): T[] {
  const map = new Map<string, T>();
  for (const item of items) map.set(key(item), item); // the last version of a record wins
  return [...map.values()];
}

const chunks = <T>(items: T[], size = 1000) => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
const tally = (rows: { inserted: boolean }[]) => ({ inserted: rows.filter((r) => r.inserted).length, updated: rows.filter((r) => !r.inserted).length });
const sum = (parts: { inserted: number; updated: number }[]) => parts.reduce((a, b) => ({ inserted: a.inserted + b.inserted, updated: a.updated + b.updated }), { inserted: 0, updated: 0 });
// xmax = 0 on a RETURNING row means the row was inserted, not updated.
const insertedFlag = sql<boolean>`(xmax::text = '0')`.as('inserted');

async function servicesOfRepositories(trx: Trx, repositories: string[]): Promise<string[]> {
  if (!repositories.length) return [];
  const rows = await trx.selectFrom('service_repositories').select('service_id').distinct().where('repository', 'in', repositories).execute();
  return rows.map((r) => r.service_id);
}

async function upsertCommits(trx: Trx, commits: CommitRecord[], affected: Set<string>) {
  const parts = [];
  const touched = new Set<string>();
  for (const chunk of chunks(commits)) {
    const rows = await trx
      .insertInto('commits')
      .values(chunk.map((c) => ({
        source: c.source ?? 'api', repository: c.repository, sha: c.sha, parents: c.parents, authored_at: c.authored_at,
        committed_at: c.committed_at, author: c.author ?? null, message: c.message ?? null, payload: JSON.stringify(c),
      })))
      .onConflict((oc) => oc.columns(['repository', 'sha']).doUpdateSet((eb) => ({
        source: eb.ref('excluded.source'), parents: eb.ref('excluded.parents'), authored_at: eb.ref('excluded.authored_at'),
        committed_at: eb.ref('excluded.committed_at'), author: eb.ref('excluded.author'), message: eb.ref('excluded.message'),
        payload: eb.ref('excluded.payload'), updated_at: sql`now()`,
      })).where(sql<boolean>`commits.payload is distinct from excluded.payload`))
      .returning(['repository', insertedFlag])
      .execute();
    rows.forEach((r) => touched.add(r.repository));
    parts.push(tally(rows));
  }
  for (const id of await servicesOfRepositories(trx, [...touched])) affected.add(id);
  return sum(parts);
}

async function upsertPullRequests(trx: Trx, pullRequests: PullRequestRecord[], affected: Set<string>) {
  const parts = [];
  const touched = new Set<string>();
  for (const chunk of chunks(pullRequests)) {
    const rows = await trx
      .insertInto('pull_requests')
      .values(chunk.map((p) => ({
        source: p.source ?? 'api', repository: p.repository, number: p.number, title: p.title ?? null, author: p.author ?? null,
        opened_at: p.opened_at, first_review_at: p.first_review_at ?? null, merged_at: p.merged_at ?? null,
        merge_commit_sha: p.merge_commit_sha ?? null, commit_shas: p.commit_shas ?? [], url: p.url ?? null, payload: JSON.stringify(p),
      })))
      .onConflict((oc) => oc.columns(['repository', 'number']).doUpdateSet((eb) => ({
        source: eb.ref('excluded.source'), title: eb.ref('excluded.title'), author: eb.ref('excluded.author'),
        opened_at: eb.ref('excluded.opened_at'), first_review_at: eb.ref('excluded.first_review_at'), merged_at: eb.ref('excluded.merged_at'),
        merge_commit_sha: eb.ref('excluded.merge_commit_sha'), commit_shas: eb.ref('excluded.commit_shas'), url: eb.ref('excluded.url'),
        payload: eb.ref('excluded.payload'), updated_at: sql`now()`,
      })).where(sql<boolean>`pull_requests.payload is distinct from excluded.payload`))
      .returning(['repository', insertedFlag])
      .execute();
    rows.forEach((r) => touched.add(r.repository));
    parts.push(tally(rows));
  }
  for (const id of await servicesOfRepositories(trx, [...touched])) affected.add(id);
  return sum(parts);
}

async function upsertDeployments(trx: Trx, deployments: DeploymentRecord[], affected: Set<string>) {
  const parts = [];
  for (const chunk of chunks(deployments)) {
    // A deployment that moved to another service leaves a hole in the old one's history.
    const previous = await trx
      .selectFrom('deployments')
      .select('service_id')
      .where(sql<boolean>`(source, external_id) in (select * from unnest(${chunk.map((d) => d.source)}::text[], ${chunk.map((d) => d.external_id)}::text[]))`)
      .execute();
    const rows = await trx
      .insertInto('deployments')
      .values(chunk.map((d) => ({
        source: d.source, external_id: d.external_id, service_id: d.service, environment: d.environment, status: d.status,
        started_at: d.started_at ?? null, finished_at: d.finished_at, commit_sha: d.commit_sha ?? null, ref: d.ref ?? null,
        labels: d.labels ?? [], url: d.url ?? null, is_production: false, payload: JSON.stringify(d),
      })))
      .onConflict((oc) => oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
        service_id: eb.ref('excluded.service_id'), environment: eb.ref('excluded.environment'), status: eb.ref('excluded.status'),
        started_at: eb.ref('excluded.started_at'), finished_at: eb.ref('excluded.finished_at'), commit_sha: eb.ref('excluded.commit_sha'),
        ref: eb.ref('excluded.ref'), labels: eb.ref('excluded.labels'), url: eb.ref('excluded.url'),
        payload: eb.ref('excluded.payload'), updated_at: sql`now()`,
      })).where(sql<boolean>`deployments.payload is distinct from excluded.payload`))
      .returning(['service_id', insertedFlag])
      .execute();
    if (rows.length) previous.forEach((r) => affected.add(r.service_id));
    rows.forEach((r) => affected.add(r.service_id));
    parts.push(tally(rows));
  }
  return sum(parts);
}

async function upsertIncidents(trx: Trx, incidents: IncidentRecord[], affected: Set<string>, anchors: Anchor[]) {
  const parts = [];
  const linkedDeployments = new Set<string>();
  for (const chunk of chunks(incidents)) {
    const keys = sql<boolean>`(source, external_id) in (select * from unnest(${chunk.map((i) => i.source)}::text[], ${chunk.map((i) => i.external_id)}::text[]))`;
    const previous = await trx
      .selectFrom('incidents')
      .select(['service_id', 'created_at', 'resolved_at', 'deployment_external_id', 'resolved_by_deployment_external_id'])
      .where(keys)
      .execute();
    const rows = await trx
      .insertInto('incidents')
      .values(chunk.map((i) => ({
        source: i.source, external_id: i.external_id, service_id: i.service, severity: i.severity, title: i.title,
        created_at: i.created_at, started_at: i.started_at ?? null, acknowledged_at: i.acknowledged_at ?? null,
        resolved_at: i.resolved_at ?? null, deployment_external_id: i.deployment_external_id ?? null,
        cause_commit_sha: i.cause_commit_sha ?? null, resolved_by_deployment_external_id: i.resolved_by_deployment_external_id ?? null,
        root_cause_key: i.root_cause_key ?? null, url: i.url ?? null, payload: JSON.stringify(i),
      })))
      .onConflict((oc) => oc.columns(['source', 'external_id']).doUpdateSet((eb) => ({
        service_id: eb.ref('excluded.service_id'), severity: eb.ref('excluded.severity'), title: eb.ref('excluded.title'),
        created_at: eb.ref('excluded.created_at'), started_at: eb.ref('excluded.started_at'), acknowledged_at: eb.ref('excluded.acknowledged_at'),
        resolved_at: eb.ref('excluded.resolved_at'), deployment_external_id: eb.ref('excluded.deployment_external_id'),
        cause_commit_sha: eb.ref('excluded.cause_commit_sha'), resolved_by_deployment_external_id: eb.ref('excluded.resolved_by_deployment_external_id'),
        root_cause_key: eb.ref('excluded.root_cause_key'), url: eb.ref('excluded.url'), payload: eb.ref('excluded.payload'), updated_at: sql`now()`,
      })).where(sql<boolean>`incidents.payload is distinct from excluded.payload`))
      .returning(['service_id', 'created_at', 'resolved_at', 'deployment_external_id', 'resolved_by_deployment_external_id', insertedFlag])
      .execute();
    parts.push(tally(rows));
    if (!rows.length) continue;
    // Time to restore reads incidents directly: their old and new anchors are dirty.
    for (const row of [...previous, ...rows]) {
      affected.add(row.service_id);
      anchors.push({ serviceId: row.service_id, at: row.created_at });
      if (row.resolved_at) anchors.push({ serviceId: row.service_id, at: row.resolved_at });
      if (row.deployment_external_id) linkedDeployments.add(row.deployment_external_id);
      if (row.resolved_by_deployment_external_id) linkedDeployments.add(row.resolved_by_deployment_external_id);
    }
  }
  if (linkedDeployments.size) {
    const owners = await trx.selectFrom('deployments').select('service_id').distinct().where('external_id', 'in', [...linkedDeployments]).execute();
    owners.forEach((o) => affected.add(o.service_id));
  }
  return sum(parts);
}
