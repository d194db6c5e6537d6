// The shapes every source is translated into (connectors, the push API and file import
// all produce these), and the Connector interface later connectors implement.
// The server imports this module; this module never imports the server.
import { Type, type Static } from 'typebox';

const Timestamp = (description: string) =>
  Type.String({ format: 'date-time', description: `${description} ISO 8601 with a zone (Z or ±hh:mm).` });
const OptionalTimestamp = (description: string) => Type.Optional(Type.Union([Timestamp(description), Type.Null()]));
const OptionalText = (description: string, extra: Record<string, unknown> = {}) =>
  Type.Optional(Type.Union([Type.String({ minLength: 1, description, ...extra }), Type.Null()]));
const Sha = (description: string) => Type.String({ pattern: '^[0-9a-fA-F]{7,64}$', description });
const Id = (description: string) => Type.String({ minLength: 1, maxLength: 500, description });

export const DeploymentRecord = Type.Object(
  {
    source: Id('Tool that reported the deployment (e.g. github, argo, jenkins).'),
    external_id: Id("The deployment's id in that tool; (source, external_id) is the upsert key."),
    service: Id('Service id from bellwether.yaml.'),
    environment: Type.String({ minLength: 1, maxLength: 200, description: "Environment name; matched against the service's production rule." }),
    status: Type.Union(
      [
        Type.Literal('success'), Type.Literal('failure'), Type.Literal('error'), Type.Literal('cancelled'),
        Type.Literal('in_progress'), Type.Literal('queued'), Type.Literal('skipped'),
      ],
      { description: 'Final (or current) status; only success counts as a production deployment.' },
    ),
    finished_at: Timestamp('When the deployment finished.'),
    started_at: OptionalTimestamp('When the deployment started.'),
    commit_sha: Type.Optional(Type.Union([Sha('Commit that was deployed.'), Type.Null()])),
    ref: OptionalText('Branch or tag deployed; used by the hotfix rule of rework rate.'),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100, description: 'Free labels; used by the hotfix rule.' })),
    url: OptionalText('Link to the deployment in its tool.', { format: 'uri' }),
  },
  { title: 'Deployment', additionalProperties: true },
);
export type DeploymentRecord = Static<typeof DeploymentRecord>;

export const CommitRecord = Type.Object(
  {
    repository: Id('Repository, e.g. acme/payments-api; must belong to a configured service.'),
    sha: Sha('Full commit sha.'),
    parents: Type.Array(Sha('Parent sha.'), { maxItems: 64, description: 'Parent shas (empty for a root commit).' }),
    authored_at: Timestamp('Author date; lead time starts here.'),
    committed_at: Timestamp('Committer date.'),
    source: Type.Optional(Id('Where the commit came from (default: api).')),
    author: OptionalText('Author name; shown only inside drill-down lists.'),
    message: Type.Optional(Type.Union([Type.String({ maxLength: 100000 }), Type.Null()])),
  },
  { title: 'Commit', additionalProperties: true },
);
export type CommitRecord = Static<typeof CommitRecord>;

export const PullRequestRecord = Type.Object(
  {
    repository: Id('Repository, e.g. acme/payments-api; must belong to a configured service.'),
    number: Type.Integer({ minimum: 1, description: 'Pull request number; (repository, number) is the upsert key.' }),
    opened_at: Timestamp('When the pull request was opened.'),
    merged_at: OptionalTimestamp('When it was merged (absent or null while open).'),
    merge_commit_sha: Type.Optional(Type.Union([Sha('Commit the merge produced.'), Type.Null()])),
    first_review_at: OptionalTimestamp('First review by someone other than the author.'),
    commit_shas: Type.Optional(Type.Array(Sha('Commit sha.'), { maxItems: 10000 })),
    source: Type.Optional(Id('Where the pull request came from (default: api).')),
    title: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    author: OptionalText('Author; shown only inside drill-down lists.'),
    url: OptionalText('Link to the pull request.', { format: 'uri' }),
  },
  { title: 'Pull request', additionalProperties: true },
);
export type PullRequestRecord = Static<typeof PullRequestRecord>;

