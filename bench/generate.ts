// The scale benchmark's data (issue #7): the organisation's bellwether.yaml and a seeded,
// streaming generator of its commits, pull requests, deployments and incidents. Records
// come service by service, so memory holds one service's plan (a few small arrays), never
// the data set; every number and sha is a pure function of (profile, seed, now).
import { hash } from 'node:crypto';
import type {
  CommitRecord, DeploymentRecord, IncidentRecord, NormalizedRecord, PullRequestRecord, RecordKind,
} from '../connectors/contract.js';
import { SHARES, type Profile, type Workload } from './profiles.js';
import { hash32, Random } from '../server/lib/random.js';
import { isoFromMillis as iso } from '../server/lib/iso-time.js';

export const BENCH_SOURCES = { git: 'bench-git', deployments: 'bench-ci', incidents: 'bench-pager', ciRuns: 'bench-actions' } as const;
export const DEFAULT_SEED = 7;
export const DEFAULT_BATCH_SIZE = 10_000;
export const BENCH_TIME_ZONE = 'Europe/Berlin';

export interface GenerateOptions {
  /** The history ends here (exclusive); the extra week starts here. */
  now: Date;
  /** PRNG seed (default DEFAULT_SEED): the same profile, seed and now give identical records. */
  seed?: number;
  /** Records per batch (default 10,000, the ingest API's largest batch); the last one may be shorter. */
  batchSize?: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

// Releases happen in working hours: weekdays 07:00–16:00 UTC (08/09–17/18 in Europe/Berlin).
const WORK_START = 7 * HOUR;
const WORK_DAY = 9 * HOUR;
/** Staging, a failed attempt and production all fit in this window before a release's production deploy. */
const PIPELINE = 45 * MINUTE;
/** Production deploys of a service are at least this far apart (in working time), so each release has its own commit window. */
const MIN_RELEASE_GAP = 50 * MINUTE;
/** Merge commits: the share of multi-commit pull requests merged with --no-ff instead of rebased onto main. */
const MERGE_COMMIT_SHARE = 0.15;

// ---------------------------------------------------------------- identities

/**
 * A service's n-th commit (0-based, over history and extra week). Being a pure function of
 * its position is what lets the extra week continue the chain without re-running the history.
 */
function commitSha(seed: number, service: string, index: number): string {
  return hash('sha1', `${seed}:${service}:${index}`, 'hex');
}

// ---------------------------------------------------------------- text material
const FIRST_NAMES = ['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonah', 'Kemi', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rafael', 'Sofia', 'Tariq', 'Uma', 'Victor', 'Wen', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Okafor', 'Schmidt', 'Tanaka', 'Patel', 'Rossi', 'Nguyen', 'Haddad', 'Kowalski', 'Silva', 'Larsen', 'Mensah', 'Cohen', 'Garcia', 'Kim', 'Dubois', 'Novak', 'Berg'];
const BOTS = ['renovate[bot]', 'dependabot[bot]'];
const PR_VERBS = ['Add', 'Fix', 'Refactor', 'Remove', 'Improve', 'Update', 'Handle', 'Cache', 'Validate', 'Migrate', 'Instrument', 'Simplify'];
const PR_OBJECTS = [
  'retry logic for webhooks', 'currency rounding', 'idempotency keys', 'feature flag for the new flow', 'metrics for queue depth',
  'logging around timeouts', 'pagination in list endpoint', 'N+1 query in loader', 'input validation', 'config loading',
  'health check', 'rate limiter', 'tracing spans', 'database indexes', 'timeouts on outbound calls', 'graceful shutdown',
];
const DIRECT_MESSAGES = ['Bump dependencies', 'Fix typo in README', 'Update CODEOWNERS', 'Tweak alert thresholds', 'Regenerate lockfile'];
const INCIDENT_CAUSES = [
  { key: 'db-connection-pool', title: 'Database connection pool exhausted' },
  { key: 'memory-leak', title: 'Memory climbing until pods are OOM-killed' },
  { key: 'bad-config', title: 'Bad configuration rolled out' },
  { key: 'dependency-timeouts', title: 'Upstream dependency timing out' },
  { key: 'cache-stampede', title: 'Cache stampede after cold start' },
  { key: 'queue-backlog', title: 'Queue backlog growing' },
] as const;
type Severity = 'sev1' | 'sev2' | 'sev3' | 'sev4' | 'sev5';
/** Skewed to sev3–4, as most pager data is (weights sum to 1). */
const SEVERITY_WEIGHTS: [Severity, number][] = [['sev1', 0.03], ['sev2', 0.12], ['sev3', 0.38], ['sev4', 0.35], ['sev5', 0.12]];
/** Median minutes to acknowledge and to restore per severity; restore times are log-normal around them. */
const ACK_MINUTES: Record<Severity, number> = { sev1: 3, sev2: 5, sev3: 12, sev4: 30, sev5: 90 };
const RESTORE_MINUTES: Record<Severity, number> = { sev1: 35, sev2: 70, sev3: 180, sev4: 480, sev5: 1800 };
/** Teams differ: median lead time (hours) from authoring to production, picked per team by a hash. */
const LEAD_MEDIAN_HOURS = [6, 14, 26, 48, 90];
const TEAM_SIZE = 8;

function personName(index: number): string {
  return `${FIRST_NAMES[index % FIRST_NAMES.length]} ${LAST_NAMES[(index * 7 + Math.floor(index / FIRST_NAMES.length)) % LAST_NAMES.length]}`;
}

// ---------------------------------------------------------------- the organisation
interface BenchTeam {
  id: string;
  name: string;
  parent: string | null;
}

interface BenchService {
  id: string;
  repository: string;
  owner: string;
  authors: string[];
  leadMedianHours: number;
  /** Relative activity: a few busy services, many quiet ones (log-normal, seed-independent). */
  weight: number;
}

function organisation(profile: Profile): { teams: BenchTeam[]; services: BenchService[] } {
  const groups: BenchTeam[] = Array.from({ length: profile.groups }, (_, g) => ({ id: `area-${g + 1}`, name: `Area ${g + 1}`, parent: null }));
  const leafCount = profile.groups * profile.teamsPerGroup;
  const width = String(leafCount).length;
  const leaves: BenchTeam[] = Array.from({ length: leafCount }, (_, t) => {
    const number = String(t + 1).padStart(width, '0');
    return { id: `team-${number}`, name: `Team ${number}`, parent: groups[Math.floor(t / profile.teamsPerGroup)]!.id };
  });
  const serviceWidth = Math.max(3, String(profile.services).length);
  const services = Array.from({ length: profile.services }, (_, s): BenchService => {
    const id = `svc-${String(s + 1).padStart(serviceWidth, '0')}`;
    const teamIndex = s % leafCount;
    const team = leaves[teamIndex]!;
    const random = new Random(hash32(`weight:${id}`));
    return {
      id,
      repository: `bench/${id}`,
      owner: team.id,
      authors: Array.from({ length: TEAM_SIZE }, (_, k) => personName(teamIndex * TEAM_SIZE + k)),
      leadMedianHours: LEAD_MEDIAN_HOURS[hash32(team.id) % LEAD_MEDIAN_HOURS.length]!,
      weight: Math.min(6, Math.max(0.15, Math.exp(0.9 * random.normal()))),
    };
  });
  return { teams: [...groups, ...leaves], services };
}

/**
 * The benchmark organisation's bellwether.yaml. Implicit failure linkage is off: with 90 % of
 * incidents not caused by a deployment, the implicit rule would blame the deployment before
 * each of them and the change failure rate would be ~10 % instead of the generated rate.
 */
export function orgYaml(profile: Profile): string {
  const { teams, services } = organisation(profile);
  const lines = [
    `# Generated by bench/generate.ts for the scale benchmark (issue #7), profile ${profile.name}.`,
    'organisation:',
    `  name: Bench ${profile.name}`,
    `  time_zone: ${BENCH_TIME_ZONE}`,
    '  implicit_failure_linkage: false',
    'teams:',
    ...teams.flatMap((team) => [`  - id: ${team.id}`, `    name: ${team.name}`, ...(team.parent ? [`    parent: ${team.parent}`] : [])]),
    'services:',
    ...services.flatMap((service) => [`  - id: ${service.id}`, `    owner: ${service.owner}`, `    repositories: [${service.repository}]`]),
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------- exact counts
/** One service's share of a workload. */
interface ServiceCounts {
  /** Successful production deployments, each shipping its own chain of 1–9 commits. */
  releases: number;
  staging: number;
  pipelineFailures: number;
  linkedIncidents: number;
  commits: number;
  directCommits: number;
  pullRequests: number;
  incidents: number;
  /** Every CI run: one per deployment and per pull request, and nightly runs of main for the rest. */
  ciRuns: number;
}

const deploymentsOf = (counts: ServiceCounts) => counts.releases + counts.staging + counts.pipelineFailures;

/** Largest-remainder apportionment: integer shares proportional to `weights` that sum to `total` exactly. */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const quotas = weights.map((w) => (total * w) / sum);
  const shares = quotas.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    shares[i]!++;
  }
  return shares;
}

/**
 * Splits a workload over the services: releases by service weight, everything else by
 * releases, so each service keeps the workload's ratios (a service with no releases has no
 * commits). The checks hold for the shipped profiles; a custom profile that breaks them fails here.
 */
function allocate(services: BenchService[], workload: Workload, label: string): ServiceCounts[] {
  const staging = Math.round(workload.deployments * SHARES.nonProduction);
  const pipelineFailures = Math.round(workload.deployments * SHARES.pipelineFailure);
  const releases = workload.deployments - staging - pipelineFailures;
  const linked = Math.round(workload.incidents * SHARES.causedByDeployment);
  const direct = Math.round(workload.commits * SHARES.withoutPullRequest);
  const perService = apportion(releases, services.map((s) => s.weight));
  const split = (total: number) => apportion(total, perService);
  const [stagingS, failuresS, linkedS, commitsS, pullRequestsS, incidentsS, ciRunsS] = [
    staging, pipelineFailures, linked, workload.commits, workload.pullRequests, workload.incidents, workload.ciRuns,
  ].map(split) as number[][];
  const directS = apportion(direct, commitsS!);
  return services.map((service, s) => {
    const counts: ServiceCounts = {
      releases: perService[s]!, staging: stagingS![s]!, pipelineFailures: failuresS![s]!, linkedIncidents: linkedS![s]!,
      commits: commitsS![s]!, directCommits: directS[s]!, pullRequests: pullRequestsS![s]!, incidents: incidentsS![s]!, ciRuns: ciRunsS![s]!,
    };
    const { releases: r, commits: c } = counts;
    const problem =
      c < r || c > 9 * r ? `${c} commits for ${r} releases (each ships 1-9)`
      : counts.linkedIncidents > Math.min(r, counts.incidents) ? `${counts.linkedIncidents} deployment-caused incidents for ${r} releases`
      : counts.pullRequests < r || counts.pullRequests > c - counts.directCommits ? `${counts.pullRequests} pull requests for ${r} releases and ${c - counts.directCommits} commits in pull requests`
      : counts.ciRuns < deploymentsOf(counts) + counts.pullRequests ? `${counts.ciRuns} CI runs for ${deploymentsOf(counts)} deployments and ${counts.pullRequests} pull requests (one run each)`
      : null;
    if (problem) throw new RangeError(`profile ${label}: service ${service.id} gets ${problem}`);
    return counts;
  });
}

const KINDS_IN_ORDER: RecordKind[] = ['commit', 'pull_request', 'deployment', 'incident', 'ci_run', 'bug'];

function countsOf(workload: Workload): Record<RecordKind, number> {
  // Bugs are not generated (issue #7 names none).
  const byKind = { commit: workload.commits, pull_request: workload.pullRequests, deployment: workload.deployments, incident: workload.incidents, ci_run: workload.ciRuns, bug: 0 };
  return Object.fromEntries(KINDS_IN_ORDER.map((kind) => [kind, byKind[kind]])) as Record<RecordKind, number>;
}

/** The exact number of records of each kind generateBatches and generateExtraWeek yield. */
export function expectedCounts(profile: Profile): { history: Record<RecordKind, number>; extraWeek: Record<RecordKind, number> } {
  return { history: countsOf(profile.history), extraWeek: countsOf(profile.extraWeek) };
}

// ---------------------------------------------------------------- time
/** Weekday working hours inside [from, to), laid end to end: position p ↦ a real instant. */
class WorkingCalendar {
  private readonly opens: number[] = [];

