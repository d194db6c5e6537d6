// Table interfaces mirroring migrations/ exactly (snake_case, as in SQL). Timestamps are
// written as Date or ISO strings and read back as Date; `date` columns are always read
// through `::text` casts because drivers disagree on them.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type DateText = ColumnType<string, string, string>;
type Json<T = unknown> = ColumnType<T, string, string>;
type WriteTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface TeamsTable {
  id: string;
  name: string;
  time_zone: string | null;
}
export interface TeamParentsTable {
  team_id: string;
  parent_id: string | null;
  valid_from: Timestamp;
  valid_to: Timestamp;
}
export interface ServicesTable {
  id: string;
  name: string;
  production_environment: string;
}
export interface ServiceOwnersTable {
  service_id: string;
  team_id: string;
  valid_from: Timestamp;
  valid_to: Timestamp;
}
export interface ServiceRepositoriesTable {
  service_id: string;
  repository: string;
}
export interface ScopeMembersTable {
  scope_type: 'org' | 'team' | 'service';
  scope_id: string;
  service_id: string;
  valid_from: Timestamp;
  valid_to: Timestamp;
}
export interface OrgSettingsTable {
  key: string;
  value: Json;
  updated_at: WriteTimestamp;
}

export interface DeploymentsTable {
  id: Generated<number>;
  source: string;
  external_id: string;
  service_id: string;
  environment: string;
  status: string;
  started_at: NullableTimestamp;
  finished_at: Timestamp;
  commit_sha: string | null;
  ref: string | null;
  labels: ColumnType<string[], string[] | undefined, string[]>;
  url: string | null;
  is_production: boolean;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}
export interface CommitsTable {
  id: Generated<number>;
  source: string;
  repository: string;
  sha: string;
  parents: string[];
  authored_at: Timestamp;
  committed_at: Timestamp;
  author: string | null;
  message: string | null;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}
export interface PullRequestsTable {
  id: Generated<number>;
  source: string;
  repository: string;
  number: number;
  title: string | null;
  author: string | null;
  opened_at: Timestamp;
  first_review_at: NullableTimestamp;
  merged_at: NullableTimestamp;
  merge_commit_sha: string | null;
  commit_shas: ColumnType<string[], string[] | undefined, string[]>;
  url: string | null;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}
export interface IncidentsTable {
  id: Generated<number>;
  source: string;
  external_id: string;
  service_id: string;
  severity: string;
  title: string;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  acknowledged_at: NullableTimestamp;
  resolved_at: NullableTimestamp;
  deployment_external_id: string | null;
  cause_commit_sha: string | null;
  resolved_by_deployment_external_id: string | null;
  root_cause_key: string | null;
  url: string | null;
  urgency: 'high' | 'low' | null;
  dedup_key: string | null;
  status_changed_at: NullableTimestamp;
  cause_pull_request: string | null;
  cause_set_via: 'api' | null;
  /** Generated: the recurrence key (migration 0006). */
  fingerprint: ColumnType<string, never, never>;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}

export interface CiRunsTable {
  id: Generated<number>;
  source: string;
  external_id: string;
  repository: string;
  workflow: string;
  branch: string | null;
  event: string | null;
  commit_sha: string | null;
  status: string;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  url: string | null;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}

export interface BugsTable {
  id: Generated<number>;
  source: string;
  external_id: string;
  service_id: string;
  repository: string | null;
  title: string;
  severity: string;
  created_at: Timestamp;
  closed_at: NullableTimestamp;
  found_in_production: boolean;
  url: string | null;
  labels: ColumnType<string[], string[] | undefined, string[]>;
  payload: Json;
  ingested_at: WriteTimestamp;
  updated_at: WriteTimestamp;
}

export type FailureReason = 'incident_link' | 'rollback' | 'implicit_incident';
/** How an incident is linked to the failed deployment: which explicit field named it (api: set by a person), or the implicit rule. */
export type FailureLinkReason = 'deployment_id' | 'commit' | 'pull_request' | 'api:deployment_id' | 'api:commit' | 'api:pull_request' | 'implicit';
export type ReworkReason = 'incident_fix_link' | 'resolved_incident' | 'hotfix_rule';
export type ShippedBasis = 'graph' | 'pull_request' | 'deploy_commit' | 'unknown';