export const IncidentRecord = Type.Object(
  {
    source: Id('Tool that reported the incident (pagerduty, opsgenie, …).'),
    external_id: Id("The incident's id in that tool; (source, external_id) is the upsert key."),
    service: Id('Service id from bellwether.yaml.'),
    severity: Type.String({
      pattern: '^([Ss][Ee][Vv][1-5]|[Pp][1-5]|[1-5])$',
      description: 'sev1..sev5 (P1..P5 and 1..5 are accepted and normalised; sev1 is the most severe).',
    }),
    title: Type.String({ minLength: 1, maxLength: 2000 }),
    created_at: Timestamp('When the incident was opened.'),
    started_at: OptionalTimestamp('When impact started, if the tool knows (time to restore starts here when given).'),
    acknowledged_at: OptionalTimestamp('First acknowledgement.'),
    resolved_at: OptionalTimestamp('When service was restored.'),
    deployment_external_id: OptionalText('external_id of the deployment that caused it (explicit link).'),
    cause_commit_sha: Type.Optional(Type.Union([Sha('Commit that caused it; links to the deployment that shipped it.'), Type.Null()])),
    resolved_by_deployment_external_id: OptionalText('external_id of the deployment that fixed it (counts as rework).'),
    root_cause_key: OptionalText('Stable key of the root cause, for recurrence.'),
    url: OptionalText('Link to the incident.', { format: 'uri' }),
    urgency: Type.Optional(Type.Union([Type.Literal('high'), Type.Literal('low'), Type.Null()], {
      description: 'Paging urgency where the tool has one (PagerDuty): a page is a high-urgency or sev1–2 incident.',
    })),
    dedup_key: OptionalText("The tool's grouping key (PagerDuty incident_key, Opsgenie alias); recurrence falls back to it without a root-cause key.", { maxLength: 500 }),
    status_changed_at: OptionalTimestamp(
      "When the tool last changed the incident's status (triggered, acknowledged, resolved, reopened). A webhook event older than the stored status does not undo it.",
    ),
    cause_pull_request: Type.Optional(Type.Union([
      Type.String({ pattern: '^[^#\\s]+/[^#\\s]+#[1-9][0-9]*$', maxLength: 500, description: 'Pull request that caused it, as owner/repo#number; links to the deployment that shipped its merge commit.' }),
      Type.Null(),
    ])),
  },
  { title: 'Incident', additionalProperties: true },
);
export type IncidentRecord = Static<typeof IncidentRecord>;

export const INCIDENT_EVENT_TYPES = ['triggered', 'acknowledged', 'unacknowledged', 'resolved', 'reopened', 'updated'] as const;
export type IncidentEventType = (typeof INCIDENT_EVENT_TYPES)[number];

/**
 * One change to an incident, as a webhook reports it (PagerDuty v3, Opsgenie). A webhook
 * carries what happened and when, and only part of the incident; the ingest layer merges it
 * into the stored incident (server/ingest/incident-events.ts) so that events arriving out of
 * order end in the same state as events in order.
 */
export interface IncidentEvent {
  source: string;
  /** The event's own id in its tool: a redelivery carries the same one. */
  event_id: string;
  incident_external_id: string;
  /** `updated`: a change of attributes only (priority, service, title), not of status. */
  type: IncidentEventType;
  /** ISO 8601 with a zone: when it happened in the tool, not when it was delivered. */
  occurred_at: string;
  /**
   * What the payload says of the incident itself, already translated (service mapped to a
   * Bellwether service id, severity normalised). Absent fields are unknown, not cleared.
   * `created_at` is absent when the payload lacks it (older PagerDuty payloads).
   */
  incident: Partial<Pick<IncidentRecord, 'service' | 'severity' | 'title' | 'created_at' | 'urgency' | 'dedup_key' | 'url'>>;
}

export const CiRunRecord = Type.Object(
  {
    source: Id('CI system (github-actions, gitlab-ci, jenkins, …).'),
    external_id: Id("The run's id in that system (one attempt of a re-run is one run: e.g. <run id>:<attempt>); (source, external_id) is the upsert key."),
    repository: Id('Repository, e.g. acme/payments-api; must belong to a configured service.'),
    workflow: Type.String({ minLength: 1, maxLength: 500, description: 'Workflow or pipeline name.' }),
    branch: OptionalText('Branch the run built (head branch).', { maxLength: 500 }),
    event: OptionalText('What started it (push, pull_request, schedule, …).', { maxLength: 100 }),
    commit_sha: Type.Optional(Type.Union([Sha('Commit the run built.'), Type.Null()])),
    status: Type.Union(
      [
        Type.Literal('success'), Type.Literal('failure'), Type.Literal('cancelled'), Type.Literal('skipped'),
        Type.Literal('neutral'), Type.Literal('in_progress'), Type.Literal('queued'),
      ],
      { description: 'Outcome (or current state); build health counts success / (success + failure).' },
    ),
    started_at: OptionalTimestamp('When the run started (a re-run: when this attempt started).'),
    finished_at: OptionalTimestamp('When it finished (absent while it runs).'),
    url: OptionalText('Link to the run.', { format: 'uri' }),
  },
  { title: 'CI run', additionalProperties: true },
);
export type CiRunRecord = Static<typeof CiRunRecord>;

