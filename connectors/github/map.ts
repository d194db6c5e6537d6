// GitHub payloads → Bellwether's records (connectors/contract.ts). Pure: pull requests with
// their commits and reviews, commits, deployments with their statuses, Actions workflow runs,
// releases and tags, and incident issues. Webhook deliveries reuse these (webhook.ts), so a
// record is the same whichever way it arrived.
import type { BugRecord, CiRunRecord, CommitRecord, DeploymentRecord, IncidentRecord, NormalizedRecord, PullRequestRecord } from '../contract.js';
import { severityFromLabels, type ResolvedConfig, type ResolvedRule } from './config.js';
import type { Commit, Deployment, DeploymentStatus, Issue, PullRequest, Release, Review, Tag, WorkflowRun } from './payloads.js';

export const SOURCE = 'github';
/** CI runs carry the CI system as their source (contract: github-actions, gitlab-ci, …). */
export const CI_SOURCE = 'github-actions';
const TITLE_MAX_LENGTH = 2000;
const SHA = /^[0-9a-f]{40}$/i;

type WorkflowRuleOf = Extract<ResolvedRule, { kind: 'workflow' }>;
type ReleaseRuleOf = Extract<ResolvedRule, { kind: 'release' }>;
type DeploymentsRuleOf = Extract<ResolvedRule, { kind: 'github_deployments' }>;

/**
 * The same instant in one canonical form (UTC, milliseconds). GitHub writes `Z` in REST
 * bodies but offsets in some webhook fields; one form keeps a record identical whichever way
 * it came, so re-ingesting it is a no-op.
 */
export function instant(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}
const optionalInstant = (iso: string | null | undefined) => (iso ? instant(iso) : null);
const nonEmpty = (text: string | null | undefined) => (typeof text === 'string' && text.length > 0 ? text : null);

// ---------------------------------------------------------------- pull requests and commits

/**
 * The first review by someone other than the author: the earliest submitted review (any
 * state, dismissed ones included: they were reviews when given). Pending reviews have no
 * `submitted_at` and do not count; nor do bots, whose instant reviews would make
 * time-to-first-review meaningless.
 */
export function firstReviewAt(author: string | null | undefined, reviews: readonly Review[]): string | null {
  const times = reviews
    .filter((review) => review.submitted_at && review.state.toUpperCase() !== 'PENDING' && review.user?.type !== 'Bot')
    .filter((review) => !author || review.user?.login !== author)
    .map((review) => Date.parse(review.submitted_at!))
    .filter((ms) => !Number.isNaN(ms));
  return times.length ? new Date(Math.min(...times)).toISOString() : null;
}

/**
 * The pull request as a record. Merged only when `merged_at` is set: GitHub fills
 * `merge_commit_sha` on unmerged pull requests too (its test merge; the recordings show it on
 * all 23 unmerged ones), so the sha is kept only with a merge.
 */
export function pullRequestRecord(repository: string, pull: PullRequest, commits: readonly Commit[], reviews: readonly Review[]): PullRequestRecord {
  const author = pull.user?.login ?? null;
  const mergedAt = optionalInstant(pull.merged_at);
  return {
    repository,
    number: pull.number,
    source: SOURCE,
    opened_at: instant(pull.created_at),
    merged_at: mergedAt,
    merge_commit_sha: mergedAt && pull.merge_commit_sha && SHA.test(pull.merge_commit_sha) ? pull.merge_commit_sha : null,
    first_review_at: firstReviewAt(author, reviews),
    commit_shas: [...new Set(commits.map((commit) => commit.sha))],
    title: pull.title ? pull.title.slice(0, TITLE_MAX_LENGTH) : null,
    author,
    url: nonEmpty(pull.html_url),
  };
}

/**
 * The commit as a record. `author` is the linked GitHub account, else (null in the
 * recordings when the e-mail is not linked) the git author name. The author date is kept
 * no later than the committer date: git allows the opposite (a skewed clock), and validation
 * would reject the commit, leaving a hole in the commit graph.
 */
export function commitRecord(repository: string, commit: Commit): CommitRecord {
  const committedAt = instant(commit.commit.committer?.date ?? commit.commit.author?.date ?? '');
  const authoredAt = instant(commit.commit.author?.date ?? commit.commit.committer?.date ?? '');
  return {
    repository,
    sha: commit.sha,
    parents: commit.parents.map((parent) => parent.sha),
    authored_at: Date.parse(authoredAt) > Date.parse(committedAt) ? committedAt : authoredAt,
    committed_at: committedAt,
    source: SOURCE,
    author: nonEmpty(commit.author?.login) ?? nonEmpty(commit.commit.author?.name),
    message: commit.commit.message ?? null,
  };
}

