// The benchmark generator (bench/generate.ts): exact counts, the proportions, records
// that ingest accepts, commit chains that ingest's graph walk reads as intended, and memory
// that stays flat however many batches are consumed. No timing thresholds (STYLE.md).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { CommitRecord, DeploymentRecord, NormalizedRecord, PullRequestRecord, RecordKind } from '../connectors/contract.js';
import { parseOrgConfig } from '../server/config.js';
import { catalogOf } from '../server/ingest/ingest.js';
import { validateRecords } from '../server/ingest/validate.js';
import {
  expectedCounts, generateBatches, generateExtraWeek, generateShipments, historyHeads, orgYaml, sampleRecords, shipmentsOf, type Shipment,
} from './generate.js';
import { PROFILES } from './profiles.js';

const NOW = new Date('2026-11-16T00:00:00Z');
const WEEK = 7 * 24 * 3600e3;
const profile = PROFILES['org-S'];
const org = parseOrgConfig(orgYaml(profile), 'org-S.yaml');
const catalog = catalogOf(org);

interface Survey {
  batchSizes: number[];
  counts: Record<RecordKind, number>;
  problems: unknown[];
  /** Records referring to something not yet streamed (a PR's commits, a deployment's commit, an incident's deployment). */
  forwardReferences: number;
  outsideWindow: number;
  /** CI runs by the event that started them. */
  ciRunEvents: Record<string, number>;
  commits: Map<string, { parents: string[]; repository: string }>;
  inPullRequests: Set<string>;
  /** Production successes per service, in stream order. */
  production: Map<string, DeploymentRecord[]>;
  outOfOrder: number;
  staging: number;
  pipelineFailures: number;
  linkedIncidents: number;
  linkedDeployments: Set<string>;
  restoreMinutes: number[];
}

/** One pass over a stream, keeping what the assertions need (the test keeps the commits; the generator does not). */
function survey(batches: Iterable<NormalizedRecord[]>, from: number, to: number, known?: Survey): Survey {
  const s: Survey = {
    batchSizes: [], counts: { commit: 0, pull_request: 0, deployment: 0, incident: 0, ci_run: 0, bug: 0 }, problems: [], forwardReferences: 0, outsideWindow: 0,
    commits: new Map(known?.commits ?? []), inPullRequests: new Set(), production: new Map(), outOfOrder: 0,
    staging: 0, pipelineFailures: 0, linkedIncidents: 0, linkedDeployments: new Set(), restoreMinutes: [], ciRunEvents: {},
  };
  const deployments = new Map<string, DeploymentRecord>();
  const inWindow = (text: string) => {
    const at = Date.parse(text);
    if (!(at >= from && at < to)) s.outsideWindow++;
  };
  for (const batch of batches) {
    s.batchSizes.push(batch.length);
    const { problems } = validateRecords(batch.map((r) => ({ kind: r.kind, value: r.record })), catalog, (index) => ({ index }));
    s.problems.push(...problems.slice(0, 5));
    for (const item of batch) {
      s.counts[item.kind]++;
      if (item.kind === 'commit') {
        const c: CommitRecord = item.record;
        if (c.parents.some((p) => !s.commits.has(p))) s.forwardReferences++;
        s.commits.set(c.sha, { parents: c.parents, repository: c.repository });
        inWindow(c.committed_at);
      } else if (item.kind === 'pull_request') {
        const p = item.record;
        for (const sha of [...(p.commit_shas ?? []), p.merge_commit_sha!]) {
          if (!s.commits.has(sha)) s.forwardReferences++;
          s.inPullRequests.add(sha);
        }
        inWindow(p.merged_at!);
      } else if (item.kind === 'deployment') {
        const d = item.record;
        if (!s.commits.has(d.commit_sha!)) s.forwardReferences++;
        deployments.set(d.external_id, d);
        inWindow(d.finished_at);
        if (d.environment !== 'production') s.staging++;
        else if (d.status === 'failure') s.pipelineFailures++;
        else {
          const list = s.production.get(d.service) ?? [];
          if (list.length && list[list.length - 1]!.finished_at >= d.finished_at) s.outOfOrder++;
          list.push(d);
          s.production.set(d.service, list);
        }
      } else if (item.kind === 'ci_run') {
        const r = item.record;
        if (r.commit_sha && !s.commits.has(r.commit_sha)) s.forwardReferences++;
        inWindow(r.finished_at!);
        s.ciRunEvents[r.event!] = (s.ciRunEvents[r.event!] ?? 0) + 1;
      } else if (item.kind === 'incident') {
        const i = item.record;
        inWindow(i.created_at);
        if (i.resolved_at) s.restoreMinutes.push((Date.parse(i.resolved_at) - Date.parse(i.started_at ?? i.created_at)) / 60e3);
        if (i.deployment_external_id) {
          s.linkedIncidents++;
          const cause = deployments.get(i.deployment_external_id);
          if (!cause || cause.service !== i.service || cause.status !== 'success' || cause.finished_at >= i.created_at) s.forwardReferences++;
          s.linkedDeployments.add(i.deployment_external_id);
        }
      }
    }
  }
  return s;
}

