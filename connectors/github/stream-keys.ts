// The connector's streams: one per repository and kind of record, named `<owner/name>:<kind>`
// so the cursor table reads well and a webhook can name the stream that would pick its change up;
// and one per organisation listed, `<org>:repositories`.
import type { StreamKey } from '../contract.js';
import type { RepositoryPlan } from './config.js';
import { SOURCE } from './map.js';

export const STREAM_KINDS = ['pull_requests', 'commits', 'workflow_runs', 'deployments', 'releases', 'tags', 'issues', 'repositories'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

export const streamKey = (repository: string, kind: StreamKind): StreamKey => ({ connector: SOURCE, stream: `${repository}:${kind}` });

/** The repository and kind a stream reads (for `repositories`, the organisation it lists). */
export function parseStreamKey(stream: StreamKey): { repository: string; kind: StreamKind } | null {
  if (stream.connector !== SOURCE) return null;
  const at = stream.stream.lastIndexOf(':');
  const kind = stream.stream.slice(at + 1) as StreamKind;
  return at > 0 && STREAM_KINDS.includes(kind) ? { repository: stream.stream.slice(0, at), kind } : null;
}

/**
 * The kinds read for a repository: pull requests, default-branch commits and workflow runs
 * always (lead time and build health need them); deployments, releases or tags when a rule
 * says they are deployments; issues when incident or bug labels are configured.
 */
export function streamKinds(plan: RepositoryPlan, labels: { incidentLabels: readonly string[]; bugLabels: readonly string[] }): StreamKind[] {
  const kinds: StreamKind[] = ['pull_requests', 'commits', 'workflow_runs'];
  if (plan.rules.some((rule) => rule.kind === 'github_deployments')) kinds.push('deployments');
  if (plan.rules.some((rule) => rule.kind === 'release' && rule.from === 'releases')) kinds.push('releases');
  if (plan.rules.some((rule) => rule.kind === 'release' && rule.from === 'tags')) kinds.push('tags');
  if (labels.incidentLabels.length + labels.bugLabels.length > 0 && plan.service !== null) kinds.push('issues');
  return kinds;
}
