// GitHub webhooks: the `X-Hub-Signature-256` check over the raw body, and deliveries
// translated into the records a poll makes of the same change. A payload only carries part of
// what a poll reads (a pull_request event has neither the commits nor the reviews; a push has
// no parents nor author dates; a release has no commit), and every record replaces the stored
// one whole, so such events yield no record: they name the stream whose next (conditional,
// mostly free) poll picks the change up, in `refresh`. Records come only from payloads that
// hold the whole record: a completed workflow run, a deployment's final status, an issue.
import type { NormalizedRecord, StreamKey } from '../contract.js';
import { hmacSha256Matches } from '../signatures.js';
import type { RepositoryPlan, ResolvedConfig } from './config.js';
import { deploymentRecord, isFinalDeploymentState, issueRecords, runRecords } from './map.js';
import type { Deployment, DeploymentStatus, Issue, WorkflowRun } from './payloads.js';
import { streamKey, type StreamKind } from './stream-keys.js';

export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
export const GITHUB_EVENT_HEADER = 'x-github-event';
/** A redelivery carries the same value: the dedupe key. */
export const GITHUB_DELIVERY_HEADER = 'x-github-delivery';

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * True when the header is `sha256=<hex HMAC-SHA256 of rawBody>` under any of `secrets`
 * (several while one is rotated). Compared in constant time against every secret; a missing,
 * malformed or wrong-length header is false.
 */
export function verifyGitHubSignature(rawBody: Buffer, header: string | string[] | undefined, secrets: readonly string[]): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const signatures = values.map((value) => SIGNATURE.exec(value.trim())?.[1]).filter((hex): hex is string => hex !== undefined);
  return hmacSha256Matches(rawBody, signatures, secrets);
}

/** What a delivery means for Bellwether. */
export interface GitHubDelivery {
  /** `X-GitHub-Delivery`, when given: the same on a redelivery, so the route deduplicates on it. */
  deliveryKey?: string;
  /** `<event>.<action>` (or just the event), for logs. */
  event: string;
  /** The repository as bellwether.yaml spells it; null when it is not one Bellwether reads. */
  repository: string | null;
  records: NormalizedRecord[];
  /** Streams whose next poll picks up what this delivery reports but cannot give whole. */
  refresh: StreamKey[];
  /** Why there is no record. */
  ignored?: string;
}

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** The plan of a repository listed by name, else of one its organisation's listing would read (the payload carries the flags the listing filters on). */
function planOf(config: ResolvedConfig, fullName: string, repository: Record<string, unknown>): RepositoryPlan | undefined {
  const named = config.repositories.find((p) => p.repository.toLowerCase() === fullName.toLowerCase());
  if (named) return named;
  const organisation = config.organisations.find((o) => o.name.toLowerCase() === fullName.split('/')[0]!.toLowerCase());
  const found = organisation && config.planListed(organisation, { full_name: fullName, archived: repository.archived === true, fork: repository.fork === true });
  return found && 'plan' in found ? found.plan : undefined;
}

/**
 * Translates one delivery. `eventName` is the `X-GitHub-Event` header and `deliveryId` the
 * `X-GitHub-Delivery` header. Throws only when the body is not a JSON object (the route
 * answers 400); events Bellwether does not use, and repositories it does not read, give nothing.
 */
export function translateGitHubWebhook(eventName: string, body: unknown, config: ResolvedConfig, deliveryId?: string): GitHubDelivery {
  if (!isObject(body)) throw new Error('expected a JSON object (a GitHub webhook payload)');
  const action = text(body.action);
  const event = action ? `${eventName}.${action}` : eventName;
  const fullName = isObject(body.repository) ? text(body.repository.full_name) : undefined;
  const plan = fullName && isObject(body.repository) ? planOf(config, fullName, body.repository) : undefined;
  const base = { ...(deliveryId ? { deliveryKey: deliveryId } : {}), event, repository: plan?.repository ?? null };
  const result = (records: NormalizedRecord[], refresh: StreamKind[] = [], ignored?: string): GitHubDelivery => ({
    ...base,
    records,
    refresh: plan ? refresh.map((kind) => streamKey(plan.repository, kind)) : [],
    ...(ignored && !records.length ? { ignored } : {}),
  });

  if (!HANDLED.has(eventName)) return result([], [], `${eventName} events are not used`);
  if (!plan) return result([], [], fullName ? `${fullName} is not a repository Bellwether reads (bellwether.yaml: services, github.organizations)` : 'the payload names no repository');

  switch (eventName) {
    case 'workflow_run':
      return workflowRun(body, plan, result);
    case 'deployment_status':
      return deploymentStatus(body, plan, result);
    case 'deployment':
      return result([], [], 'a new deployment has no outcome yet: its deployment_status events carry it');
    case 'issues':
      return issue(body, plan, config, action, result);
    case 'pull_request':
    case 'pull_request_review':
      return result([], ['pull_requests'], 'a pull request payload has neither its commits nor its reviews (or, for a review, the earlier ones): the pull_requests stream reads them');
    case 'release':
      if (!plan.rules.some((rule) => rule.kind === 'release' && rule.from === 'releases')) return result([], [], 'no release rule for this repository');
      return result([], ['releases'], 'a release payload does not carry its commit: the releases stream looks it up');
    case 'push':
      return push(body, plan, result);
  }
  return result([], [], `${eventName} events are not used`);
}

