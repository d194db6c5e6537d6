// Generates the demo organisation's raw activity (commits, pull requests, deployments, incidents, bugs, CI runs)
// so a fresh install shows a realistic scorecard; seeded and deterministic, never reads the clock.
import { hash } from 'node:crypto';
import { IANAZone } from 'luxon';
import type { BugRecord, CiRunRecord, CommitRecord, DeploymentRecord, IncidentRecord, PullRequestRecord } from '../../connectors/contract.js';
import { isRepositoryPattern } from '../../connectors/repository-owners.js';
import type { OrgConfig, ServiceConfig } from '../config.js';
import { BinaryHeap } from '../lib/binary-heap.js';
import { hash32, Random } from '../lib/random.js';
import { isoFromMillis as iso } from '../lib/iso-time.js';

export interface DemoOptions {
  /** Every generated timestamp is strictly before this instant. */
  now: Date;
  /** How far back the activity goes, in weeks (default 26). */
  weeks?: number;
  /** Activity multiplier: 10 produces about ten times the records (default 1). */
  scale?: number;
  /** PRNG seed (default 42); the same seed, org and options give identical output. */
  seed?: number;
}

export interface DemoData {
  deployments: DeploymentRecord[];
  commits: CommitRecord[];
  pullRequests: PullRequestRecord[];
  incidents: IncidentRecord[];
  bugs: BugRecord[];
  ciRuns: CiRunRecord[];
}

export const DEMO_DEPLOYMENT_SOURCE = 'demo-ci';
export const DEMO_INCIDENT_SOURCE = 'demo-pager';
export const DEMO_GIT_SOURCE = 'demo-git';
export const DEMO_BUG_SOURCE = 'demo-tracker';
export const DEMO_CI_SOURCE = 'demo-actions';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

// ---------------------------------------------------------------- team behaviour
/** How a team works; drives lead time stages, deploy cadence and failure/restore behaviour. */
interface TeamProfile {
  /** Median hours from first commit to PR opened, PR opened to first review, review to merge. */
  codingHours: number;
  pickupHours: number;
  reviewHours: number;
  /** Log-normal sigma of the stage durations (the long tail). */
  spread: number;
  /** Multiplies the service's PR and deploy cadence. */
  throughput: number;
  /** Probability that a regular production deployment goes bad. */
  changeFailureRate: number;
  /** Share of deployment-caused incidents fixed forward by a hotfix deployment. */
  fixForwardShare: number;
  /** Multiplies incident resolution times. */
  restoreFactor: number;
  /** Gets slower over the last weeks (longer stages, fewer deploys). */
  slowsDown: boolean;
}

/**
 * Profiles for the teams demo-org.yaml defines, chosen so the scorecard has something to say:
 * checkout is elite, growth is fast but breaks things, payments degrades recently, platform
 * teams are slower. Other orgs' teams get one of these archetypes by a hash of their id.
 */
const DEMO_TEAM_PROFILES: Record<string, TeamProfile> = {
  checkout: { codingHours: 2.5, pickupHours: 0.8, reviewHours: 1.5, spread: 0.9, throughput: 1.4, changeFailureRate: 0.04, fixForwardShare: 0.3, restoreFactor: 0.35, slowsDown: false },
  payments: { codingHours: 7, pickupHours: 3, reviewHours: 5, spread: 1.0, throughput: 1.0, changeFailureRate: 0.08, fixForwardShare: 0.35, restoreFactor: 0.9, slowsDown: true },
  growth: { codingHours: 5, pickupHours: 2, reviewHours: 2, spread: 1.1, throughput: 1.2, changeFailureRate: 0.22, fixForwardShare: 0.7, restoreFactor: 1.0, slowsDown: false },
  infrastructure: { codingHours: 14, pickupHours: 6, reviewHours: 8, spread: 1.2, throughput: 0.9, changeFailureRate: 0.11, fixForwardShare: 0.4, restoreFactor: 1.8, slowsDown: false },
  'developer-experience': { codingHours: 30, pickupHours: 16, reviewHours: 14, spread: 1.2, throughput: 0.8, changeFailureRate: 0.06, fixForwardShare: 0.3, restoreFactor: 1.3, slowsDown: false },
};
const ARCHETYPES = Object.values(DEMO_TEAM_PROFILES).map((profile) => ({ ...profile, slowsDown: false }));

/** The slowing team's stage multiplier ramps from 1 to this over the first half of the window. */
const SLOWDOWN_FACTOR = 4;
const SLOWDOWN_WEEKS = 6;
/** Fake engineers per team (authors of pull requests and commits). */
const TEAM_SIZE = 8;