// ---------------------------------------------------------------- deployments

export const deploymentExternalId = (id: number) => `deployment:${id}`;

type DeploymentStatusValue = DeploymentRecord['status'];
const DEPLOYMENT_STATES: Readonly<Record<string, DeploymentStatusValue>> = {
  success: 'success',
  failure: 'failure',
  error: 'error',
  in_progress: 'in_progress',
  queued: 'queued',
  pending: 'queued',
};
/** A deployment status whose state ends the deployment; only these arrive by webhook (webhook.ts). */
export const isFinalDeploymentState = (state: string) => ['success', 'failure', 'error'].includes(state.toLowerCase());

/**
 * What a deployment's statuses say: the latest status that is not `inactive` decides (GitHub
 * marks a successful deployment inactive once a later one supersedes it, so `updated_at`
 * and the latest status are when it was superseded, not when it finished). Its time is the
 * finish time: a SUCCESS status's own `created_at`.
 */
export function deploymentOutcome(deployment: Deployment, statuses: readonly DeploymentStatus[]): { status: DeploymentStatusValue; finishedAt: string; url: string | null } {
  const ordered = [...statuses].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id - b.id);
  const deciding = ordered.filter((status) => status.state.toLowerCase() !== 'inactive').at(-1);
  if (!deciding) {
    // Only `inactive`: superseded before it reported anything. No status at all: just created.
    const last = ordered.at(-1);
    return last ? { status: 'cancelled', finishedAt: instant(last.created_at), url: null } : { status: 'queued', finishedAt: instant(deployment.created_at), url: null };
  }
  return {
    status: DEPLOYMENT_STATES[deciding.state.toLowerCase()] ?? 'queued',
    finishedAt: instant(deciding.created_at),
    url: nonEmpty(deciding.log_url) ?? nonEmpty(deciding.target_url),
  };
}

/** A GitHub deployment as a record, or null when its environment is not the rule's. */
export function deploymentRecord(deployment: Deployment, statuses: readonly DeploymentStatus[], rule: DeploymentsRuleOf): DeploymentRecord | null {
  if (!rule.environment.test(deployment.environment)) return null;
  const outcome = deploymentOutcome(deployment, statuses);
  return {
    source: SOURCE,
    external_id: deploymentExternalId(deployment.id),
    service: rule.service,
    environment: deployment.environment,
    status: outcome.status,
    finished_at: outcome.finishedAt,
    started_at: instant(deployment.created_at),
    commit_sha: SHA.test(deployment.sha) ? deployment.sha : null,
    ref: nonEmpty(deployment.ref),
    url: outcome.url,
  };
}

// ---------------------------------------------------------------- Actions workflow runs

type CiStatus = CiRunRecord['status'];
/**
 * Conclusions of a completed run. Build health counts success / (success + failure), so
 * every way a run failed on its own is a failure (timed_out, startup_failure); `stale`
 * (superseded) is a cancellation; `action_required` waits for a person, so it is still queued.
 */
const CONCLUSIONS: Readonly<Record<string, CiStatus>> = {
  success: 'success',
  failure: 'failure',
  timed_out: 'failure',
  startup_failure: 'failure',
  cancelled: 'cancelled',
  stale: 'cancelled',
  skipped: 'skipped',
  neutral: 'neutral',
  action_required: 'queued',
};
/** Statuses of a run that has not completed. */
const RUNNING: Readonly<Record<string, CiStatus>> = {
  in_progress: 'in_progress',
  queued: 'queued',
  requested: 'queued',
  waiting: 'queued',
  pending: 'queued',
};

/** A run's state as a CI status; null status or conclusion read as GitHub means them. */
export function ciStatus(status: string | null | undefined, conclusion: string | null | undefined): CiStatus {
  const running = RUNNING[(status ?? '').toLowerCase()];
  if (running) return running;
  const concluded = CONCLUSIONS[(conclusion ?? '').toLowerCase()];
  if (concluded) return concluded;
  // Completed without a conclusion GitHub knows of: no verdict either way.
  return (status ?? '').toLowerCase() === 'completed' ? 'neutral' : 'queued';
}