export const BugRecord = Type.Object(
  {
    source: Id('Issue tracker that reported the bug (github, jira, linear, …).'),
    external_id: Id("The bug's id in that tracker (e.g. acme/payments-api#123); (source, external_id) is the upsert key."),
    service: Id('Service id from bellwether.yaml the bug is in.'),
    repository: OptionalText('Repository the bug was filed in, e.g. acme/payments-api (informational: the service scopes the bug).', { maxLength: 500 }),
    title: Type.String({ minLength: 1, maxLength: 2000 }),
    severity: Type.String({
      pattern: '^([Ss][Ee][Vv][1-5]|[Pp][1-5]|[1-5])$',
      description: 'sev1..sev5 (P1..P5 and 1..5 are accepted and normalised; sev1 is the most severe). Escaped defects weight each bug by it.',
    }),
    created_at: Timestamp('When the bug was reported; escaped defects count it in this period.'),
    closed_at: OptionalTimestamp('When it was closed (absent or null while open).'),
    found_in_production: Type.Boolean({
      description: 'True when the bug was found in production (an escaped defect), false when it was caught before release (review, CI, staging, QA).',
    }),
    url: OptionalText('Link to the bug.', { format: 'uri' }),
    labels: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 100, description: "The tracker's labels, as they were." })),
  },
  { title: 'Bug', additionalProperties: true },
);
export type BugRecord = Static<typeof BugRecord>;

export const RECORD_KINDS = ['deployment', 'commit', 'pull_request', 'incident', 'ci_run', 'bug'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const recordSchemas = {
  deployment: DeploymentRecord,
  commit: CommitRecord,
  pull_request: PullRequestRecord,
  incident: IncidentRecord,
  ci_run: CiRunRecord,
  bug: BugRecord,
} as const;

/** A record in the normalized form the ingest layer accepts, tagged with its kind. */
export type NormalizedRecord =
  | { kind: 'deployment'; record: DeploymentRecord }
  | { kind: 'commit'; record: CommitRecord }
  | { kind: 'pull_request'; record: PullRequestRecord }
  | { kind: 'incident'; record: IncidentRecord }
  | { kind: 'ci_run'; record: CiRunRecord }
  | { kind: 'bug'; record: BugRecord };

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A connector's unit of incremental work, e.g. one repository × one kind of record. */
export interface StreamKey {
  connector: string;
  stream: string;
}

/** Records plus the cursor that becomes valid once they are stored (one transaction). */
export interface Batch<C> {
  records: NormalizedRecord[];
  cursor: C;
}

/** Counters a connector keeps while it pulls; the sync runner records them in `sync_runs`. */
export interface SyncMetrics {
  /** HTTP requests made, retries included. */
  requests: number;
  /** Of those, answered 304 Not Modified (free of the rate limit where the tool says so). */
  notModified: number;
  /** The rate-limit budget left, as the tool's last answer said (GitHub: x-ratelimit-remaining), when it says. */
  rateLimitRemaining?: number;
}

export interface SyncContext {
  now: Date;
  signal: AbortSignal;
  log: Logger;
  metrics: SyncMetrics;
  /** Backfill start when the stream has no cursor yet (`bellwether sync --since`). */
  since?: Date;
}

/**
 * One source (GitHub, PagerDuty, …). Translates, never computes, never touches the DB:
 * it yields batches in source order and the ingest layer stores each batch with its cursor.
 */
export interface Connector<C extends JsonValue = JsonValue, S = unknown> {
  /** Stored as `source` on the records it produces. */
  readonly id: string;
  /**
   * The streams to pull. The runner asks again once it has pulled every stream listed, until
   * nothing new is listed: pulling a stream may make more known (an organisation's repositories).
   */
  streams(config: S): StreamKey[];
  pull(stream: StreamKey, cursor: C | undefined, ctx: SyncContext): AsyncIterable<Batch<C>>;
}