// ---------------------------------------------------------------- text material
const FIRST_NAMES = ['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonah', 'Kemi', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rafael', 'Sofia', 'Tariq', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe', 'Amir', 'Bianca', 'Carlos', 'Dana', 'Emeka', 'Fatima', 'Gus', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Marco', 'Nia'];
const LAST_NAMES = ['Okafor', 'Schmidt', 'Tanaka', 'Patel', 'Rossi', 'Nguyen', 'Haddad', 'Kowalski', 'Silva', 'Larsen', 'Mensah', 'Cohen', 'Ivanova', 'Garcia', 'Kim', 'Dubois', 'Moreau', 'Ali', 'Novak', 'Berg'];
const BOTS = ['renovate[bot]', 'dependabot[bot]'];
const PR_VERBS = ['Add', 'Fix', 'Refactor', 'Remove', 'Improve', 'Update', 'Handle', 'Cache', 'Validate', 'Migrate', 'Instrument', 'Simplify'];
const PR_OBJECTS = [
  'retry logic for webhooks', 'currency rounding', 'idempotency keys', 'feature flag for the new flow', 'metrics for queue depth',
  'logging around timeouts', 'pagination in list endpoint', 'dead code in handlers', 'N+1 query in loader', 'error messages',
  'input validation', 'config loading', 'health check', 'rate limiter', 'tracing spans', 'parser unit tests', 'dependency versions',
  'database indexes', 'batch size', 'timeouts on outbound calls', 'OpenAPI schema', 'graceful shutdown', 'connection pooling', 'CSV export',
];
const DIRECT_MESSAGES = ['Bump dependencies', 'Fix typo in README', 'Update CODEOWNERS', 'Tweak alert thresholds', 'Regenerate lockfile', 'Update changelog'];
const INCIDENT_CAUSES = [
  { key: 'db-connection-pool', title: 'Database connection pool exhausted' },
  { key: 'memory-leak', title: 'Memory climbing until pods are OOM-killed' },
  { key: 'bad-config', title: 'Bad configuration rolled out' },
  { key: 'dependency-timeouts', title: 'Upstream dependency timing out' },
  { key: 'cache-stampede', title: 'Cache stampede after cold start' },
  { key: 'migration-lock', title: 'Schema migration holding a table lock' },
  { key: 'third-party-rate-limit', title: 'Third-party API rate limit hit' },
  { key: 'null-in-request-path', title: 'Unhandled null in request path' },
  { key: 'queue-backlog', title: 'Queue backlog growing' },
  { key: 'cert-expiry', title: 'TLS certificate expired' },
] as const;
type IncidentCause = (typeof INCIDENT_CAUSES)[number];
const BUG_TITLES = [
  'Refund total off by a cent', 'Date picker shows the wrong week', 'Export drops the last row', 'Retry sends the email twice',
  'Search ignores accented letters', 'Session expires during checkout', 'Wrong currency symbol in receipts', 'Timeout message is blank',
  'Pagination skips an item', 'Webhook signature rejected after key rotation', 'Locale falls back to English', 'Discount applied twice',
];
/** Bugs are milder than pages: most are sev3–4. */
const BUG_SEVERITY_WEIGHTS: [Severity, number][] = [['sev1', 0.02], ['sev2', 0.1], ['sev3', 0.38], ['sev4', 0.35], ['sev5', 0.15]];
type Severity = 'sev1' | 'sev2' | 'sev3' | 'sev4' | 'sev5';
/** Skewed to sev3–4, as most organisations' pager data is. */
const SEVERITY_WEIGHTS: [Severity, number][] = [['sev1', 0.03], ['sev2', 0.12], ['sev3', 0.38], ['sev4', 0.35], ['sev5', 0.12]];
/** Median minutes to acknowledge and to resolve, per severity (before the team's factor). */
const ACK_MINUTES: Record<Severity, number> = { sev1: 3, sev2: 5, sev3: 12, sev4: 30, sev5: 90 };
const RESOLVE_MINUTES: Record<Severity, number> = { sev1: 35, sev2: 70, sev3: 180, sev4: 480, sev5: 1800 };

// ---------------------------------------------------------------- shared context
interface IncidentDraft {
  service: string;
  severity: Severity;
  title: string;
  createdAt: number;
  startedAt: number | null;
  acknowledgedAt: number | null;
  resolvedAt: number | null;
  deploymentExternalId: string | null;
  causeCommitSha: string | null;
  resolvedByDeploymentExternalId: string | null;
  rootCauseKey: string | null;
}

interface TimedRecord<T> {
  at: number;
  order: number;
  record: T;
}

class DemoContext {
  readonly deployments: TimedRecord<DeploymentRecord>[] = [];
  readonly commits: TimedRecord<CommitRecord>[] = [];
  readonly pullRequests: TimedRecord<PullRequestRecord>[] = [];
  readonly incidents: IncidentDraft[] = [];
  private order = 0;
  private readonly offsets: number[] = [];
  private readonly profiles = new Map<string, TeamProfile>();
  private readonly members = new Map<string, string[]>();

  constructor(
    readonly org: OrgConfig,
    readonly now: number,
    readonly start: number,
    readonly scale: number,
    readonly seed: number,
  ) {
    // The zone's UTC offset per day of the window, so "working hours" follow DST.
    const zone = IANAZone.create(org.timeZone);
    for (let day = start; day < now + 4 * DAY; day += DAY) this.offsets.push(zone.offset(day) * MINUTE);
    const known = org.teams.some((team) => team.id in DEMO_TEAM_PROFILES);
    const firstServiceTeam = org.services[0]?.owners[0]?.value;
    org.teams.forEach((team, index) => {
      const profile = DEMO_TEAM_PROFILES[team.id] ?? ARCHETYPES[hash32(team.id) % ARCHETYPES.length]!;
      // Outside the demo org, the first service's team plays the "getting slower" part.
      this.profiles.set(team.id, { ...profile, slowsDown: known ? profile.slowsDown : team.id === firstServiceTeam });
      this.members.set(team.id, Array.from({ length: TEAM_SIZE }, (_, k) => personName(index * TEAM_SIZE + k)));
    });
  }

  nextOrder(): number {
    return this.order++;
  }

  profile(team: string): TeamProfile {
    return this.profiles.get(team) ?? ARCHETYPES[0]!;
  }

  teamMembers(team: string): string[] {
    return this.members.get(team) ?? [personName(hash32(team))];
  }

  /** Weekday 09:00–18:00 in the org's time zone. */
  isWorkingTime(at: number): boolean {
    const offset = this.offsets[Math.min(this.offsets.length - 1, Math.max(0, Math.floor((at - this.start) / DAY)))] ?? 0;
    const local = at + offset;
    const weekday = (Math.floor(local / DAY) + 4) % 7; // 1970-01-01 was a Thursday
    const hour = (local % DAY) / HOUR;
    return weekday >= 1 && weekday <= 5 && hour >= 9 && hour < 18;
  }

  /** A time in [from, to), inside working hours unless this one is the odd out-of-hours event. */
  workingTime(random: Random, from: number, to: number, outOfHoursShare = 0.08): number {
    const anyTime = random.chance(outOfHoursShare);
    let at = random.between(from, to);
    for (let attempt = 0; attempt < 40 && !anyTime && !this.isWorkingTime(at); attempt++) at = random.between(from, to);
    return at;
  }

  /** The slowing team's multiplier at `at`: 1 before the last SLOWDOWN_WEEKS, ramping up after. */
  slowdown(team: string, at: number): number {
    if (!this.profile(team).slowsDown) return 1;
    const since = at - (this.now - SLOWDOWN_WEEKS * WEEK);
    if (since <= 0) return 1;
    return 1 + (SLOWDOWN_FACTOR - 1) * Math.min(1, since / ((SLOWDOWN_WEEKS / 2) * WEEK));
  }
}

function personName(index: number): string {
  return `${FIRST_NAMES[index % FIRST_NAMES.length]} ${LAST_NAMES[(index * 7 + Math.floor(index / FIRST_NAMES.length)) % LAST_NAMES.length]}`;
}

function ownerAt(service: ServiceConfig, at: number): string {
  for (const owner of service.owners) {
    if ((owner.from === null || owner.from.getTime() <= at) && (owner.to === null || at < owner.to.getTime())) return owner.value;
  }
  return service.owners[0]?.value ?? '';
}

/** Customer-facing services deploy daily or more; the demo tells them apart by their id. */
function isCustomerFacing(service: ServiceConfig): boolean {
  return /(^|-)(api|web|app|gateway|frontend|storefront|mobile)(-|$)/.test(service.id);
}

/** Production deploys per week at scale 1, before the team's throughput factor. */
function deployCadence(service: ServiceConfig): number {
  const jitter = hash32(service.id);
  return isCustomerFacing(service) ? 8 + (jitter % 9) : 2 + (jitter % 4);
}

/** An environment name the service's production rule accepts. */
function productionEnvironmentName(service: ServiceConfig): string {
  const rule = new RegExp(service.productionEnvironment, 'i');
  return ['production', 'prod', 'live', 'prd'].find((name) => rule.test(name)) ?? 'production';
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
}

// ---------------------------------------------------------------- event queue
interface QueuedEvent {
  at: number;
  order: number;
  run: (at: number) => void;
}

/** Events in time order, ties in insertion order: the simulation's clock. */
class EventQueue {
  private readonly heap = new BinaryHeap<QueuedEvent>(before);
  private order = 0;

  push(at: number, run: (at: number) => void): void {
    this.heap.push({ at, order: this.order++, run });
  }

  pop(): QueuedEvent | undefined {
    return this.heap.pop();
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

// ---------------------------------------------------------------- repository graph
interface MainCommit {
  at: number;
  sha: string;
}

interface PullRequestPlan {
  firstCommitAt: number;
  openedAt: number;
  firstReviewAt: number | null;
  mergedAt: number;
  commitCount: number;
  title: string;
  author: string;
  branch: string;
}

/** One repository's commit graph: a main line of merges and direct commits, plus branches. */
class RepositoryGraph {
  private counter = 0;
  /** Main-line commits in commit order, for "what was main's head at time t". */
  readonly main: MainCommit[] = [];
  private readonly pulls: { record: PullRequestRecord; merge: CommitRecord | null; branch: string }[] = [];

  constructor(
    private readonly ctx: DemoContext,
    readonly repository: string,
  ) {}

  get head(): MainCommit {
    const head = this.main[this.main.length - 1];
    if (!head) throw new Error(`${this.repository} has no commits yet`);
    return head;
  }

  /** Main's head strictly before `at` (the base a branch started from). */
  headBefore(at: number): MainCommit {
    let low = 0;
    let high = this.main.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.main[middle]!.at < at) low = middle;
      else high = middle - 1;
    }
    return this.main[low]!;
  }

  private nextSha(): string {
    return hash('sha1', `${this.ctx.seed}:${this.repository}:${this.counter++}`, 'hex');
  }

  private addCommit(parents: string[], authoredAt: number, committedAt: number, author: string, message: string): CommitRecord {
    const record: CommitRecord = {
      repository: this.repository,
      sha: this.nextSha(),
      parents,
      authored_at: iso(authoredAt),
      committed_at: iso(committedAt),
      source: DEMO_GIT_SOURCE,
      author,
      message,
    };
    this.ctx.commits.push({ at: committedAt, order: this.ctx.nextOrder(), record });
    return record;
  }

  /** A commit straight onto main (no pull request), e.g. a bot bump or a revert. */
  addDirectCommit(at: number, authoredAt: number, author: string, message: string): void {
    const committedAt = Math.max(at, this.head.at + SECOND);
    const record = this.addCommit([this.head.sha], Math.min(authoredAt, committedAt), committedAt, author, message);
    this.main.push({ at: committedAt, sha: record.sha });
  }

  addRoot(at: number, author: string): void {
    const record = this.addCommit([], at, at, author, 'Initial import');
    this.main.push({ at, sha: record.sha });
  }

  /** The branch commits of a plan, from main's head when work started; committed strictly increasing and before `until`. */
  private addBranch(plan: PullRequestPlan, random: Random, until: number): CommitRecord[] {
    const base = this.headBefore(plan.firstCommitAt);
    const lastWorkAt = Math.max(plan.firstCommitAt, random.chance(0.3) ? until - 5 * MINUTE : plan.openedAt);
    const authored = [plan.firstCommitAt];
    for (let i = 1; i < plan.commitCount; i++) authored.push(random.between(plan.firstCommitAt, lastWorkAt));
    authored.sort((a, b) => a - b);
    // Some branches are rebased just before merge: their committer dates move, author dates stay.
    const rebasedAt = random.chance(0.2) ? random.between(authored[authored.length - 1]!, until) : null;
    const commits: CommitRecord[] = [];
    let parent = base;
    authored.forEach((authoredAt, i) => {
      const proposed = rebasedAt ?? authoredAt + random.between(0, 2 * MINUTE);
      // Strictly after its parent (so ordering by commit time is topological), before the merge.
      const committedAt = Math.floor(Math.max(parent.at + SECOND, Math.min(Math.max(authoredAt, proposed), until - (authored.length - i) * SECOND)));
      const record = this.addCommit([parent.sha], Math.min(authoredAt, committedAt), committedAt, plan.author, `${plan.title}${i === 0 ? '' : ` (part ${i + 1})`}`);
      commits.push(record);
      parent = { at: committedAt, sha: record.sha };
    });
    return commits;
  }

  /** Merges a pull request at `at`: branch commits, then a merge commit [main head, branch head]. */
  mergePullRequest(plan: PullRequestPlan, at: number, random: Random): void {
    let mergedAt = Math.max(at, this.head.at + SECOND);
    const branch = this.addBranch(plan, random, mergedAt);
    mergedAt = Math.max(mergedAt, Date.parse(branch[branch.length - 1]!.committed_at) + SECOND);
    const merge = this.addCommit([this.head.sha, branch[branch.length - 1]!.sha], mergedAt, mergedAt, plan.author, '');
    this.main.push({ at: mergedAt, sha: merge.sha });
    this.addPullRequestRecord(plan, branch, merge, mergedAt);
  }

  /** A pull request still open at the end of the window (its branch exists, nothing merged). */
  addOpenPullRequest(plan: PullRequestPlan, random: Random): void {
    const branch = this.addBranch(plan, random, this.ctx.now - MINUTE);
    this.addPullRequestRecord(plan, branch, null, null);
  }

  private addPullRequestRecord(plan: PullRequestPlan, branch: CommitRecord[], merge: CommitRecord | null, mergedAt: number | null): void {
    const record: PullRequestRecord = {
      repository: this.repository,
      number: 0, // numbered by opening order in finish()
      opened_at: iso(plan.openedAt),
      first_review_at: plan.firstReviewAt !== null && plan.firstReviewAt < this.ctx.now ? iso(plan.firstReviewAt) : null,
      merged_at: mergedAt === null ? null : iso(mergedAt),
      merge_commit_sha: merge?.sha ?? null,
      commit_shas: branch.map((commit) => commit.sha),
      source: DEMO_GIT_SOURCE,
      title: plan.title,
      author: plan.author,
    };
    this.pulls.push({ record, merge, branch: plan.branch });
    this.ctx.pullRequests.push({ at: plan.openedAt, order: this.ctx.nextOrder(), record });
  }

  /** Numbers pull requests in the order they were opened, as a forge would. */
  finish(): void {
    const ordered = [...this.pulls].sort((a, b) => (a.record.opened_at < b.record.opened_at ? -1 : a.record.opened_at > b.record.opened_at ? 1 : 0));
    ordered.forEach((pull, index) => {
      pull.record.number = index + 1;
      pull.record.url = `https://github.example/${this.repository}/pull/${index + 1}`;
      if (pull.merge) pull.merge.message = `Merge pull request #${index + 1} from ${this.repository.split('/')[0]}/${pull.branch}\n\n${pull.record.title}`;
    });
  }
}

// ---------------------------------------------------------------- one repository's timeline
interface ServiceState {
  service: ServiceConfig;
  environment: string;
  deploymentCount: number;
  /** Commit of the last successful production deployment (what is running). */
  runningSha: string | null;
  /** Regular deployments wait while a bad deployment is being dealt with: [frozenFrom, frozenUntil). */
  frozenFrom: number;
  frozenUntil: number;
  causes: IncidentCause[];
}

/**
 * Simulates one repository and the services that deploy it, in time order: pull request
 * merges and direct commits move main; each service deploys main's head at its cadence;
 * bad deployments lead to rollbacks, incidents and hotfix deployments.
 */
function simulateRepository(ctx: DemoContext, key: string, repository: string | null, deployers: ServiceConfig[], owner: ServiceConfig): void {
  const random = new Random(hash32(`${ctx.seed}:${key}`));
  const queue = new EventQueue();
  const graph = repository === null ? null : new RepositoryGraph(ctx, repository);
  const weeks = (ctx.now - ctx.start) / WEEK;
  const rootAt = ctx.start + random.between(5, 30) * MINUTE;
  const activityFrom = rootAt + 2 * HOUR;
  const teamAt = (at: number) => ownerAt(owner, at);
  const authorAt = (at: number) => random.pick(ctx.teamMembers(teamAt(at)));

  if (graph) {
    graph.addRoot(rootAt, authorAt(rootAt));
    // Pull requests: merges spread over the window (a few planned past `now` stay open).
    const prsPerWeek = (deployCadence(owner) + 2) * ctx.profile(teamAt(ctx.now)).throughput * (deployers.length ? 1 : 0.5);
    const prCount = Math.round(prsPerWeek * weeks * ctx.scale);
    for (let i = 0; i < prCount; i++) {
      const mergedAt = ctx.workingTime(random, activityFrom, ctx.now + 1.5 * DAY);
      const plan = planPullRequest(ctx, random, teamAt(mergedAt), mergedAt, rootAt + MINUTE);
      if (mergedAt < ctx.now - 10 * MINUTE) queue.push(mergedAt, (at) => graph.mergePullRequest(plan, at, random));
      else if (plan.openedAt < ctx.now - HOUR) queue.push(ctx.now - MINUTE, () => graph.addOpenPullRequest(plan, random));
    }
    // About 5 % of main-line changes skip review: bot bumps, typo fixes.
    const directCount = Math.round(prCount * 0.05);
    for (let i = 0; i < directCount; i++) {
      const at = ctx.workingTime(random, activityFrom, ctx.now - MINUTE, 0.3);
      const bot = random.chance(0.5);
      queue.push(at, () => graph.addDirectCommit(at, at - random.between(0, 30) * MINUTE, bot ? random.pick(BOTS) : authorAt(at), bot ? 'Bump dependencies' : random.pick(DIRECT_MESSAGES)));
    }
  }

  for (const service of deployers) {
    const state: ServiceState = {
      service,
      environment: productionEnvironmentName(service),
      deploymentCount: 0,
      runningSha: null,
      frozenFrom: 0,
      frozenUntil: 0,
      // Each service keeps failing in a few favourite ways, so root causes recur.
      causes: Array.from({ length: 4 }, (_, k) => INCIDENT_CAUSES[(hash32(service.id) + k * 3) % INCIDENT_CAUSES.length]!),
    };
    const firstDeployAt = rootAt + random.between(20, 60) * MINUTE;
    queue.push(firstDeployAt, (at) => deploy(ctx, random, queue, graph, state, at, 'initial'));
    const perWeek = deployCadence(service) * ctx.profile(ownerAt(service, ctx.now)).throughput;
    const slots = Math.round(perWeek * weeks * ctx.scale);
    for (let i = 0; i < slots; i++) {
      const at = ctx.workingTime(random, activityFrom, ctx.now - MINUTE, isCustomerFacing(service) ? 0.1 : 0.05);
      queue.push(at, (when) => deploy(ctx, random, queue, graph, state, when, 'regular'));
    }
  }

  for (let event = queue.pop(); event && event.at < ctx.now; event = queue.pop()) event.run(event.at);
  graph?.finish();
}

/** Stage durations by the team's profile (slower for the slowing team lately), ending at `mergedAt`. */
function planPullRequest(ctx: DemoContext, random: Random, team: string, mergedAt: number, earliest: number): PullRequestPlan {
  const profile = ctx.profile(team);
  const factor = ctx.slowdown(team, mergedAt);
  const cap = 21 * DAY;
  let coding = Math.min(cap, random.logNormal(profile.codingHours * factor, profile.spread) * HOUR) + 2 * MINUTE;
  const reviewed = random.chance(0.9);
  let pickup = Math.min(cap, random.logNormal(profile.pickupHours * factor, profile.spread) * HOUR) + MINUTE;
  let review = Math.min(cap, random.logNormal(profile.reviewHours * factor, profile.spread) * HOUR) + MINUTE;
  const total = coding + pickup + review;
  // Work cannot start before the repository's first commit: compress the stages instead.
  if (mergedAt - total < earliest) {
    const ratio = Math.max(0, mergedAt - earliest - MINUTE) / total;
    coding *= ratio;
    pickup *= ratio;
    review *= ratio;
  }
  const openedAt = mergedAt - review - pickup;
  const title = `${random.pick(PR_VERBS)} ${random.pick(PR_OBJECTS)}`;
  const author = random.pick(ctx.teamMembers(team));
  return {
    firstCommitAt: openedAt - coding,
    openedAt,
    firstReviewAt: reviewed ? openedAt + pickup : null,
    mergedAt,
    commitCount: random.int(1, 5),
    title,
    author,
    branch: `${slug(author.split(' ')[0] ?? 'dev')}/${slug(title)}`,
  };
}

type DeployKind = 'initial' | 'regular' | 'retry' | 'rollback' | 'fix';

interface DeployOptions {
  sha?: string | null;
  labels?: string[];
  ref?: string;
}

/** Writes one deployment record and returns its external id. */
function recordDeployment(ctx: DemoContext, random: Random, state: ServiceState, environment: string, status: 'success' | 'failure', finishedAt: number, sha: string | null, options: DeployOptions = {}): string {
  state.deploymentCount++;
  const externalId = `${state.service.id}-${state.deploymentCount}`;
  const record: DeploymentRecord = {
    source: DEMO_DEPLOYMENT_SOURCE,
    external_id: externalId,
    service: state.service.id,
    environment,
    status,
    started_at: iso(finishedAt - random.between(3, 20) * MINUTE),
    finished_at: iso(finishedAt),
    commit_sha: sha,
    ref: options.ref ?? 'main',
    labels: options.labels ?? [],
    url: `https://ci.example/acme/${state.service.id}/deployments/${state.deploymentCount}`,
  };
  ctx.deployments.push({ at: finishedAt, order: ctx.nextOrder(), record });
  return externalId;
}

/** One deployment attempt of `state.service` at `at`: staging, pipeline, production, and what goes wrong. */
function deploy(ctx: DemoContext, random: Random, queue: EventQueue, graph: RepositoryGraph | null, state: ServiceState, at: number, kind: DeployKind, options: DeployOptions = {}): string | null {
  const team = ownerAt(state.service, at);
  const profile = ctx.profile(team);
  const head = graph?.head ?? null;
  if (kind === 'regular' || kind === 'retry') {
    if (at < state.frozenUntil) {
      // Held back while a bad deployment is dealt with. Shifting by the freeze's length keeps the
      // backlog's spacing, so the deployment count stays linear in `scale`.
      if (kind === 'regular') queue.push(at + (state.frozenUntil - state.frozenFrom), (when) => deploy(ctx, random, queue, graph, state, when, 'regular'));
      return null;
    }
    // The slowing team moved to fewer, bigger releases.
    if (ctx.slowdown(team, at) > 1 && random.chance(0.5)) return null;
    if (head && head.sha === state.runningSha) return null;
  }
  const sha = options.sha !== undefined ? options.sha : (head?.sha ?? null);

  if ((kind === 'regular' || kind === 'retry') && head && random.chance(0.4)) {
    // Staging gets the same commit shortly before production (never before it was committed).
    const stagingAt = Math.max(at - random.between(10, 40) * MINUTE, head.at + (at - head.at) * 0.5);
    if (stagingAt < at - 30 * SECOND) recordDeployment(ctx, random, state, 'staging', random.chance(0.05) ? 'failure' : 'success', stagingAt, sha);
  }
  // Pipelines that fail before reaching production are not production deployments.
  if ((kind === 'regular' || kind === 'retry') && random.chance(0.05)) {
    recordDeployment(ctx, random, state, state.environment, 'failure', at, sha, options);
    if (random.chance(0.7)) queue.push(at + random.between(20, 90) * MINUTE, (when) => deploy(ctx, random, queue, graph, state, when, 'retry'));
    return null;
  }

  const previousSha = state.runningSha;
  const externalId = recordDeployment(ctx, random, state, state.environment, 'success', at, sha, options);
  state.runningSha = sha;
  // The slowing team's bigger releases also break more often.
  if ((kind === 'regular' || kind === 'retry') && random.chance(profile.changeFailureRate * Math.sqrt(ctx.slowdown(team, at)))) {
    goBad(ctx, random, queue, graph, state, at, externalId, sha, previousSha, profile);
  }
  return externalId;
}

function freeze(state: ServiceState, from: number, until: number): void {
  if (state.frozenUntil <= from) state.frozenFrom = from;
  state.frozenUntil = Math.max(state.frozenUntil, until);
}

/** A bad production deployment: rolled back, or followed by an incident (linked or not), maybe fixed forward. */
function goBad(ctx: DemoContext, random: Random, queue: EventQueue, graph: RepositoryGraph | null, state: ServiceState, at: number, externalId: string, sha: string | null, previousSha: string | null, profile: TeamProfile): void {
  const roll = random.next();
  if (roll < 0.25 && previousSha !== null && graph) {
    // Rollback: redeploy the previous good commit soon after, then revert on main.
    const rollbackAt = at + random.between(8, 40) * MINUTE;
    freeze(state, at, rollbackAt + MINUTE);
    const incident = random.chance(0.6)
      ? openIncident(ctx, random, state, at + SECOND, at + random.between(2, (rollbackAt - at) / MINUTE - 3) * MINUTE, random.weighted([['sev2', 0.25], ['sev3', 0.75]] as const), random.chance(0.5) ? externalId : null, null)
      : null;
    queue.push(rollbackAt, (when) => {
      const rollbackId = deploy(ctx, random, queue, graph, state, when, 'rollback', { sha: previousSha, labels: ['rollback'] });
      if (incident) {
        incident.resolvedAt = when + random.between(2, 20) * MINUTE;
        if (rollbackId && random.chance(0.5)) incident.resolvedByDeploymentExternalId = rollbackId;
      }
      const revertAt = when + random.between(20, 120) * MINUTE;
      queue.push(revertAt, () => graph.addDirectCommit(revertAt, revertAt, random.pick(ctx.teamMembers(ownerAt(state.service, revertAt))), `Revert deployment ${externalId}`));
    });
    return;
  }
  // An incident follows; explicitly linked to this deployment or left to the implicit rule.
  const explicit = roll < 0.6;
  const createdAt = at + random.between(5, 90) * MINUTE;
  const severity = random.weighted(SEVERITY_WEIGHTS);
  const incident = openIncident(ctx, random, state, at + SECOND, createdAt, severity, explicit ? externalId : null, explicit && random.chance(0.3) ? sha : null);
  const restoreMinutes = Math.min(10 * 24 * 60, random.logNormal(RESOLVE_MINUTES[severity] * profile.restoreFactor, 0.9) + 5);
  // No regular deployment between this one and the incident, so the implicit rule points here.
  freeze(state, at, createdAt + MINUTE);
  if (random.chance(profile.fixForwardShare)) {
    // Fix forward: a quick hotfix pull request, deployed while the incident is open.
    const window = Math.max(15, restoreMinutes - random.between(3, 20)) * MINUTE;
    const fixAt = createdAt + window;
    if (graph) {
      const team = ownerAt(state.service, createdAt);
      const plan: PullRequestPlan = {
        firstCommitAt: createdAt + window * 0.1,
        openedAt: createdAt + window * 0.35,
        firstReviewAt: random.chance(0.9) ? createdAt + window * random.between(0.4, 0.6) : null,
        mergedAt: createdAt + window * 0.75,
        commitCount: random.int(1, 2),
        title: `Hotfix: ${incident.title.replace(/^[^:]*: /, '').toLowerCase()}`,
        author: random.pick(ctx.teamMembers(team)),
        branch: `hotfix/${slug(incident.title)}`,
      };
      queue.push(plan.mergedAt, (when) => graph.mergePullRequest(plan, when, random));
    }
    queue.push(fixAt, (when) => {
      // Rework is recognised by the resolving link, and also by a hotfix label or branch (rework rule).
      const markings: DeployOptions[] = [{ labels: ['hotfix'] }, { ref: `hotfix/${slug(incident.title)}` }, {}];
      const fixId = deploy(ctx, random, queue, graph, state, when, 'fix', random.pick(markings));
      incident.resolvedAt = when + random.between(3, 20) * MINUTE;
      incident.resolvedByDeploymentExternalId = fixId;
    });
  } else {
    incident.resolvedAt = createdAt + restoreMinutes * MINUTE;
  }
}

/** An incident on the service, created at `createdAt`; impact never starts before `notBefore` (the deployment that caused it). */
function openIncident(ctx: DemoContext, random: Random, state: ServiceState, notBefore: number, createdAt: number, severity: Severity, deploymentExternalId: string | null, causeCommitSha: string | null): IncidentDraft {
  const cause = random.next() < 0.6 ? state.causes[0]! : random.pick(state.causes);
  const acknowledged = ['sev1', 'sev2', 'sev3'].includes(severity) || random.chance(0.9);
  const draft: IncidentDraft = {
    service: state.service.id,
    severity,
    title: `${state.service.name}: ${cause.title}`,
    createdAt,
    startedAt: random.chance(0.3) && createdAt - notBefore > 2 * MINUTE ? createdAt - random.between(0.5, Math.min(15, (createdAt - notBefore) / MINUTE - 1)) * MINUTE : null,
    acknowledgedAt: acknowledged ? createdAt + Math.min(random.logNormal(ACK_MINUTES[severity], 0.7), 120) * MINUTE : null,
    resolvedAt: null,
    deploymentExternalId,
    causeCommitSha,
    resolvedByDeploymentExternalId: null,
    rootCauseKey: random.chance(0.5) ? `${state.service.id}/${cause.key}` : null,
  };
  ctx.incidents.push(draft);
  return draft;
}

/** Two incidents still being worked on at `now`, so the demo always shows open incidents. */
function addOngoingIncidents(ctx: DemoContext, random: Random, services: ServiceConfig[]): void {
  for (let i = 0; i < 2 && services.length > 0; i++) {
    const service = services[(hash32(`${ctx.seed}:open:${i}`) + i) % services.length]!;
    const createdAt = ctx.now - random.between(1, 20) * HOUR;
    const cause = random.pick(INCIDENT_CAUSES);
    ctx.incidents.push({
      service: service.id,
      severity: i === 0 ? 'sev3' : 'sev4',
      title: `${service.name}: ${cause.title}`,
      createdAt,
      startedAt: null,
      acknowledgedAt: createdAt + random.between(3, 30) * MINUTE,
      resolvedAt: null,
      deploymentExternalId: null,
      causeCommitSha: null,
      resolvedByDeploymentExternalId: null,
      rootCauseKey: `${service.id}/${cause.key}`,
    });
  }
}

function toIncidentRecord(draft: IncidentDraft, index: number, now: number): IncidentRecord {
  const externalId = `INC-${String(index + 1).padStart(5, '0')}`;
  // Whatever would only happen after `now` has not happened yet: the incident is still open.
  const resolved = draft.resolvedAt !== null && draft.resolvedAt < now;
  return {
    source: DEMO_INCIDENT_SOURCE,
    external_id: externalId,
    service: draft.service,
    severity: draft.severity,
    title: draft.title,
    created_at: iso(draft.createdAt),
    started_at: draft.startedAt === null ? null : iso(draft.startedAt),
    acknowledged_at: draft.acknowledgedAt !== null && draft.acknowledgedAt < now ? iso(draft.acknowledgedAt) : null,
    resolved_at: resolved ? iso(draft.resolvedAt!) : null,
    deployment_external_id: draft.deploymentExternalId,
    cause_commit_sha: draft.causeCommitSha,
    resolved_by_deployment_external_id: resolved ? draft.resolvedByDeploymentExternalId : null,
    root_cause_key: draft.rootCauseKey,
    url: `https://pager.example/incidents/${externalId}`,
  };
}

/**
 * Bugs reported on each service, from a seed of its own (the rest of the data does not
 * change): teams that break more deployments let more bugs through; about half are found in
 * production (escaped defects), the rest before release.
 */
function generateBugs(ctx: DemoContext, services: ServiceConfig[]): BugRecord[] {
  const bugs: BugRecord[] = [];
  for (const service of services) {
    const random = new Random(hash32(`${ctx.seed}:bugs:${service.id}`));
    const repository = service.repositories[0] ?? null;
    const perWeek = ctx.scale * (0.5 + 6 * ctx.profile(ownerAt(service, ctx.now)).changeFailureRate);
    let number = 0;
    // Exponential gaps: a Poisson stream of reports.
    for (let at = ctx.start + random.between(0, WEEK / perWeek); at < ctx.now; at += (-Math.log(1 - random.next()) / perWeek) * WEEK) {
      number++;
      const externalId = `${repository ?? service.id}#${number}`;
      const foundInProduction = random.chance(0.55);
      const closedAt = at + random.logNormal(3, 1) * DAY;
      bugs.push({
        source: DEMO_BUG_SOURCE,
        external_id: externalId,
        service: service.id,
        repository,
        title: random.pick(BUG_TITLES),
        severity: random.weighted(BUG_SEVERITY_WEIGHTS),
        created_at: iso(Math.floor(at)),
        closed_at: closedAt < ctx.now ? iso(Math.floor(closedAt)) : null,
        found_in_production: foundInProduction,
        url: `https://tracker.example/${encodeURIComponent(externalId)}`,
        labels: ['bug', foundInProduction ? 'found-in-production' : 'found-before-release'],
      });
    }
  }
  return bugs.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.external_id.localeCompare(b.external_id));
}