  constructor(from: number, to: number) {
    for (let day = Math.floor(from / DAY) * DAY; day < to; day += DAY) {
      const weekday = (Math.floor(day / DAY) + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
      const open = day + WORK_START;
      // An hour's margin at the start leaves room for the pipeline; two at the end for incidents.
      if (weekday >= 1 && weekday <= 5 && open >= from + HOUR && open + WORK_DAY <= to - 2 * HOUR) this.opens.push(open);
    }
  }

  get length(): number {
    return this.opens.length * WORK_DAY;
  }

  toTime(position: number): number {
    const day = Math.floor(position / WORK_DAY);
    return this.opens[day]! + (position - day * WORK_DAY);
  }
}

interface Span {
  from: number;
  to: number;
  calendar: WorkingCalendar;
}

function sortedUniforms(random: Random, count: number, from: number, to: number): Float64Array {
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = random.between(from, to);
  return values.sort();
}

// ---------------------------------------------------------------- one service's records
interface Head {
  sha: string;
  committedAt: number;
}

/** Where a service's numbering continues from (the history's totals, for the extra week). */
interface Numbering {
  commits: number;
  pullRequests: number;
  deployments: number;
  incidents: number;
}

/**
 * One service over one span, in time order. Each successful production deployment ships a
 * fresh chain of 1–9 commits whose oldest parent is the previous production deployment's
 * commit, so ingest's graph walk (server/ingest/derive.ts) finds exactly that chain. (A
 * service's first deployment has no previous one, so derive.ts takes less: see shipmentsOf.)
 * A release's commits, then its pull requests, come before the deployments of its head.
 */
class ServiceStream {
  private readonly random: Random;
  /** CI runs draw from their own stream, so adding them left every other record as it was. */
  private readonly ciRandom: Random;
  private head: Head | null;
  private readonly next: Numbering;

