// Table-driven tests of the pure derivations: shipped commits, failure reasons, rework.
import { describe, expect, it } from 'vitest';
import { CommitGraph } from './commit-graph.js';
import { deriveServiceFacts, type DeploymentInput, type DerivationRules, type IncidentInput } from './derive.js';

const t = (hhmm: string, day = 10) => new Date(`2026-11-${String(day).padStart(2, '0')}T${hhmm}:00Z`);
const rules: DerivationRules = { implicitFailureLinkage: true, reworkResolutionWindowMinutes: 60, hotfixRefPattern: '^hotfix[/-]', hotfixLabels: ['hotfix'] };

// a ← b ← c ← d (linear), and a merge: m has parents [d, x], x ← a
const graph = new CommitGraph([
  { repository: 'r', sha: 'a', parents: [], authoredAt: t('00:00', 1) },
  { repository: 'r', sha: 'b', parents: ['a'], authoredAt: t('00:00', 2) },
  { repository: 'r', sha: 'c', parents: ['b'], authoredAt: t('00:00', 3) },
  { repository: 'r', sha: 'd', parents: ['c'], authoredAt: t('00:00', 4) },
  { repository: 'r', sha: 'x', parents: ['a'], authoredAt: t('00:00', 5) },
  { repository: 'r', sha: 'm', parents: ['d', 'x'], authoredAt: t('00:00', 6) },
]);

const deployment = (id: number, commitSha: string | null, finishedAt: Date, extra: Partial<DeploymentInput> = {}): DeploymentInput => ({
  id, externalId: `d${id}`, finishedAt, commitSha, ref: null, labels: [], ...extra,
});
const incident = (id: number, createdAt: Date, resolvedAt: Date | null, extra: Partial<IncidentInput> = {}): IncidentInput => ({
  id, serviceId: 's', createdAt, startedAt: null, resolvedAt, deploymentExternalId: null, causeCommitSha: null, causePullRequest: null, causeSetViaApi: false,
  resolvedByDeploymentExternalId: null, ...extra,
});
const derive = (deployments: DeploymentInput[], incidents: IncidentInput[] = [], overrides: Partial<DerivationRules> = {}, pullRequests = [] as { repository: string; number: number; mergeCommitSha: string | null; commitShas: string[] }[]) =>
  deriveServiceFacts({ serviceId: 's', deployments, incidents, pullRequests, graph, rules: { ...rules, ...overrides } });

describe('commit graph', () => {
  it.each([
    ['d', 'b', ['d', 'c']],
    ['m', 'b', ['m', 'x', 'd', 'c']],
    ['m', 'x', ['m', 'd', 'c', 'b']],
    ['b', 'd', []],
    ['d', 'd', []],
  ])('reachable from %s and not from %s', (head, base, expected) => {
    expect(graph.reachableFromExcluding(head, base).sort()).toEqual([...expected].sort());
  });

  it.each([
    ['a', 'd', true], ['b', 'm', true], ['x', 'd', false], ['d', 'd', false], ['d', 'a', false], ['zz', 'd', false],
  ])('%s is a strict ancestor of %s: %s', (ancestor, descendant, expected) => {
    expect(graph.isStrictAncestor(ancestor, descendant)).toBe(expected);
  });

  it('survives a parent cycle in pushed data', () => {
    const cyclic = new CommitGraph([
      { repository: 'r', sha: 'p', parents: ['q'], authoredAt: t('00:00') },
      { repository: 'r', sha: 'q', parents: ['p'], authoredAt: t('00:00') },
    ]);
    // Garbage in: the walk must still end, with at most the head itself.
    expect(cyclic.reachableFromExcluding('p', 'q').length).toBeLessThanOrEqual(1);
    expect(cyclic.generation('p')).toBeGreaterThan(0);
  });
});

describe('shipped commits', () => {
  it('first deployment ships only its own commit; later ones the graph difference; rollbacks ship nothing', () => {
    const { facts, changes } = derive([deployment(1, 'b', t('10:00')), deployment(2, 'd', t('12:00')), deployment(3, 'c', t('13:00')), deployment(4, 'm', t('15:00'))]);
    const shipped = (id: number) => changes.filter((c) => c.deploymentId === id).map((c) => c.sha).sort();
    expect(shipped(1)).toEqual(['b']);
    expect(shipped(2)).toEqual(['c', 'd']);
    expect(shipped(3)).toEqual([]); // c was already shipped by d2: a commit counts once
    expect(shipped(4)).toEqual(['m', 'x']); // d was shipped by d2
    expect(facts.map((f) => f.shippedBasis)).toEqual(['deploy_commit', 'graph', 'graph', 'graph']);
    const leadTime = changes.find((c) => c.sha === 'd')!;
    expect(leadTime.leadTimeSeconds).toBe((t('12:00').getTime() - t('00:00', 4).getTime()) / 1000);
  });

  it('a first deployment of a merge commit ships its pull request commits', () => {
    const { facts, changes } = derive([deployment(1, 'm', t('10:00'))], [], {}, [{ repository: 'r', number: 7, mergeCommitSha: 'm', commitShas: ['x'] }]);
    expect(facts[0]!.shippedBasis).toBe('pull_request');
    expect(changes.map((c) => [c.sha, c.pullRequestNumber])).toEqual([['m', 7], ['x', 7]]);
  });

  it('an unknown commit ships nothing and says so', () => {
    const { facts, changes } = derive([deployment(1, 'f00d', t('10:00'))]);
    expect(facts[0]).toMatchObject({ shippedBasis: 'unknown', changeCount: 0 });
    expect(changes).toEqual([]);
  });
});