/** What starts a CI run, and on which branch (default-branch pushes most often). */
const CI_TRIGGERS: [{ event: string; branch: 'main' | 'feature' }, number][] = [
  [{ event: 'push', branch: 'main' }, 0.45], [{ event: 'pull_request', branch: 'feature' }, 0.4],
  [{ event: 'schedule', branch: 'main' }, 0.05], [{ event: 'push', branch: 'feature' }, 0.1],
];
const CI_WORKFLOWS = ['ci', 'lint', 'integration'];

/**
 * CI runs of every repository, from a seed of their own (the rest of the data does not change):
 * a Poisson stream of runs on main and on feature branches; teams that break more deployments
 * break more builds; a few runs are cancelled or skipped, and the newest may still be running.
 */
function generateCiRuns(ctx: DemoContext, services: ServiceConfig[]): CiRunRecord[] {
  const runs: CiRunRecord[] = [];
  const owners = new Map<string, ServiceConfig>();
  for (const service of services) for (const repository of service.repositories) if (!isRepositoryPattern(repository) && !owners.has(repository)) owners.set(repository, service);
  for (const [repository, owner] of owners) {
    const random = new Random(hash32(`${ctx.seed}:ci:${repository}`));
    const perWeek = ctx.scale * (deployCadence(owner) + 4) * 3;
    let number = 0;
    for (let at = ctx.start + random.between(0, WEEK / perWeek); at < ctx.now; at += (-Math.log(1 - random.next()) / perWeek) * WEEK) {
      number++;
      const trigger = random.weighted(CI_TRIGGERS);
      const failureRate = Math.min(0.5, 0.02 + 1.2 * ctx.profile(ownerAt(owner, at)).changeFailureRate + (trigger.branch === 'feature' ? 0.1 : 0));
      const roll = random.next();
      const status = roll < 0.03 ? 'cancelled' : roll < 0.05 ? 'skipped' : random.chance(failureRate) ? 'failure' : 'success';
      const finishedAt = at + random.logNormal(8, 0.6) * MINUTE;
      const externalId = `${repository}/runs/${number}`;
      runs.push({
        source: DEMO_CI_SOURCE,
        external_id: externalId,
        repository,
        workflow: random.pick(CI_WORKFLOWS),
        branch: trigger.branch === 'main' ? 'main' : `feature/${number % 40}`,
        event: trigger.event,
        status: finishedAt < ctx.now ? status : 'in_progress',
        started_at: iso(Math.floor(at)),
        finished_at: finishedAt < ctx.now ? iso(Math.floor(finishedAt)) : null,
        url: `https://ci.example/${encodeURIComponent(externalId)}`,
      });
    }
  }
  return runs.sort((a, b) => a.started_at!.localeCompare(b.started_at!) || a.external_id.localeCompare(b.external_id));
}

