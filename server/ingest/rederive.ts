// Loads one service's history, re-runs the pure derivation (derive.ts) and stores what
// changed: only facts that actually changed are written and mark their cells dirty.
import { sql, type Transaction } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Database } from '../db/schema.js';
import { CommitGraph } from './commit-graph.js';
import { deriveServiceFacts, type DerivedChange, type DerivedFacts } from './derive.js';
import { markAnchorsDirty, type Anchor } from './dirty.js';

type Trx = Transaction<Database>;

export async function rederiveServices(trx: Trx, serviceIds: Iterable<string>, org: OrgConfig): Promise<void> {
  const rules = {
    implicitFailureLinkage: org.implicitFailureLinkage,
    reworkResolutionWindowMinutes: org.rework.resolutionWindowMinutes,
    hotfixRefPattern: org.rework.hotfixRefPattern,
    hotfixLabels: org.rework.hotfixLabels,
  };
  for (const serviceId of new Set(serviceIds)) {
    await rederiveService(trx, serviceId, rules, org.timeZone);
  }
}

async function rederiveService(trx: Trx, serviceId: string, rules: Parameters<typeof deriveServiceFacts>[0]['rules'], timeZone: string) {
  const service = await trx.selectFrom('services').select(['production_environment']).where('id', '=', serviceId).executeTakeFirst();
  if (!service) return;
  // Production = the service's environment rule and a successful final status (KPIS.md).
  await sql`
    update deployments set is_production = (environment ~* ${service.production_environment} and status = 'success')
    where service_id = ${serviceId} and is_production is distinct from (environment ~* ${service.production_environment} and status = 'success')`.execute(trx);

  const deployments = await trx
    .selectFrom('deployments')
    .select(['id', 'external_id', 'finished_at', 'commit_sha', 'ref', 'labels'])
    .where('service_id', '=', serviceId)
    .where('is_production', '=', true)
    .execute();
  const externalIds = deployments.map((d) => d.external_id);
  const incidents = await trx
    .selectFrom('incidents')
    .select(['id', 'service_id', 'created_at', 'started_at', 'resolved_at', 'deployment_external_id', 'cause_commit_sha', 'resolved_by_deployment_external_id'])
    .where((eb) =>
      eb.or([
        eb('service_id', '=', serviceId),
        ...(externalIds.length
          ? [eb('deployment_external_id', 'in', externalIds), eb('resolved_by_deployment_external_id', 'in', externalIds)]
          : []),
      ]),
    )
    .execute();
  const repositories = (await trx.selectFrom('service_repositories').select('repository').where('service_id', '=', serviceId).execute()).map((r) => r.repository);
  const commits = repositories.length
    ? await trx.selectFrom('commits').select(['repository', 'sha', 'parents', 'authored_at']).where('repository', 'in', repositories).execute()
    : [];
  const pullRequests = repositories.length
    ? await trx.selectFrom('pull_requests').select(['repository', 'number', 'merge_commit_sha', 'commit_shas']).where('repository', 'in', repositories).where('merged_at', 'is not', null).execute()
    : [];

  const derived = deriveServiceFacts({
    serviceId,
    deployments: deployments.map((d) => ({
      id: d.id, externalId: d.external_id, finishedAt: d.finished_at, commitSha: d.commit_sha?.toLowerCase() ?? null, ref: d.ref, labels: d.labels,
    })),
    incidents: incidents.map((i) => ({
      id: i.id, serviceId: i.service_id, createdAt: i.created_at, startedAt: i.started_at, resolvedAt: i.resolved_at,
      deploymentExternalId: i.deployment_external_id, causeCommitSha: i.cause_commit_sha,
      resolvedByDeploymentExternalId: i.resolved_by_deployment_external_id,
    })),
    pullRequests: pullRequests.map((p) => ({ repository: p.repository, number: p.number, mergeCommitSha: p.merge_commit_sha, commitShas: p.commit_shas })),
    graph: new CommitGraph(commits.map((c) => ({ repository: c.repository, sha: c.sha, parents: c.parents, authoredAt: c.authored_at }))),
    rules,
  });

  const oldFacts = await trx.selectFrom('deployment_facts').selectAll().where('service_id', '=', serviceId).execute();
  const oldChanges = await trx.selectFrom('deployment_changes').selectAll().where('service_id', '=', serviceId).execute();
  const factKey = (f: DerivedFacts) => JSON.stringify([f.deploymentId, f.finishedAt.toISOString(), f.previousDeploymentId, f.shippedBasis, f.changeCount, f.isFailed, f.failureReason, f.failureIncidentIds, f.rolledBackByDeploymentId, f.recoveredAt?.toISOString() ?? null, f.isRework, f.reworkReason, f.reworkIncidentId]);
  const changeKey = (c: DerivedChange) => JSON.stringify([c.deploymentId, c.repository, c.sha, c.authoredAt.toISOString(), c.deployedAt.toISOString(), c.leadTimeSeconds, c.pullRequestNumber]);
  const oldFactObjects: DerivedFacts[] = oldFacts.map((f) => ({
    deploymentId: f.deployment_id, finishedAt: f.finished_at, previousDeploymentId: f.previous_deployment_id, shippedBasis: f.shipped_basis,
    changeCount: f.change_count, isFailed: f.is_failed, failureReason: f.failure_reason, failureIncidentIds: f.failure_incident_ids,
    rolledBackByDeploymentId: f.rolled_back_by_deployment_id, recoveredAt: f.recovered_at, isRework: f.is_rework,
    reworkReason: f.rework_reason, reworkIncidentId: f.rework_incident_id,
  }));
  const oldChangeObjects: DerivedChange[] = oldChanges.map((c) => ({
    deploymentId: c.deployment_id, repository: c.repository, sha: c.sha, authoredAt: c.authored_at, deployedAt: c.deployed_at,
    leadTimeSeconds: c.lead_time_seconds, pullRequestNumber: c.pull_request_number,
  }));
  const newFactKeys = new Set(derived.facts.map(factKey));
  const oldFactKeys = new Set(oldFactObjects.map(factKey));
  const newChangeKeys = new Set(derived.changes.map(changeKey));
  const oldChangeKeys = new Set(oldChangeObjects.map(changeKey));
  const anchors: Anchor[] = [];
  const factAnchors = (f: DerivedFacts) => {
    anchors.push({ serviceId, at: f.finishedAt });
    if (f.recoveredAt) anchors.push({ serviceId, at: f.recoveredAt });
  };
  for (const f of derived.facts) if (!oldFactKeys.has(factKey(f))) factAnchors(f);
  for (const f of oldFactObjects) if (!newFactKeys.has(factKey(f))) factAnchors(f);
  for (const c of derived.changes) if (!oldChangeKeys.has(changeKey(c))) anchors.push({ serviceId, at: c.deployedAt });
  for (const c of oldChangeObjects) if (!newChangeKeys.has(changeKey(c))) anchors.push({ serviceId, at: c.deployedAt });
  if (!anchors.length) return;

  // Write only the difference: a new week touches a handful of a service's facts, not its history.
  const goneFacts = oldFactObjects.filter((f) => !newFactKeys.has(factKey(f)));
  const goneChanges = oldChangeObjects.filter((c) => !newChangeKeys.has(changeKey(c)));
  const addedFacts = derived.facts.filter((f) => !oldFactKeys.has(factKey(f)));
  const addedChanges = derived.changes.filter((c) => !oldChangeKeys.has(changeKey(c)));
  for (let i = 0; i < goneChanges.length; i += 5000) {
    const chunk = goneChanges.slice(i, i + 5000);
    await sql`delete from deployment_changes where service_id = ${serviceId}
      and (repository, sha) in (select * from unnest(${chunk.map((c) => c.repository)}::text[], ${chunk.map((c) => c.sha)}::text[]))`.execute(trx);
  }
  for (let i = 0; i < goneFacts.length; i += 5000) {
    await trx.deleteFrom('deployment_facts').where('deployment_id', 'in', goneFacts.slice(i, i + 5000).map((f) => f.deploymentId)).execute();
  }
  // One JSON parameter per statement (json_populate_recordset reads the table's own types):
  // a VALUES list of rows × columns parameters costs more to build and parse than the insert.
  for (let i = 0; i < addedFacts.length; i += 5000) {
    const rows = addedFacts.slice(i, i + 5000).map((f) => ({
      deployment_id: f.deploymentId, service_id: serviceId, finished_at: f.finishedAt, previous_deployment_id: f.previousDeploymentId,
      shipped_basis: f.shippedBasis, change_count: f.changeCount, is_failed: f.isFailed, failure_reason: f.failureReason,
      failure_incident_ids: f.failureIncidentIds, rolled_back_by_deployment_id: f.rolledBackByDeploymentId, recovered_at: f.recoveredAt,
      is_rework: f.isRework, rework_reason: f.reworkReason, rework_incident_id: f.reworkIncidentId,
    }));
    await insertJsonRows(trx, 'deployment_facts', rows);
  }
  for (let i = 0; i < addedChanges.length; i += 5000) {
    const rows = addedChanges.slice(i, i + 5000).map((c) => ({
      deployment_id: c.deploymentId, service_id: serviceId, repository: c.repository, sha: c.sha, authored_at: c.authoredAt,
      deployed_at: c.deployedAt, lead_time_seconds: c.leadTimeSeconds, pull_request_number: c.pullRequestNumber,
    }));
    await insertJsonRows(trx, 'deployment_changes', rows);
  }
  await markAnchorsDirty(trx, anchors, timeZone);
}

async function insertJsonRows(trx: Trx, table: 'deployment_facts' | 'deployment_changes', rows: Record<string, unknown>[]): Promise<void> {
  const columns = sql.join(Object.keys(rows[0]!).map((column) => sql.ref(column)));
  await sql`insert into ${sql.table(table)} (${columns})
    select ${columns} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`.execute(trx);
}