  constructor(
    private readonly service: BenchService,
    private readonly counts: ServiceCounts,
    private readonly span: Span,
    private readonly seed: number,
    private readonly label: string,
    start: Numbering,
    head: Head | null,
  ) {
    this.random = new Random(hash32(`${seed}:${service.id}:${label}`));
    this.ciRandom = new Random(hash32(`${seed}:${service.id}:${label}:ci`));
    this.head = head;
    this.next = { ...start };
  }

  *records(): Generator<NormalizedRecord> {
    const { random, counts, span } = this;
    const sizes = this.releaseSizes();
    const direct = this.directCommitsPerRelease(sizes);
    const pullRequests = this.pullRequestsPerRelease(sizes, direct);
    const finishes = this.releaseTimes();
    const withStaging = random.selector(counts.staging, counts.releases);
    const withFailedAttempt = random.selector(counts.pipelineFailures, counts.releases);
    const causesIncident = random.selector(counts.linkedIncidents, counts.releases);
    // Incidents not caused by a deployment happen at any hour.
    const otherIncidents = sortedUniforms(random, counts.incidents - counts.linkedIncidents, span.from, span.to - HOUR);
    let nextIncident = 0;
    // Nightly runs of main: what is left of the service's CI runs after one per deployment and per pull request.
    const nightly = sortedUniforms(this.ciRandom, counts.ciRuns - deploymentsOf(counts) - counts.pullRequests, span.from, span.to - HOUR);
    let nextNightly = 0;

    for (let i = 0; i < counts.releases; i++) {
      const finishedAt = finishes[i]!;
      while (nextIncident < otherIncidents.length && otherIncidents[nextIncident]! < finishedAt) yield this.incident(otherIncidents[nextIncident++]!, null);
      while (nextNightly < nightly.length && nightly[nextNightly]! < finishedAt) yield this.nightlyRun(nightly[nextNightly]!, nextNightly++);

      const readyAt = finishedAt - PIPELINE;
      const base = this.head;
      const windowStart = base ? base.committedAt + SECOND : Math.max(span.from, readyAt - DAY);
      // Units landing on main in this release: 0 = a direct commit, k > 0 = a pull request of k commits.
      const units = [...new Array<number>(direct[i]!).fill(0), ...this.composition(sizes[i]! - direct[i]!, pullRequests[i]!)];
      for (let j = units.length - 1; j > 0; j--) {
        const k = random.int(0, j);
        [units[j], units[k]] = [units[k]!, units[j]!];
      }
      const landings = sortedUniforms(random, units.length, windowStart, readyAt);
      for (let j = 0; j < units.length; j++) {
        const size = units[j]!;
        if (size === 0) yield { kind: 'commit', record: this.directCommit(landings[j]!) };
        else yield* this.pullRequest(size, landings[j]!, base, finishedAt);
      }

      const sha = this.head!.sha;
      // A staging run, then maybe a failed pipeline attempt, of the same commit before production.
      if (withStaging()) yield* this.withPipelineRun(this.deployment('staging', 'success', finishedAt - random.between(28, 38) * MINUTE, sha));
      if (withFailedAttempt()) yield* this.withPipelineRun(this.deployment('production', 'failure', finishedAt - random.between(16, 26) * MINUTE, sha));
      const production = this.deployment('production', 'success', finishedAt, sha);
      yield* this.withPipelineRun(production);
      if (causesIncident()) {
        const createdAt = finishedAt + random.between(5, 90) * MINUTE;
        yield this.incident(createdAt, { deploymentExternalId: production.record.external_id, sha, notBefore: finishedAt + SECOND });
      }
    }
    while (nextIncident < otherIncidents.length) yield this.incident(otherIncidents[nextIncident++]!, null);
    while (nextNightly < nightly.length) yield this.nightlyRun(nightly[nextNightly]!, nextNightly++);
  }

