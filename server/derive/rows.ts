// Stored rows as the derivation's inputs and outputs, shared by the whole-history reader
// (rederive.ts) and the window reader (window.ts).
import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DeploymentInput, DerivedChange, DerivedFacts, IncidentInput } from './derive.js';

/**
 * A timestamp as epoch milliseconds, truncated to the millisecond as pg and PGlite truncate it
 * into a Date (so keys match the rows read as Dates); rounded after, as extract() was a float before Postgres 14.
 */
export const epochMs = (column: string): RawBuilder<number> => sql<number>`round(extract(epoch from date_trunc('milliseconds', ${sql.ref(column)})) * 1000)`;

export const factOfRow = (f: Selectable<Database['deployment_facts']>): DerivedFacts => ({
  deploymentId: f.deployment_id, finishedAt: f.finished_at, previousDeploymentId: f.previous_deployment_id, shippedBasis: f.shipped_basis,
  changeCount: f.change_count, isFailed: f.is_failed, failureReason: f.failure_reason, failureIncidentIds: f.failure_incident_ids,
  failureLinkReasons: f.failure_link_reasons as DerivedFacts['failureLinkReasons'],
  rolledBackByDeploymentId: f.rolled_back_by_deployment_id, recoveredAt: f.recovered_at, isRework: f.is_rework,
  reworkReason: f.rework_reason, reworkIncidentId: f.rework_incident_id,
});

/** The deployments columns a derivation reads. */
export const DEPLOYMENT_INPUT_COLUMNS = ['service_id', 'id', 'external_id', 'finished_at', 'commit_sha', 'ref', 'labels'] as const;
export type DeploymentRow = Pick<Selectable<Database['deployments']>, (typeof DEPLOYMENT_INPUT_COLUMNS)[number]>;

export const deploymentOfRow = (d: DeploymentRow): DeploymentInput => ({
  id: d.id, externalId: d.external_id, finishedAt: d.finished_at, commitSha: d.commit_sha?.toLowerCase() ?? null, ref: d.ref, labels: d.labels,
});

/** The incidents columns a derivation reads. */
export const INCIDENT_INPUT_COLUMNS = [
  'id', 'service_id', 'created_at', 'started_at', 'resolved_at', 'deployment_external_id', 'cause_commit_sha', 'cause_pull_request', 'cause_set_via',
  'resolved_by_deployment_external_id',
] as const;
export type IncidentRow = Pick<Selectable<Database['incidents']>, (typeof INCIDENT_INPUT_COLUMNS)[number]>;

export const incidentOfRow = (i: IncidentRow): IncidentInput => ({
  id: i.id, serviceId: i.service_id, createdAt: i.created_at, startedAt: i.started_at, resolvedAt: i.resolved_at,
  deploymentExternalId: i.deployment_external_id, causeCommitSha: i.cause_commit_sha,
  // Compared with owner/repo#number keys built in lower case (derive.ts): repository names are not case-sensitive on the forges.
  causePullRequest: i.cause_pull_request?.toLowerCase() ?? null, causeSetViaApi: i.cause_set_via === 'api',
  resolvedByDeploymentExternalId: i.resolved_by_deployment_external_id,
});

/** deployment_changes read as one JSON array of tuples (a chunk can hold 200k rows): the columns, then the parser. */
export const changeTupleColumns = sql`json_build_array(deployment_id, repository, sha, ${epochMs('authored_at')}, ${epochMs('deployed_at')}, lead_time_seconds, pull_request_number)`;
export type ChangeTuple = [number, string, string, number, number, number, number | null];
export const changeOfTuple = ([deploymentId, repository, sha, authoredAt, deployedAt, leadTimeSeconds, pullRequestNumber]: ChangeTuple): DerivedChange => ({
  deploymentId, repository, sha, authoredAt: new Date(authoredAt), deployedAt: new Date(deployedAt), leadTimeSeconds, pullRequestNumber,
});
