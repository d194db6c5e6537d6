// Record-level derivations that SQL does badly, run by the compute job (rederive.ts) in plain
// TypeScript and stored as facts with their reasons (STYLE.md): which commits each production deployment
// shipped, whether it failed and why, and whether it was rework (KPIS.md, DORA KPIs).
import type { FailureLinkReason, FailureReason, ReworkReason, ShippedBasis } from '../db/schema.js';
import type { CommitGraph } from './commit-graph.js';

export interface DeploymentInput {
  id: number;
  externalId: string;
  finishedAt: Date;
  commitSha: string | null;
  ref: string | null;
  labels: string[];
}

export interface IncidentInput {
  id: number;
  serviceId: string;
  createdAt: Date;
  startedAt: Date | null;
  resolvedAt: Date | null;
  deploymentExternalId: string | null;
  causeCommitSha: string | null;
  /** owner/repo#number of the pull request named as the cause. */
  causePullRequest: string | null;
  /** The cause was set by a person through the API (the link's reason says so). */
  causeSetViaApi: boolean;
  resolvedByDeploymentExternalId: string | null;
}

export interface PullRequestInput {
  repository: string;
  number: number;
  mergeCommitSha: string | null;
  commitShas: string[];
}

export interface DerivationRules {
  implicitFailureLinkage: boolean;
  reworkResolutionWindowMinutes: number;
  hotfixRefPattern: string | null;
  hotfixLabels: string[];
}

export interface DerivedChange {
  deploymentId: number;
  repository: string;
  sha: string;
  authoredAt: Date;
  deployedAt: Date;
  leadTimeSeconds: number;
  pullRequestNumber: number | null;
}

export interface DerivedFacts {
  deploymentId: number;
  finishedAt: Date;
  previousDeploymentId: number | null;
  shippedBasis: ShippedBasis;
  changeCount: number;
  isFailed: boolean;
  failureReason: FailureReason | null;
  failureIncidentIds: number[];
  /** Why each of failureIncidentIds is linked, in the same order. */
  failureLinkReasons: FailureLinkReason[];
  rolledBackByDeploymentId: number | null;
  recoveredAt: Date | null;
  isRework: boolean;
  reworkReason: ReworkReason | null;
  reworkIncidentId: number | null;
}

export interface ServiceDerivation {
  facts: DerivedFacts[];
  changes: DerivedChange[];
  /**
   * False when a window's derivation cannot be trusted to equal the whole history's: a
   * deployment needed something other than a graph walk, or a walk left the loaded graph.
   */
  exact: boolean;
}

/**
 * The deployments given are the tail of the service's history (rederive.ts): `previous` is the
 * production deployment just before them, and `shipped` the commits (of those in the graph)
 * that deployments before them shipped.
 */
export interface DerivationWindow {
  previous: DeploymentInput;
  shipped: ReadonlySet<string>;
}

/**
 * Derives facts for one service's successful production deployments.
 * `deployments` may come in any order; `incidents` are those on the service plus any
 * elsewhere that name one of its deployments explicitly.
 */