  /** A deployment and the CI run of main that deployed it (same outcome and times). */
  private *withPipelineRun(deployment: { kind: 'deployment'; record: DeploymentRecord }): Generator<NormalizedRecord> {
    yield deployment;
    const { record } = deployment;
    yield this.ciRun(`deploy-${record.external_id}`, 'deploy', 'main', 'push', record.commit_sha ?? null, record.status as 'success' | 'failure', Date.parse(record.started_at!), Date.parse(record.finished_at));
  }

  /** A pull request's checks, on its own branch, finished before it merged: 90 % pass. */
  private pullRequestRun(number: number, headSha: string, mergedAt: number): NormalizedRecord {
    const random = this.ciRandom;
    // Finished before the merge, and inside the span (the span's first pull requests merge early in it).
    const finishedAt = mergedAt - random.between(0, Math.min(120, (mergedAt - this.span.from) / MINUTE)) * MINUTE;
    return this.ciRun(`pr-${number}`, 'checks', `pr-${number}`, 'pull_request', headSha, random.chance(0.9) ? 'success' : 'failure', finishedAt - random.between(3, 15) * MINUTE, finishedAt);
  }

  /** A nightly run of main: mostly green, the odd failure or cancellation. */
  private nightlyRun(at: number, k: number): NormalizedRecord {
    const random = this.ciRandom;
    const roll = random.next();
    const status = roll < 0.94 ? 'success' : roll < 0.99 ? 'failure' : 'cancelled';
    return this.ciRun(`nightly-${this.label}-${k}`, 'nightly', 'main', 'schedule', this.head?.sha ?? null, status, at, at + random.between(6, 25) * MINUTE);
  }