function sortedRecords<T>(items: TimedRecord<T>[]): T[] {
  return items.sort((a, b) => a.at - b.at || a.order - b.order).map((item) => item.record);
}

// ---------------------------------------------------------------- entry point
/**
 * Generates `weeks` of activity before `now` for the services and teams of `org`.
 * Each repository is simulated from its own seed, so output is identical for identical input.
 * Commits are ordered by commit time, so every parent appears before its children.
 */
export function generateDemoData(org: OrgConfig, options: DemoOptions): DemoData {
  const now = options.now.getTime();
  const weeks = options.weeks ?? 26;
  const scale = options.scale ?? 1;
  const seed = options.seed ?? 42;
  if (!Number.isFinite(now)) throw new RangeError('now must be a valid date');
  if (!(weeks > 0) || !(scale > 0) || !Number.isFinite(weeks) || !Number.isFinite(scale)) throw new RangeError('weeks and scale must be positive numbers');
  const ctx = new DemoContext(org, now, now - weeks * WEEK, scale, seed);

  // One timeline per repository: services sharing a repository (a monorepo) deploy the same main line.
  const byRepository = new Map<string, { deployers: ServiceConfig[]; owner: ServiceConfig }>();
  const withoutRepository: ServiceConfig[] = [];
  for (const service of org.services) {
    const [primary, ...others] = service.repositories;
    if (primary === undefined) withoutRepository.push(service);
    else {
      const entry = byRepository.get(primary) ?? { deployers: [], owner: service };
      entry.deployers.push(service);
      byRepository.set(primary, entry);
    }
    for (const repository of others) if (!byRepository.has(repository)) byRepository.set(repository, { deployers: [], owner: service });
  }
  for (const [repository, entry] of byRepository) simulateRepository(ctx, `repo:${repository}`, repository, entry.deployers, entry.owner);
  for (const service of withoutRepository) simulateRepository(ctx, `service:${service.id}`, null, [service], service);

  addOngoingIncidents(ctx, new Random(hash32(`${seed}:ongoing`)), org.services);
  const incidents = ctx.incidents
    .filter((draft) => draft.createdAt < now)
    .sort((a, b) => a.createdAt - b.createdAt || a.service.localeCompare(b.service))
    .map((draft, index) => toIncidentRecord(draft, index, now));

  return {
    deployments: sortedRecords(ctx.deployments),
    commits: sortedRecords(ctx.commits),
    pullRequests: sortedRecords(ctx.pullRequests),
    incidents,
    bugs: generateBugs(ctx, org.services),
    ciRuns: generateCiRuns(ctx, org.services),
  };
}