export function deriveServiceFacts(input: {
  serviceId: string;
  deployments: DeploymentInput[];
  incidents: IncidentInput[];
  pullRequests: PullRequestInput[];
  graph: CommitGraph;
  rules: DerivationRules;
  window?: DerivationWindow;
}): ServiceDerivation {
  const { serviceId, graph, rules, window } = input;
  const deployments = [...input.deployments].sort(
    (a, b) => a.finishedAt.getTime() - b.finishedAt.getTime() || a.id - b.id,
  );
  const prByMergeCommit = new Map<string, PullRequestInput>();
  const prByCommit = new Map<string, number>();
  for (const pr of input.pullRequests) {
    if (pr.mergeCommitSha) {
      prByMergeCommit.set(pr.mergeCommitSha, pr);
      prByCommit.set(pr.mergeCommitSha, pr.number);
    }
    for (const sha of pr.commitShas) if (!prByCommit.has(sha)) prByCommit.set(sha, pr.number);
  }

  // --- changes: reachable from D's commit and not from the previous deployment's commit;
  // a commit counts once, in the first deployment that shipped it (KPIS.md, Change).
  const shipped = new Set<string>(window?.shipped);
  const changes: DerivedChange[] = [];
  let exact = true;
  const shippedByDeployment = new Map<number, string[]>();
  /** owner/repo#number of the pull requests credited with each deployment's changes. */
  const changesByDeployment = new Map<number, string[]>();
  const basisByDeployment = new Map<number, ShippedBasis>();
  deployments.forEach((deployment, i) => {
    const previous = i > 0 ? deployments[i - 1] : window?.previous;
    const head = deployment.commitSha;
    const base = previous?.commitSha ?? null;
    let candidates: string[];
    let basis: ShippedBasis;
    if (head && base && graph.has(head) && graph.has(base)) {
      candidates = head === base ? [] : graph.reachableFromExcluding(head, base);
      basis = 'graph';
    } else {
      // First deployment, or history unknown: the merged PR's commits, else the deployed commit.
      const pr = head ? prByMergeCommit.get(head) : undefined;
      if (pr) {
        candidates = [head!, ...pr.commitShas].filter((sha) => graph.has(sha));
        basis = 'pull_request';
      } else if (head && graph.has(head)) {
        candidates = [head];
        basis = 'deploy_commit';
      } else {
        candidates = [];
        basis = 'unknown';
      }
    }
    // Without a walk, a window would need the pull request's commits of any age: only the whole history knows.
    if (window && basis !== 'graph') exact = false;
    const fresh = [...new Set(candidates)].filter((sha) => !shipped.has(sha));
    for (const sha of fresh) {
      shipped.add(sha);
      const commit = graph.get(sha)!;
      changes.push({
        deploymentId: deployment.id,
        repository: commit.repository,
        sha,
        authoredAt: commit.authoredAt,
        deployedAt: deployment.finishedAt,
        // A commit authored after its deployment finished is a clock problem; its lead time is 0.
        leadTimeSeconds: Math.max(0, (deployment.finishedAt.getTime() - commit.authoredAt.getTime()) / 1000),
        pullRequestNumber: prByCommit.get(sha) ?? null,
      });
    }
    shippedByDeployment.set(deployment.id, fresh);
    basisByDeployment.set(deployment.id, basis);
    changesByDeployment.set(deployment.id, changes.slice(changes.length - fresh.length).flatMap((change) =>
      change.pullRequestNumber === null ? [] : [`${change.repository}#${change.pullRequestNumber}`.toLowerCase()]));
  });

  // --- failures: explicit link > rollback > implicit service-scoped link (KPIS.md)
  const explicitlyLinked = (incident: IncidentInput) =>
    incident.deploymentExternalId !== null || incident.causeCommitSha !== null || incident.causePullRequest !== null;
  const ownIncidents = input.incidents.filter((incident) => incident.serviceId === serviceId);
  const hotfixRef = rules.hotfixRefPattern ? new RegExp(rules.hotfixRefPattern, 'i') : null;
  const hotfixLabels = new Set(rules.hotfixLabels.map((label) => label.toLowerCase()));
  const windowMs = rules.reworkResolutionWindowMinutes * 60_000;

  const facts = deployments.map((deployment, i): DerivedFacts => {
    const next = deployments[i + 1];
    const finished = deployment.finishedAt.getTime();
    const nextFinished = next ? next.finishedAt.getTime() : Number.POSITIVE_INFINITY;
    const shippedHere = new Set(shippedByDeployment.get(deployment.id));
    if (deployment.commitSha) shippedHere.add(deployment.commitSha);
    // The pull requests this deployment shipped: credited with one of its changes, or merged as one of its commits.
    const pullRequestsHere = new Set(changesByDeployment.get(deployment.id));
    for (const sha of shippedHere) {
      const pr = prByMergeCommit.get(sha);
      if (pr) pullRequestsHere.add(`${pr.repository}#${pr.number}`.toLowerCase());
    }

    const explicitReasons = new Map<IncidentInput, FailureLinkReason>();
    for (const incident of input.incidents) {
      const reason = explicitReason(incident, deployment, serviceId, shippedHere, pullRequestsHere);
      if (reason) explicitReasons.set(incident, reason);
    }
    const explicit = [...explicitReasons.keys()];
    const rolledBack =
      next !== undefined &&
      deployment.commitSha !== null &&
      next.commitSha !== null &&
      graph.isStrictAncestor(next.commitSha, deployment.commitSha);
    const implicit = rules.implicitFailureLinkage
      ? ownIncidents.filter((incident) => {
          if (explicitlyLinked(incident)) return false;
          const start = (incident.startedAt ?? incident.createdAt).getTime();
          return start >= finished && start < nextFinished;
        })
      : [];

    let failureReason: FailureReason | null = null;
    if (explicit.length) failureReason = 'incident_link';
    else if (rolledBack) failureReason = 'rollback';
    else if (implicit.length) failureReason = 'implicit_incident';
    // A rolled-back deployment still recovers when the incidents it caused resolve.
    const failureIncidents = (explicit.length ? explicit : implicit).sort((a, b) => a.id - b.id);
    const resolvedTimes = failureIncidents.map((incident) => incident.resolvedAt);
    const recoveredAt =
      failureReason && resolvedTimes.length && resolvedTimes.every((t): t is Date => t !== null)
        ? new Date(Math.max(...resolvedTimes.map((t) => t.getTime())))
        : null;

    // --- rework: an unplanned fix for a production incident (docs/kpis.md, Rework rate)
    let reworkReason: ReworkReason | null = null;
    let reworkIncidentId: number | null = null;
    const fixLink = input.incidents.find((incident) => incident.resolvedByDeploymentExternalId === deployment.externalId);
    if (fixLink) {
      reworkReason = 'incident_fix_link';
      reworkIncidentId = fixLink.id;
    } else {
      const resolved = ownIncidents.find((incident) => {
        if (!incident.resolvedAt) return false;
        const start = incident.createdAt.getTime();
        const end = incident.resolvedAt.getTime();
        return start <= finished && finished <= end && end - finished <= windowMs && nextFinished > end;
      });
      if (resolved) {
        reworkReason = 'resolved_incident';
        reworkIncidentId = resolved.id;
      } else if (
        (hotfixRef && deployment.ref && hotfixRef.test(deployment.ref)) ||
        deployment.labels.some((label) => hotfixLabels.has(label.toLowerCase()))
      ) {
        reworkReason = 'hotfix_rule';
      }
    }

    return {
      deploymentId: deployment.id,
      finishedAt: deployment.finishedAt,
      previousDeploymentId: (i > 0 ? deployments[i - 1]!.id : window?.previous.id) ?? null,
      shippedBasis: basisByDeployment.get(deployment.id)!,
      changeCount: shippedByDeployment.get(deployment.id)!.length,
      isFailed: failureReason !== null,
      failureReason,
      failureIncidentIds: failureReason ? failureIncidents.map((incident) => incident.id) : [],
      failureLinkReasons: failureReason ? failureIncidents.map((incident) => explicitReasons.get(incident) ?? 'implicit') : [],
      rolledBackByDeploymentId: rolledBack ? next!.id : null,
      recoveredAt,
      isRework: reworkReason !== null,
      reworkReason,
      reworkIncidentId,
    };
  });
  return { facts, changes, exact: exact && !graph.incomplete };
}

/**
 * Which explicit field of the incident names this deployment, if any: its deployment id, or
 * (for an incident on the same service) a cause commit or pull request it shipped.
 */
function explicitReason(
  incident: IncidentInput, deployment: DeploymentInput, serviceId: string, shippedHere: Set<string>, pullRequestsHere: Set<string>,
): FailureLinkReason | null {
  let reason: 'deployment_id' | 'commit' | 'pull_request' | null = null;
  if (incident.deploymentExternalId === deployment.externalId) reason = 'deployment_id';
  else if (incident.serviceId === serviceId && incident.causeCommitSha !== null && matchesSha(shippedHere, incident.causeCommitSha)) reason = 'commit';
  else if (incident.serviceId === serviceId && incident.causePullRequest !== null && pullRequestsHere.has(incident.causePullRequest)) reason = 'pull_request';
  if (!reason) return null;
  return incident.causeSetViaApi ? `api:${reason}` : reason;
}

/** A cause sha may be abbreviated (7+ hex chars). */
function matchesSha(shas: Set<string>, sha: string): boolean {
  const wanted = sha.toLowerCase();
  if (shas.has(wanted)) return true;
  for (const candidate of shas) if (candidate.startsWith(wanted)) return true;
  return false;
}