  private ciRun(id: string, workflow: string, branch: string, event: string, sha: string | null, status: 'success' | 'failure' | 'cancelled', startedAt: number, finishedAt: number): NormalizedRecord {
    return {
      kind: 'ci_run',
      record: {
        source: BENCH_SOURCES.ciRuns,
        external_id: `${this.service.id}-${id}`,
        repository: this.service.repository,
        workflow,
        branch,
        event,
        commit_sha: sha,
        status,
        started_at: iso(startedAt),
        finished_at: iso(finishedAt),
        url: `https://ci.example/${this.service.id}/runs/${id}`,
      },
    };
  }

  /** 1–9 commits per release (uniform), nudged one at a time until they sum to the service's commits. */
  private releaseSizes(): Uint8Array {
    const { random, counts } = this;
    const sizes = new Uint8Array(counts.releases);
    let total = 0;
    for (let i = 0; i < sizes.length; i++) total += sizes[i] = random.int(1, 9);
    while (total !== counts.commits) {
      const i = random.int(0, sizes.length - 1);
      if (total < counts.commits && sizes[i]! < 9) (sizes[i]!++, total++);
      else if (total > counts.commits && sizes[i]! > 1) (sizes[i]!--, total--);
    }
    return sizes;
  }

  /** Which commits skip review: a uniform choice of `directCommits` of all the service's commits. */
  private directCommitsPerRelease(sizes: Uint8Array): Uint8Array {
    const chosen = this.random.selector(this.counts.directCommits, this.counts.commits);
    return sizes.map((size) => {
      let direct = 0;
      for (let c = 0; c < size; c++) if (chosen()) direct++;
      return direct;
    });
  }

  /** One pull request for each release with reviewed commits; the rest split such releases' commits further. */
  private pullRequestsPerRelease(sizes: Uint8Array, direct: Uint8Array): Uint8Array {
    const counts = sizes.map((size, i) => (size > direct[i]! ? 1 : 0));
    const first = counts.reduce((a, b) => a + b, 0);
    const candidates = sizes.reduce((sum, size, i) => sum + Math.max(0, size - direct[i]! - 1), 0);
    const extra = this.random.selector(this.counts.pullRequests - first, candidates);
    sizes.forEach((size, i) => {
      for (let c = 1; c < size - direct[i]!; c++) if (extra()) counts[i]!++;
    });
    return counts;
  }

  /** `total` commits cut into `parts` non-empty pull requests at random. */
  private composition(total: number, parts: number): number[] {
    const cut = this.random.selector(parts - 1, total - 1);
    const sizes: number[] = [];
    let size = 1;
    for (let gap = 0; gap < total - 1; gap++) {
      if (cut()) (sizes.push(size), (size = 1));
      else size++;
    }
    if (total > 0) sizes.push(size);
    return sizes;
  }

  /** Production finish times: uniform over working hours, at least MIN_RELEASE_GAP apart. */
  private releaseTimes(): Float64Array {
    const { calendar } = this.span;
    const slack = calendar.length - MIN_RELEASE_GAP * this.counts.releases;
    if (slack <= 0) throw new RangeError(`${this.service.id}: ${this.counts.releases} releases do not fit in ${calendar.length / HOUR} working hours`);
    const positions = sortedUniforms(this.random, this.counts.releases, 0, slack);
    return positions.map((position, i) => calendar.toTime(position + i * MIN_RELEASE_GAP));
  }

  /** Authoring time for a commit shipped at `deployedAt`: log-normal lead time, the team's median, a long tail. */
  private authoredBefore(deployedAt: number): number {
    return deployedAt - Math.min(90 * DAY, this.random.logNormal(this.service.leadMedianHours, 1.1) * HOUR);
  }

  private commit(parents: string[], authoredAt: number, committedAt: number, author: string, message: string): CommitRecord {
    return {
      repository: this.service.repository,
      sha: commitSha(this.seed, this.service.id, this.next.commits++),
      parents,
      authored_at: iso(Math.min(authoredAt, committedAt)),
      committed_at: iso(committedAt),
      source: BENCH_SOURCES.git,
      author,
      message,
    };
  }