const isCompleted = (run: WorkflowRun) => (run.status ?? '').toLowerCase() === 'completed';
export const runAttempt = (run: WorkflowRun) => (run.run_attempt && run.run_attempt > 0 ? run.run_attempt : 1);
/** The workflow's name: webhook payloads may leave the run's `name` empty and give `workflow.name`. */
export const workflowName = (run: WorkflowRun, workflow?: { name?: string | null } | null) =>
  nonEmpty(run.name) ?? nonEmpty(workflow?.name) ?? nonEmpty(run.path) ?? `workflow ${run.workflow_id ?? 'unknown'}`;

/**
 * One attempt of a run as a CI run (contract: `<run id>:<attempt>`). It starts at
 * `run_started_at`, which a re-run moves to the re-run's start (`created_at` stays the first
 * attempt's), and a completed run finished at its `updated_at`.
 */
export function ciRunRecord(repository: string, run: WorkflowRun, workflow?: { name?: string | null } | null): CiRunRecord {
  return {
    source: CI_SOURCE,
    external_id: `${run.id}:${runAttempt(run)}`,
    repository,
    workflow: workflowName(run, workflow),
    branch: nonEmpty(run.head_branch),
    event: nonEmpty(run.event),
    commit_sha: SHA.test(run.head_sha) ? run.head_sha : null,
    status: ciStatus(run.status, run.conclusion),
    started_at: instant(run.run_started_at ?? run.created_at),
    finished_at: isCompleted(run) ? instant(run.updated_at) : null,
    url: nonEmpty(run.html_url),
  };
}

const RUN_DEPLOYMENT_STATUS: Readonly<Record<CiStatus, DeploymentStatusValue>> = {
  success: 'success',
  failure: 'failure',
  cancelled: 'cancelled',
  skipped: 'skipped',
  neutral: 'skipped',
  in_progress: 'in_progress',
  queued: 'queued',
};

/**
 * Does the run match a workflow rule (a run of workflow X on branch Y is a deployment)? A
 * pull request's run is never one: its head_branch is the pull request's branch (a fork's
 * `main`, say), which the run did not deploy.
 */
export const matchesWorkflowRule = (run: WorkflowRun, rule: WorkflowRuleOf, workflow?: { name?: string | null } | null) =>
  workflowName(run, workflow) === rule.workflow && run.head_branch === rule.branch && !PULL_REQUEST_EVENTS.has(run.event ?? '');
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review', 'pull_request_review_comment']);

/**
 * A run under a workflow rule as a deployment, one per attempt (a failed deploy re-run
 * successfully is two deployments). A run still going reports its last change as finish time,
 * which the record requires; only a success counts as a deployment.
 */
export function workflowDeploymentRecord(run: WorkflowRun, rule: WorkflowRuleOf, workflow?: { name?: string | null } | null): DeploymentRecord | null {
  if (!matchesWorkflowRule(run, rule, workflow)) return null;
  return {
    source: SOURCE,
    external_id: `workflow_run:${run.id}:${runAttempt(run)}`,
    service: rule.service,
    environment: rule.environment,
    status: RUN_DEPLOYMENT_STATUS[ciStatus(run.status, run.conclusion)],
    finished_at: instant(run.updated_at),
    started_at: instant(run.run_started_at ?? run.created_at),
    commit_sha: SHA.test(run.head_sha) ? run.head_sha : null,
    ref: nonEmpty(run.head_branch),
    url: nonEmpty(run.html_url),
  };
}

/**
 * A run's records, whether listed or delivered by webhook: its CI run, and its deployment
 * under the first workflow rule it matches (one record per external id).
 */
export function runRecords(repository: string, rules: readonly ResolvedRule[], run: WorkflowRun, workflow?: { name?: string | null } | null): NormalizedRecord[] {
  const records: NormalizedRecord[] = [{ kind: 'ci_run', record: ciRunRecord(repository, run, workflow) }];
  for (const rule of rules) {
    const deployment = rule.kind === 'workflow' ? workflowDeploymentRecord(run, rule, workflow) : null;
    if (deployment) {
      records.push({ kind: 'deployment', record: deployment });
      break;
    }
  }
  return records;
}

// ---------------------------------------------------------------- releases and tags

/** A release is a deployment when it is published, not a draft or prerelease, and its tag matches. */
export const isDeployedRelease = (release: Release, rule: ReleaseRuleOf) =>
  !release.draft && !release.prerelease && release.published_at !== null && rule.tagPattern.test(release.tag_name);

/**
 * A release under a release rule as a deployment at its publish time. The release does not
 * carry its commit; `commitSha` is its tag's commit, which the caller looks up.
 */