/** The commits a production deployment ships: reachable from its commit, stopping at the previous one's (derive.ts). */
function shipped(commits: Survey['commits'], head: string, previous: string | null): string[] | null {
  const seen = new Set<string>();
  const stack = [head];
  while (stack.length) {
    const sha = stack.pop()!;
    if (sha === previous || seen.has(sha)) continue;
    const commit = commits.get(sha);
    if (!commit) return null; // a dangling parent
    seen.add(sha);
    stack.push(...commit.parents);
  }
  return [...seen];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

let historySurvey: Survey | undefined;
const history = () => (historySurvey ??= survey(generateBatches(profile, { now: NOW }), NOW.getTime() - profile.weeks * WEEK, NOW.getTime()));

describe('orgYaml', () => {
  it.each([['org-L', 50, 500], ['org-S', 10, 50]] as const)('%s: two levels of %i teams and %i services, each with one owner and repository', (name, teams, services) => {
    const parsed = parseOrgConfig(orgYaml(PROFILES[name]));
    expect(parsed.name).toBe(`Bench ${name}`);
    expect(parsed.teams).toHaveLength(teams);
    const parentOf = new Map(parsed.teams.map((t) => [t.id, t.parents[0]!.value]));
    for (const [, parent] of parentOf) if (parent !== null) expect(parentOf.get(parent)).toBeNull();
    expect(new Set(parentOf.values()).size).toBeGreaterThan(2); // null plus at least two groups
    expect(parsed.services).toHaveLength(services);
    for (const service of parsed.services) {
      expect(service.owners).toHaveLength(1);
      expect(service.repositories).toEqual([`bench/${service.id}`]);
    }
  });
});

describe('expectedCounts', () => {
  it('gives the issue #7 sizes for org-L and a tenth of them for org-S', () => {
    expect(expectedCounts(PROFILES['org-L'])).toEqual({
      history: { commit: 1_000_000, pull_request: 200_000, deployment: 200_000, incident: 20_000, ci_run: 500_000, bug: 0 },
      extraWeek: { commit: 10_000, pull_request: 2_000, deployment: 2_000, incident: 200, ci_run: 5_000, bug: 0 },
    });
    expect(expectedCounts(profile).history).toEqual({ commit: 100_000, pull_request: 20_000, deployment: 20_000, incident: 2_000, ci_run: 50_000, bug: 0 });
  });

  it('splits org-L over its services without breaking a constraint', () => {
    expect([...historyHeads(PROFILES['org-L']).values()].every((sha) => sha !== null)).toBe(true);
    expect(generateExtraWeek(PROFILES['org-L'], { now: NOW, batchSize: 100 }).next().value).toHaveLength(100);
  });
});

// Each of these walks all of org-S's 142k records: seconds, more on a busy machine.
describe('generateBatches (org-S)', { timeout: 120_000 }, () => {
  it('is deterministic for a seed', () => {
    const first = (seed?: number) => {
      const batches = generateBatches(profile, { now: NOW, seed, batchSize: 2_000 });
      return [batches.next().value, batches.next().value];
    };
    expect(first()).toEqual(first());
    expect(first(99)).toEqual(first(99));
    expect(first(99)).not.toEqual(first());
  });

  it('yields exactly expectedCounts, in full batches but the last', () => {
    const s = history();
    expect(s.counts).toEqual(expectedCounts(profile).history);
    expect(s.batchSizes.slice(0, -1).every((size) => size === 10_000)).toBe(true);
    expect(s.batchSizes.at(-1)).toBeGreaterThan(0);
  });

  it('yields records the ingest validation accepts, inside the 104 weeks', () => {
    const s = history();
    expect(s.problems).toEqual([]);
    expect(s.outsideWindow).toBe(0);
  });

  it('streams every record after the records it refers to', () => {
    expect(history().forwardReferences).toBe(0);
    expect(history().outOfOrder).toBe(0);
  });

  it('has the issue proportions', () => {
    const s = history();
    const deployments = s.counts.deployment;
    expect((s.pipelineFailures + s.linkedDeployments.size) / deployments).toBeCloseTo(0.03, 2);
    expect(s.staging / deployments).toBeCloseTo(0.01, 2);
    expect(s.linkedIncidents / s.counts.incident).toBeCloseTo(0.1, 2);
    expect(s.linkedDeployments.size).toBe(s.linkedIncidents); // one incident per failed deployment
    expect(1 - s.inPullRequests.size / s.counts.commit).toBeCloseTo(0.05, 2);
    // Restore times have a long tail.
    expect(median(s.restoreMinutes)).toBeLessThan(s.restoreMinutes.reduce((a, b) => a + b, 0) / s.restoreMinutes.length);
    // A CI run per deployment (its pipeline, on main) and per pull request; nightly runs of main make up the rest.
    expect(s.ciRunEvents).toEqual({ push: deployments, pull_request: s.counts.pull_request, schedule: s.counts.ci_run - deployments - s.counts.pull_request });
  });

  it('gives every production deployment a chain of 1-9 new commits back to the previous one', () => {
    const s = history();
    const sizes: number[] = [];
    for (const [service, deployments] of s.production) {
      deployments.forEach((deployment, i) => {
        const chain = shipped(s.commits, deployment.commit_sha!, deployments[i - 1]?.commit_sha ?? null);
        expect(chain, `${deployment.external_id}`).not.toBeNull();
        sizes.push(chain!.length);
        for (const sha of chain!) expect(s.commits.get(sha)!.repository).toBe(`bench/${service}`);
      });
    }
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(9);
    // Every commit is shipped exactly once: the chains partition the history.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(s.counts.commit);
    expect(sizes.length).toBe(s.counts.deployment - s.staging - s.pipelineFailures);
    // Some pull requests are merged with a merge commit.
    expect([...s.commits.values()].some((c) => c.parents.length === 2)).toBe(true);
  });

  it('ends each service on the head historyHeads computes', () => {
    const s = history();
    const heads = historyHeads(profile);
    for (const [service, deployments] of s.production) expect(deployments.at(-1)!.commit_sha).toBe(heads.get(service));
  });
});

describe('generateExtraWeek (org-S)', { timeout: 120_000 }, () => {
  it('continues every chain from the history, inside the week after now', () => {
    const s = history();
    const week = survey(generateExtraWeek(profile, { now: NOW }), NOW.getTime(), NOW.getTime() + WEEK, s);
    expect(week.counts).toEqual(expectedCounts(profile).extraWeek);
    expect(week.problems).toEqual([]);
    expect(week.outsideWindow).toBe(0);
    expect(week.forwardReferences).toBe(0);
    let shippedCount = 0;
    for (const [service, deployments] of week.production) {
      deployments.forEach((deployment, i) => {
        const previous = deployments[i - 1]?.commit_sha ?? s.production.get(service)!.at(-1)!.commit_sha!;
        const chain = shipped(week.commits, deployment.commit_sha!, previous);
        expect(chain!.length).toBeGreaterThanOrEqual(1);
        expect(chain!.length).toBeLessThanOrEqual(9);
        shippedCount += chain!.length;
      });
    }
    expect(shippedCount).toBe(week.counts.commit);
  });

  it('does not reuse a history id', () => {
    const ids = (batches: Iterable<NormalizedRecord[]>) => {
      const keys = new Set<string>();
      for (const batch of batches) {
        for (const { kind, record } of batch) {
          keys.add(kind === 'commit' ? record.sha : kind === 'pull_request' ? `${record.repository}#${record.number}` : `${kind}:${record.external_id}`);
        }
      }
      return keys;
    };
    const before = ids(generateBatches(profile, { now: NOW }));
    for (const key of ids(generateExtraWeek(profile, { now: NOW }))) expect(before.has(key)).toBe(false);
  });
});

describe('shipmentsOf', () => {
  const sha = (n: number) => n.toString(16).padStart(40, '0');
  const commit = (n: number): NormalizedRecord => ({
    kind: 'commit',
    record: { repository: 'bench/svc-001', sha: sha(n), parents: n > 1 ? [sha(n - 1)] : [], authored_at: `2026-03-0${n}T08:00:00.000Z`, committed_at: `2026-03-0${n}T08:00:00.000Z` },
  });
  const pullRequest = (number: number, commits: number[]): NormalizedRecord => {
    const record: PullRequestRecord = {
      repository: 'bench/svc-001', number, opened_at: '2026-03-01T00:00:00.000Z', merged_at: '2026-03-09T00:00:00.000Z',
      merge_commit_sha: sha(commits.at(-1)!), commit_shas: commits.map(sha),
    };
    return { kind: 'pull_request', record };
  };
  let deployments = 0;
  const deploy = (head: number, environment = 'production', status: 'success' | 'failure' = 'success'): NormalizedRecord => ({
    kind: 'deployment',
    record: { source: 'bench-ci', external_id: `svc-001-${++deployments}`, service: 'svc-001', environment, status, finished_at: '2026-03-09T10:00:00.000Z', commit_sha: sha(head) },
  });
  const shipped = (shipments: Shipment[]) => shipments.map((s) => [s.deployment.environment, s.deployment.status, s.previousSha, s.commits?.map((c) => c.sha) ?? null]);

  it('ships, at a service\'s first deployment, only the pull request merged as its head; later, everything since the previous one', () => {
    const records = [commit(1), commit(2), commit(3), pullRequest(1, [2, 3]), deploy(3, 'staging'), deploy(3, 'production', 'failure'), deploy(3), commit(4), commit(5), deploy(5)];
    expect(shipped([...shipmentsOf(records, { repository: 'bench/svc-001', previousSha: null })])).toEqual([
      ['staging', 'success', null, null],
      ['production', 'failure', null, null],
      ['production', 'success', null, [sha(2), sha(3)]], // commit 1 is shipped by no deployment (derive.ts)
      ['production', 'success', sha(3), [sha(4), sha(5)]],
    ]);
  });

  it('ships only the head at a first deployment whose head is no pull request\'s merge commit', () => {
    const records = [commit(1), commit(2), pullRequest(1, [1]), commit(3), deploy(3)];
    expect(shipped([...shipmentsOf(records, { repository: 'bench/svc-001', previousSha: null })])).toEqual([['production', 'success', null, [sha(3)]]]);
  });

  it('ships everything since the previous head when the stream continues a history', () => {
    const records = [commit(4), commit(5), pullRequest(2, [5]), deploy(5)];
    expect(shipped([...shipmentsOf(records, { repository: 'bench/svc-001', previousSha: sha(3) })])).toEqual([['production', 'success', sha(3), [sha(4), sha(5)]]]);
  });
});

describe('generateShipments (org-S)', { timeout: 120_000 }, () => {
  it('gives every deployment of the history, production ones with the commits derive.ts finds', () => {
    const s = history();
    const production = new Map<string, Shipment[]>();
    let shipments = 0;
    for (const batch of generateShipments(profile, { now: NOW, batchSize: 5_000 })) {
      expect(batch.length).toBeLessThanOrEqual(5_000);
      for (const shipment of batch) {
        shipments++;
        const { deployment } = shipment;
        if (deployment.environment !== 'production' || deployment.status !== 'success') {
          expect(shipment.commits).toBeNull();
          continue;
        }
        expect(shipment.repository).toBe(`bench/${deployment.service}`);
        const list = production.get(deployment.service) ?? [];
        list.push(shipment);
        production.set(deployment.service, list);
      }
    }
    expect(shipments).toBe(s.counts.deployment);
    let unshipped = 0;
    for (const [service, deployments] of s.production) {
      const truth = production.get(service)!;
      expect(truth.map((t) => t.deployment)).toEqual(deployments);
      deployments.forEach((deployment, i) => {
        const chain = shipped(s.commits, deployment.commit_sha!, deployments[i - 1]?.commit_sha ?? null)!;
        const commits = truth[i]!.commits!.map((c) => c.sha);
        expect(truth[i]!.previousSha).toBe(deployments[i - 1]?.commit_sha ?? null);
        if (i > 0) expect(new Set(commits)).toEqual(new Set(chain));
        else {
          // The first release ships its head's pull request (or only its head); the rest of its chain never ships.
          expect(commits).toContain(deployment.commit_sha);
          expect(chain).toEqual(expect.arrayContaining(commits));
          unshipped += chain.length - commits.length;
        }
      });
    }
    expect(unshipped).toBeGreaterThan(0);
  });

  it('continues each service from its history head in the extra week', () => {
    const heads = historyHeads(profile);
    const first = new Map<string, Shipment>();
    let commits = 0;
    for (const batch of generateShipments(profile, { now: NOW, period: 'extra-week' })) {
      for (const shipment of batch) {
        if (!shipment.commits) continue;
        if (!first.has(shipment.deployment.service)) first.set(shipment.deployment.service, shipment);
        commits += shipment.commits.length;
      }
    }
    for (const [service, shipment] of first) expect(shipment.previousSha).toBe(heads.get(service));
    // Every extra-week commit ships: no service starts in the extra week.
    expect(commits).toBe(expectedCounts(profile).extraWeek.commit);
  });
});

describe('sampleRecords', () => {
  it('gives 20k valid records of every kind, deterministically, from another seed', () => {
    const sample = sampleRecords(profile, { now: NOW });
    expect(sample).toHaveLength(20_000);
    expect(sampleRecords(profile, { now: NOW })).toEqual(sample);
    expect(new Set(sample.map((r) => r.kind))).toEqual(new Set(['commit', 'pull_request', 'deployment', 'incident', 'ci_run']));
    expect(validateRecords(sample.map((r) => ({ kind: r.kind, value: r.record })), catalog, (index) => ({ index })).problems).toEqual([]);
    const first = generateBatches(profile, { now: NOW }).next().value![0]!;
    expect(sample[0]).not.toEqual(first);
  });
});

// Forced collections make heapUsed comparable; without --expose-gc the flag is set at run time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;

describe('memory', { timeout: 120_000 }, () => {
  it.skipIf(typeof gc !== 'function')('stays flat while the batches are consumed', () => {
    const heapAfterGc = () => {
      gc!();
      gc!();
      return process.memoryUsage().heapUsed;
    };
    const batches = expectedCounts(profile).history;
    const total = Math.ceil(Object.values(batches).reduce((a, b) => a + b, 0) / 10_000);
    let consumed = 0;
    let quarter = 0;
    for (const batch of generateBatches(profile, { now: NOW })) {
      expect(batch.length).toBeGreaterThan(0);
      if (++consumed === Math.ceil(total / 4)) quarter = heapAfterGc();
    }
    const end = heapAfterGc();
    expect(consumed).toBe(total);
    // Keeping the 142k records would take well over 100 MB; a bounded stream keeps roughly the same heap.
    expect(end - quarter).toBeLessThan(16 * 2 ** 20);
  });
});