  /** A commit onto main's head; main's commit times strictly increase. */
  private onMain(authoredAt: number, landing: number, author: string, message: string): CommitRecord {
    const committedAt = Math.max(landing, (this.head?.committedAt ?? 0) + SECOND);
    const record = this.commit(this.head ? [this.head.sha] : [], authoredAt, committedAt, author, message);
    this.head = { sha: record.sha, committedAt };
    return record;
  }

  private directCommit(landing: number): CommitRecord {
    const bot = this.random.chance(0.5);
    const author = bot ? this.random.pick(BOTS) : this.random.pick(this.service.authors);
    return this.onMain(landing - this.random.between(0, 30) * MINUTE, landing, author, bot ? 'Bump dependencies' : this.random.pick(DIRECT_MESSAGES));
  }

  /**
   * A pull request of `size` commits landing at `landing`: usually rebased onto main (its
   * last commit is the merge commit sha), sometimes a branch off the release's base merged
   * with a merge commit. Either way its commits are reachable from the release's head only.
   */
  private *pullRequest(size: number, landing: number, base: Head | null, deployedAt: number): Generator<NormalizedRecord> {
    const { random } = this;
    const number = ++this.next.pullRequests;
    const author = random.pick(this.service.authors);
    const title = `${random.pick(PR_VERBS)} ${random.pick(PR_OBJECTS)}`;
    const authored = Array.from({ length: size }, () => this.authoredBefore(deployedAt)).sort((a, b) => a - b);
    const commits: CommitRecord[] = [];
    let merge: CommitRecord;
    let mergedAt: number;
    if (size >= 2 && base && random.chance(MERGE_COMMIT_SHARE)) {
      let parent = base;
      for (let j = 0; j < size - 1; j++) {
        const committedAt = Math.max(parent.committedAt + SECOND, Math.min(authored[j]!, landing - SECOND));
        const record = this.commit([parent.sha], authored[j]!, committedAt, author, j === 0 ? title : `${title} (part ${j + 1})`);
        commits.push(record);
        parent = { sha: record.sha, committedAt };
      }
      mergedAt = Math.max(landing, this.head!.committedAt + SECOND, parent.committedAt + SECOND);
      merge = this.commit([this.head!.sha, parent.sha], mergedAt, mergedAt, author, `Merge pull request #${number} from bench/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}\n\n${title}`);
      this.head = { sha: merge.sha, committedAt: mergedAt };
      for (const record of commits) yield { kind: 'commit', record };
      yield { kind: 'commit', record: merge };
    } else {
      for (let j = 0; j < size; j++) {
        const record = this.onMain(authored[j]!, landing + j * SECOND, author, j === 0 ? title : `${title} (part ${j + 1})`);
        commits.push(record);
        yield { kind: 'commit', record };
      }
      merge = commits[commits.length - 1]!;
      mergedAt = this.head!.committedAt;
    }
    const firstAuthoredAt = Math.min(...commits.map((c) => Date.parse(c.authored_at)));
    const openedAt = firstAuthoredAt + random.between(0.05, 0.5) * (mergedAt - firstAuthoredAt);
    const record: PullRequestRecord = {
      repository: this.service.repository,
      number,
      opened_at: iso(openedAt),
      first_review_at: random.chance(0.9) ? iso(openedAt + random.between(0.1, 0.9) * (mergedAt - openedAt)) : null,
      merged_at: iso(mergedAt),
      merge_commit_sha: merge.sha,
      commit_shas: commits.map((c) => c.sha),
      source: BENCH_SOURCES.git,
      title,
      author,
      url: `https://git.example/${this.service.repository}/pull/${number}`,
    };
    yield { kind: 'pull_request', record };
    yield this.pullRequestRun(number, merge.sha, mergedAt);
  }

  private deployment(environment: string, status: 'success' | 'failure', finishedAt: number, sha: string): { kind: 'deployment'; record: DeploymentRecord } {
    const number = ++this.next.deployments;
    return {
      kind: 'deployment',
      record: {
        source: BENCH_SOURCES.deployments,
        external_id: `${this.service.id}-${number}`,
        service: this.service.id,
        environment,
        status,
        started_at: iso(finishedAt - this.random.between(4, 12) * MINUTE),
        finished_at: iso(finishedAt),
        commit_sha: sha,
        ref: 'main',
        labels: [],
        url: `https://ci.example/${this.service.id}/deployments/${number}`,
      },
    };
  }