const HANDLED = new Set(['workflow_run', 'deployment_status', 'deployment', 'issues', 'pull_request', 'pull_request_review', 'release', 'push']);
type Result = (records: NormalizedRecord[], refresh?: StreamKind[], ignored?: string) => GitHubDelivery;

/** A completed run: its CI run, and a deployment under a workflow rule. A run still going would only regress a later completion delivered first. */
function workflowRun(body: Fields, plan: RepositoryPlan, result: Result): GitHubDelivery {
  if (!isObject(body.workflow_run)) throw new Error('a workflow_run event without workflow_run');
  const run = body.workflow_run as unknown as WorkflowRun;
  const workflow = isObject(body.workflow) ? (body.workflow as { name?: string }) : null;
  if ((run.status ?? '').toLowerCase() !== 'completed') return result([], [], `run ${run.id} is ${run.status ?? 'not started'}: the completed event carries its outcome`);
  const records = runRecords(plan.repository, plan.rules, run, workflow);
  return result(records);
}

/**
 * A final status (success, failure, error) of a deployment the rule matches. The poll decides
 * by the latest status other than `inactive`, which is this one when it is final; earlier
 * statuses (in progress, queued) are left out, as delivered late they would undo the outcome.
 */
function deploymentStatus(body: Fields, plan: RepositoryPlan, result: Result): GitHubDelivery {
  if (!isObject(body.deployment) || !isObject(body.deployment_status)) throw new Error('a deployment_status event without deployment and deployment_status');
  const deployment = body.deployment as unknown as Deployment;
  const status = body.deployment_status as unknown as DeploymentStatus;
  if (!isFinalDeploymentState(status.state)) return result([], [], `deployment ${deployment.id} is ${status.state}: only a final status is recorded`);
  const rules = plan.rules.filter((rule) => rule.kind === 'github_deployments');
  if (!rules.length) return result([], [], 'no github_deployments rule for this repository');
  for (const rule of rules) {
    const record = deploymentRecord(deployment, [status], rule);
    if (record) return result([{ kind: 'deployment', record }]);
  }
  return result([], [], `environment ${deployment.environment} is not a deployment environment of this repository`);
}

/** An issue with an incident or bug label, whatever happened to it (opened, labelled, closed, reopened …): the payload holds the whole issue. */
function issue(body: Fields, plan: RepositoryPlan, config: ResolvedConfig, action: string | undefined, result: Result): GitHubDelivery {
  if (!isObject(body.issue)) throw new Error('an issues event without issue');
  if (!config.incidentLabels.length && !config.bugLabels.length) return result([], [], 'incident and bug issues are not read for this repository');
  if (plan.service === null) return result([], [], 'incident and bug issues are not read for this repository');
  if (action === 'deleted' || action === 'transferred') return result([], [], `an issue ${action} is not removed: Bellwether keeps the incident or bug as last seen`);
  if (body.issue.pull_request !== undefined) return result([], [], 'the issue is a pull request');
  const records = issueRecords(plan.repository, body.issue as unknown as Issue, plan.service, config);
  return records.length ? result(records) : result([], [], 'the issue has no incident or bug label');
}

/** A push to the default branch, or a tag under a tags rule: the stream reads the commits with their parents and dates. */
function push(body: Fields, plan: RepositoryPlan, result: Result): GitHubDelivery {
  const ref = text(body.ref) ?? '';
  if (body.deleted === true) return result([], [], `${ref} was deleted`);
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  if (tag !== undefined) {
    const tagged = plan.rules.some((rule) => rule.kind === 'release' && rule.from === 'tags' && rule.tagPattern.test(tag));
    return tagged ? result([], ['tags'], 'a tag push has no commit date: the tags stream reads it') : result([], [], `tag ${tag} is not a deployment of this repository`);
  }
  const defaultBranch = isObject(body.repository) ? text(body.repository.default_branch) : undefined;
  if (defaultBranch && ref === `refs/heads/${defaultBranch}`) {
    return result([], ['commits'], 'a push payload has neither commit parents nor author dates: the commits stream reads them');
  }
  return result([], [], `${ref} is not the default branch`);
}