export interface DeploymentFactsTable {
  deployment_id: number;
  service_id: string;
  finished_at: Timestamp;
  previous_deployment_id: number | null;
  shipped_basis: ShippedBasis;
  change_count: number;
  is_failed: boolean;
  failure_reason: FailureReason | null;
  failure_incident_ids: ColumnType<number[], number[] | undefined, number[]>;
  /** Why each of failure_incident_ids is linked (same order): FailureLinkReason. */
  failure_link_reasons: ColumnType<string[], string[] | undefined, string[]>;
  rolled_back_by_deployment_id: number | null;
  recovered_at: NullableTimestamp;
  is_rework: boolean;
  rework_reason: ReworkReason | null;
  rework_incident_id: number | null;
}
export interface DeploymentChangesTable {
  deployment_id: number;
  service_id: string;
  repository: string;
  sha: string;
  authored_at: Timestamp;
  deployed_at: Timestamp;
  lead_time_seconds: number;
  pull_request_number: number | null;
}

export interface KpiValuesTable {
  kpi_key: string;
  scope_type: 'org' | 'team' | 'service';
  scope_id: string;
  period_type: 'week' | 'month' | 'quarter';
  period_start: DateText;
  value: number | null;
  n: number;
  details: Json<Record<string, unknown>>;
  computed_at: Timestamp;
  /** The engine's hash of value, n and details (stored-cells.ts), int8 read as text; null for a cell written before hashes were kept. */
  content_hash: ColumnType<string | null, string | null | undefined, string | null>;
}
export interface DirtyPeriodsTable {
  service_id: string;
  period_type: 'week' | 'month' | 'quarter';
  period_start: DateText;
}
/** A service whose facts must be re-derived from `from_at` on ('-infinity': its whole history). */
export interface DerivationQueueTable {
  service_id: string;
  from_at: Timestamp;
}
export interface CommitMissingParentsTable {
  repository: string;
  sha: string;
  earliest_child_at: Timestamp;
}
export interface CommitTimeInversionsTable {
  repository: string;
}
export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  cells_recomputed: number | null;
  error: string | null;
}

/** One issued version of a month's report; `payload` is the report as it was sent. */
export interface ReportSnapshotsTable {
  id: Generated<number>;
  month: string;
  version: number;
  issued_at: Timestamp;
  reason: string;
  payload: Json;
}

/** A stream's high-water mark (connectors/contract.ts Batch.cursor), stored with its batch. */
export interface ConnectorCursorsTable {
  connector: string;
  stream: string;
  cursor: Json;
  updated_at: WriteTimestamp;
}
export interface SyncRunsTable {
  id: Generated<number>;
  connector: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  status: 'running' | 'succeeded' | 'failed';
  streams: ColumnType<number, number | undefined, number>;
  batches: ColumnType<number, number | undefined, number>;
  records: ColumnType<number, number | undefined, number>;
  inserted: ColumnType<number, number | undefined, number>;
  updated: ColumnType<number, number | undefined, number>;
  rejected: ColumnType<number, number | undefined, number>;
  requests: ColumnType<number, number | undefined, number>;
  not_modified: ColumnType<number, number | undefined, number>;
  error: string | null;
}
export interface WebhookDeliveriesTable {
  source: string;
  delivery_id: string;
  received_at: WriteTimestamp;
  event_type: string;
  subject: string | null;
  status: 'applied' | 'pending' | 'ignored';
  event: ColumnType<unknown, string | null, string | null>;
  body: Json;
}

export interface Database {
  teams: TeamsTable;
  team_parents: TeamParentsTable;
  services: ServicesTable;
  service_owners: ServiceOwnersTable;
  service_repositories: ServiceRepositoriesTable;
  scope_members: ScopeMembersTable;
  org_settings: OrgSettingsTable;
  deployments: DeploymentsTable;
  commits: CommitsTable;
  pull_requests: PullRequestsTable;
  incidents: IncidentsTable;
  ci_runs: CiRunsTable;
  bugs: BugsTable;
  deployment_facts: DeploymentFactsTable;
  deployment_changes: DeploymentChangesTable;
  kpi_values: KpiValuesTable;
  dirty_periods: DirtyPeriodsTable;
  derivation_queue: DerivationQueueTable;
  commit_missing_parents: CommitMissingParentsTable;
  commit_time_inversions: CommitTimeInversionsTable;
  job_runs: JobRunsTable;
  report_snapshots: ReportSnapshotsTable;
  connector_cursors: ConnectorCursorsTable;
  sync_runs: SyncRunsTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type DeploymentRow = Selectable<DeploymentsTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type CommitRow = Selectable<CommitsTable>;
export type PullRequestRow = Selectable<PullRequestsTable>;
export type NewDeploymentFacts = Insertable<DeploymentFactsTable>;
export type NewDeploymentChange = Insertable<DeploymentChangesTable>;