export function releaseDeploymentRecord(release: Release, commitSha: string | null, rule: ReleaseRuleOf): DeploymentRecord | null {
  if (!isDeployedRelease(release, rule)) return null;
  return {
    source: SOURCE,
    external_id: `release:${release.id}`,
    service: rule.service,
    environment: rule.environment,
    status: 'success',
    finished_at: instant(release.published_at!),
    started_at: null,
    commit_sha: commitSha && SHA.test(commitSha) ? commitSha : null,
    ref: release.tag_name,
    url: nonEmpty(release.html_url),
  };
}

/**
 * A tag under a tag rule as a deployment. A tag has no date of its own in the REST API, so it
 * counts from its commit's committer date: the earliest it can have been made.
 */
export function tagDeploymentRecord(repository: string, tag: Tag, commit: Commit, rule: ReleaseRuleOf): DeploymentRecord | null {
  if (!rule.tagPattern.test(tag.name)) return null;
  return {
    source: SOURCE,
    external_id: `tag:${repository}:${tag.name}`,
    service: rule.service,
    environment: rule.environment,
    status: 'success',
    finished_at: instant(commit.commit.committer?.date ?? commit.commit.author?.date ?? ''),
    started_at: null,
    commit_sha: tag.commit.sha,
    ref: tag.name,
    url: null,
  };
}

// ---------------------------------------------------------------- incident issues

export const labelNames = (issue: Pick<Issue, 'labels'>) => (issue.labels ?? []).map((label) => (typeof label === 'string' ? label : label.name));

/** Does this issue (not a pull request) carry one of the incident labels? */
export function isIncidentIssue(issue: Issue, incidentLabels: readonly string[]): boolean {
  if (issue.pull_request !== undefined || !incidentLabels.length) return false;
  return labelNames(issue).some((name) => incidentLabels.includes(name.toLowerCase()));
}

/**
 * An issue with a bug label as a bug of `service`: found in production when it carries a
 * production label (or when none are configured), severity from its labels.
 */
export function issueBugRecord(
  repository: string, issue: Issue, service: string, config: Pick<ResolvedConfig, 'bugLabels' | 'productionBugLabels' | 'severityLabels' | 'defaultSeverity'>,
): BugRecord | null {
  const labels = labelNames(issue);
  const lower = labels.map((name) => name.toLowerCase());
  if (issue.pull_request !== undefined || !lower.some((name) => config.bugLabels.includes(name))) return null;
  const closed = issue.state === 'closed' && issue.closed_at;
  return {
    source: SOURCE,
    external_id: `${repository}#${issue.number}`,
    service,
    repository,
    severity: severityFromLabels(labels, config),
    title: (issue.title || `${repository}#${issue.number}`).slice(0, TITLE_MAX_LENGTH),
    created_at: instant(issue.created_at),
    closed_at: closed ? instant(issue.closed_at!) : null,
    found_in_production: !config.productionBugLabels.length || lower.some((name) => config.productionBugLabels.includes(name)),
    url: nonEmpty(issue.html_url),
    labels: labels.slice(0, 100).map((name) => name.slice(0, 200)),
  };
}

/** An issue's records: an incident and/or a bug, as its labels say (an issue may be both). */
export function issueRecords(repository: string, issue: Issue, service: string, config: ResolvedConfig): NormalizedRecord[] {
  const incident = issueIncidentRecord(repository, issue, service, config);
  const bug = issueBugRecord(repository, issue, service, config);
  return [...(incident ? [{ kind: 'incident' as const, record: incident }] : []), ...(bug ? [{ kind: 'bug' as const, record: bug }] : [])];
}

/**
 * An issue with an incident label as an incident of `service`: opened at creation, resolved
 * when closed (a reopened issue has no `closed_at` again), severity from its labels.
 */
export function issueIncidentRecord(repository: string, issue: Issue, service: string, config: Pick<ResolvedConfig, 'incidentLabels' | 'severityLabels' | 'defaultSeverity'>): IncidentRecord | null {
  if (!isIncidentIssue(issue, config.incidentLabels)) return null;
  const closed = issue.state === 'closed' && issue.closed_at;
  return {
    source: SOURCE,
    external_id: `${repository}#${issue.number}`,
    service,
    severity: severityFromLabels(labelNames(issue), config),
    title: (issue.title || `${repository}#${issue.number}`).slice(0, TITLE_MAX_LENGTH),
    created_at: instant(issue.created_at),
    resolved_at: closed ? instant(issue.closed_at!) : null,
    url: nonEmpty(issue.html_url),
  };
}