  /** An incident; `cause` links it to the production deployment that caused it. */
  private incident(createdAt: number, cause: { deploymentExternalId: string; sha: string; notBefore: number } | null): { kind: 'incident'; record: IncidentRecord } {
    const { random, span } = this;
    const number = ++this.next.incidents;
    const severity = random.weighted(SEVERITY_WEIGHTS);
    const reason = random.pick(INCIDENT_CAUSES);
    const startedAt = random.chance(0.3) ? Math.max(cause?.notBefore ?? 0, createdAt - random.between(0.5, 15) * MINUTE) : null;
    const acknowledgedAt = ['sev1', 'sev2', 'sev3'].includes(severity) || random.chance(0.9) ? createdAt + Math.min(120, random.logNormal(ACK_MINUTES[severity], 0.7)) * MINUTE : null;
    // Restore times: log-normal per severity (the long tail of the odd multi-day incident), capped at two weeks.
    const resolvedAt = (startedAt ?? createdAt) + Math.min(14 * 24 * 60, 5 + random.logNormal(RESTORE_MINUTES[severity], 1.0)) * MINUTE;
    const seen = (at: number | null) => (at !== null && at < span.to ? iso(at) : null); // later = not yet
    return {
      kind: 'incident',
      record: {
        source: BENCH_SOURCES.incidents,
        external_id: `${this.service.id}-${number}`,
        service: this.service.id,
        severity,
        title: `${this.service.id}: ${reason.title}`,
        created_at: iso(createdAt),
        started_at: startedAt === null ? null : iso(startedAt),
        acknowledged_at: seen(acknowledgedAt),
        resolved_at: seen(resolvedAt),
        deployment_external_id: cause?.deploymentExternalId ?? null,
        cause_commit_sha: cause && random.chance(0.3) ? cause.sha : null,
        resolved_by_deployment_external_id: null,
        root_cause_key: random.chance(0.5) ? `${this.service.id}/${reason.key}` : null,
        url: `https://pager.example/incidents/${this.service.id}-${number}`,
      },
    };
  }
}

// ---------------------------------------------------------------- streams
function checkedNow(now: Date): number {
  const at = now.getTime();
  if (!Number.isFinite(at)) throw new RangeError('now must be a valid date');
  return at;
}

function* inBatches<T>(items: Iterable<T>, size: number): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('batchSize must be a positive integer');
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/** One service's stream over one span and the commit of its last production deployment before the span (null: none). */
interface ServicePlan {
  stream: ServiceStream;
  repository: string;
  previousSha: string | null;
}

/** The history: service after service (as a connector's backfill pulls repository by repository), each in time order. */
function* historyPlans(profile: Profile, now: number, seed: number): Generator<ServicePlan> {
  const { services } = organisation(profile);
  const counts = allocate(services, profile.history, profile.name);
  const from = now - profile.weeks * WEEK;
  const span = { from, to: now, calendar: new WorkingCalendar(from, now) };
  const start: Numbering = { commits: 0, pullRequests: 0, deployments: 0, incidents: 0 };
  for (const [s, service] of services.entries()) {
    yield { stream: new ServiceStream(service, counts[s]!, span, seed, 'history', start, null), repository: service.repository, previousSha: null };
  }
}

/**
 * The extra week continues each service where the history ended, computed rather than
 * remembered: the history's head is its last commit, commitSha(seed, service, commits − 1),
 * and pull request, deployment and incident numbers continue after the history's counts.
 */
function* extraWeekPlans(profile: Profile, now: number, seed: number): Generator<ServicePlan> {
  const { services } = organisation(profile);
  const history = allocate(services, profile.history, profile.name);
  const counts = allocate(services, profile.extraWeek, `${profile.name} (extra week)`);
  const span = { from: now, to: now + WEEK, calendar: new WorkingCalendar(now, now + WEEK) };
  for (const [s, service] of services.entries()) {
    const before = history[s]!;
    const start: Numbering = { commits: before.commits, pullRequests: before.pullRequests, deployments: deploymentsOf(before), incidents: before.incidents };
    // Only the sha matters; the history's head was committed before `now`, whatever its exact time.
    // A service with history commits had releases (allocate: 1–9 commits per release), the last one of that head.
    const head = before.commits > 0 ? { sha: commitSha(seed, service.id, before.commits - 1), committedAt: now - SECOND } : null;
    yield { stream: new ServiceStream(service, counts[s]!, span, seed, 'extra-week', start, head), repository: service.repository, previousSha: head?.sha ?? null };
  }
}

function* historyRecords(profile: Profile, now: number, seed: number): Generator<NormalizedRecord> {
  for (const plan of historyPlans(profile, now, seed)) yield* plan.stream.records();
}

function* extraWeekRecords(profile: Profile, now: number, seed: number): Generator<NormalizedRecord> {
  for (const plan of extraWeekPlans(profile, now, seed)) yield* plan.stream.records();
}

/**
 * The profile's history, `profile.weeks` weeks ending at `now` (exclusive), in batches.
 * Commits come before the pull requests that list them and the deployments that ship them,
 * and a batch is a plain cut of that stream, so no record refers to one in a later batch.
 */
export function generateBatches(profile: Profile, options: GenerateOptions): Generator<NormalizedRecord[]> {
  return inBatches(historyRecords(profile, checkedNow(options.now), options.seed ?? DEFAULT_SEED), options.batchSize ?? DEFAULT_BATCH_SIZE);
}

/** The week from `now`, continuing every service's commit chain from the history of the same seed. */
export function generateExtraWeek(profile: Profile, options: GenerateOptions): Generator<NormalizedRecord[]> {
  return inBatches(extraWeekRecords(profile, checkedNow(options.now), options.seed ?? DEFAULT_SEED), options.batchSize ?? DEFAULT_BATCH_SIZE);
}

/** The commit each service's history ends on (its last production deployment's), or null without commits. */
export function historyHeads(profile: Profile, options: { seed?: number } = {}): Map<string, string | null> {
  const { services } = organisation(profile);
  const counts = allocate(services, profile.history, profile.name);
  const seed = options.seed ?? DEFAULT_SEED;
  return new Map(services.map((service, s) => [service.id, counts[s]!.commits > 0 ? commitSha(seed, service.id, counts[s]!.commits - 1) : null]));
}

/**
 * A sample for the ingest baselines: the first `size` records (default 20,000) of the
 * history generated with another seed (seed + 1), so every kind appears in its natural mix
 * and order. It is a small, self-contained slice: whole service histories.
 */
export function sampleRecords(profile: Profile, options: { now: Date; seed?: number; size?: number }): NormalizedRecord[] {
  const size = options.size ?? 20_000;
  const sample: NormalizedRecord[] = [];
  for (const record of historyRecords(profile, checkedNow(options.now), (options.seed ?? DEFAULT_SEED) + 1)) {
    if (sample.length >= size) break;
    sample.push(record);
  }
  return sample;
}

// ---------------------------------------------------------------- ground truth
/**
 * A deployment with the commits it ships by the product's rules (server/ingest/derive.ts and
 * rederive.ts), known from how the generator built the history rather than from a graph walk,
 * so the Four Keys baseline (bench/four-keys.ts) can be checked against the product's derivation.
 */
export interface Shipment {
  deployment: DeploymentRecord;
  repository: string;
  /** Null for deployments that ship nothing by definition: staging runs and failed attempts (not production). */
  commits: CommitRecord[] | null;
  /** The commit of the service's previous successful production deployment; null before its first. */
  previousSha: string | null;
}

/**
 * One service's records (in stream order) → a Shipment per deployment. Only successful
 * production deployments ship (rederive.ts: environment rule and status `success`). A later
 * one ships every commit since the previous one: the generator's release chains are exactly
 * "reachable from its head, not from the previous head". The first of a service ships what
 * derive.ts takes when there is no previous deployment: the pull request merged as its head
 * (that PR's commits and the head), else only the head; the rest of that release ships never.
 */
export function* shipmentsOf(records: Iterable<NormalizedRecord>, options: { repository: string; previousSha: string | null }): Generator<Shipment> {
  const { repository } = options;
  let previousSha = options.previousSha;
  let sincePrevious: CommitRecord[] = [];
  // Only the first deployment reads it, and only its own release's pull requests can be merged as its head.
  const pullRequestsByMergeSha = new Map<string, PullRequestRecord>();
  for (const item of records) {
    if (item.kind === 'commit') sincePrevious.push(item.record);
    else if (item.kind === 'pull_request' && item.record.merge_commit_sha) pullRequestsByMergeSha.set(item.record.merge_commit_sha, item.record);
    else if (item.kind === 'deployment') {
      const deployment = item.record;
      if (deployment.environment !== 'production' || deployment.status !== 'success') {
        yield { deployment, repository, commits: null, previousSha };
        continue;
      }
      const head = deployment.commit_sha!;
      let commits = sincePrevious;
      if (previousSha === null) {
        const pullRequest = pullRequestsByMergeSha.get(head);
        const shipped = new Set([head, ...(pullRequest?.commit_shas ?? [])]);
        commits = sincePrevious.filter((commit) => shipped.has(commit.sha));
      }
      yield { deployment, repository, commits, previousSha };
      previousSha = head;
      sincePrevious = [];
      pullRequestsByMergeSha.clear();
    }
  }
}

/**
 * Every deployment of the history (or, with `period: 'extra-week'`, of the extra week) with
 * what it ships, in batches of `batchSize` deployments. It re-runs the same seeded streams as
 * generateBatches and generateExtraWeek, so it holds one release's commits, never the data set.
 */
export function generateShipments(profile: Profile, options: GenerateOptions & { period?: 'history' | 'extra-week' }): Generator<Shipment[]> {
  const plans = (options.period ?? 'history') === 'history' ? historyPlans : extraWeekPlans;
  const seed = options.seed ?? DEFAULT_SEED;
  const now = checkedNow(options.now);
  function* shipments(): Generator<Shipment> {
    for (const plan of plans(profile, now, seed)) yield* shipmentsOf(plan.stream.records(), plan);
  }
  return inBatches(shipments(), options.batchSize ?? DEFAULT_BATCH_SIZE);
}