describe('failed deployments', () => {
  it.each([
    ['explicit link by deployment id', [incident(1, t('20:00'), t('21:00'), { deploymentExternalId: 'd1' })], 'incident_link', [1], ['deployment_id']],
    ['explicit link by cause commit (prefix)', [incident(1, t('20:00'), t('21:00'), { causeCommitSha: 'b' })], 'incident_link', [1], ['commit']],
    ['explicit link by a pull request it shipped', [incident(1, t('20:00'), t('21:00'), { causePullRequest: 'r#7' })], 'incident_link', [1], ['pull_request']],
    ['explicit link set through the API', [incident(1, t('20:00'), t('21:00'), { deploymentExternalId: 'd1', causeSetViaApi: true })], 'incident_link', [1], ['api:deployment_id']],
    ['explicit links win over implicit ones', [incident(2, t('10:30'), t('11:00')), incident(3, t('20:00'), t('21:00'), { causeCommitSha: 'b' })], 'incident_link', [3], ['commit']],
    ['implicit: on the service between this and the next deployment', [incident(1, t('10:30'), t('11:00'))], 'implicit_incident', [1], ['implicit']],
    ['not implicit: before the deployment finished', [incident(1, t('09:30'), t('11:00'))], null, [], []],
    ['not implicit: after the next deployment', [incident(1, t('12:30'), t('13:00'))], null, [], []],
    ['not linked: a pull request the deployment did not ship', [incident(1, t('20:00'), t('21:00'), { causePullRequest: 'r#8' })], null, [], []],
  ])('%s', (_name, incidents, reason, ids, reasons) => {
    // PR r#7 merged as commit b (the first deployment's); r#8's merge commit c ships with the second.
    const pullRequests = [{ repository: 'r', number: 7, mergeCommitSha: 'b', commitShas: ['b'] }, { repository: 'r', number: 8, mergeCommitSha: 'c', commitShas: ['c'] }];
    const { facts } = derive([deployment(1, 'b', t('10:00')), deployment(2, 'c', t('12:00'))], incidents, {}, pullRequests);
    expect(facts[0]).toMatchObject({ isFailed: reason !== null, failureReason: reason, failureIncidentIds: ids, failureLinkReasons: reasons });
  });

  it('a pull request named in another case still links', () => {
    const { facts } = derive([deployment(1, 'b', t('10:00'))], [incident(1, t('20:00'), t('21:00'), { causePullRequest: 'r#7' })], {}, [{ repository: 'R', number: 7, mergeCommitSha: 'x', commitShas: ['b'] }]);
    expect(facts[0]).toMatchObject({ failureReason: 'incident_link', failureLinkReasons: ['pull_request'] });
  });

  it('implicit linkage can be switched off', () => {
    const { facts } = derive([deployment(1, 'b', t('10:00'))], [incident(1, t('10:30'), t('11:00'))], { implicitFailureLinkage: false });
    expect(facts[0]!.isFailed).toBe(false);
  });

  it('a rollback to an older commit fails the deployment it replaced, and explicit links win', () => {
    const { facts } = derive([deployment(1, 'b', t('10:00')), deployment(2, 'd', t('11:00')), deployment(3, 'b', t('11:30'))]);
    expect(facts.map((f) => f.failureReason)).toEqual([null, 'rollback', null]);
    expect(facts[1]!.rolledBackByDeploymentId).toBe(3);
    const explicit = derive([deployment(1, 'b', t('10:00')), deployment(2, 'd', t('11:00')), deployment(3, 'b', t('11:30'))], [incident(9, t('11:10'), t('11:40'), { deploymentExternalId: 'd2' })]);
    expect(explicit.facts[1]).toMatchObject({ failureReason: 'incident_link', recoveredAt: t('11:40') });
  });

  it('recovers when the last of its incidents resolves; an open incident means not recovered', () => {
    const resolved = derive([deployment(1, 'b', t('10:00'))], [incident(1, t('10:10'), t('10:40')), incident(2, t('10:20'), t('11:30'))]);
    expect(resolved.facts[0]!.recoveredAt).toEqual(t('11:30'));
    const open = derive([deployment(1, 'b', t('10:00'))], [incident(1, t('10:10'), t('10:40')), incident(2, t('10:20'), null)]);
    expect(open.facts[0]).toMatchObject({ isFailed: true, recoveredAt: null });
  });
});

describe('rework', () => {
  it.each([
    ['explicit fix link', [deployment(1, 'b', t('10:00')), deployment(2, 'c', t('13:00'))], [incident(1, t('09:00'), t('15:00'), { resolvedByDeploymentExternalId: 'd2' })], [null, 'incident_fix_link']],
    ['the last deployment before an incident resolved within the window', [deployment(1, 'b', t('10:00')), deployment(2, 'c', t('10:30'))], [incident(1, t('09:00'), t('11:00'))], [null, 'resolved_incident']],
    ['not when resolved later than the window', [deployment(1, 'b', t('10:00')), deployment(2, 'c', t('10:30'))], [incident(1, t('09:00'), t('12:00'))], [null, null]],
    ['hotfix by ref', [deployment(1, 'b', t('10:00'), { ref: 'hotfix/login' })], [], ['hotfix_rule']],
    ['hotfix by label', [deployment(1, 'b', t('10:00'), { labels: ['HotFix'] })], [], ['hotfix_rule']],
  ])('%s', (_name, deployments, incidents, reasons) => {
    expect(derive(deployments, incidents).facts.map((f) => f.reworkReason)).toEqual(reasons);
  });
});
