// Checks the demo organisation: demo-org.yaml parses, and the generated records are valid, deterministic,
// internally consistent (commit graph, links, ids, time window) and tell the story the scorecard shows.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, it, expect } from 'vitest';
import { recordSchemas, type CommitRecord, type DeploymentRecord } from '../../connectors/contract.js';
import { parseOrgConfig, type OrgConfig } from '../config.js';
import { generateDemoData, type DemoData } from './generate.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;

const WEEK = 7 * 24 * 3600 * 1000;
const now = new Date('2026-11-22T15:30:00Z');
const org: OrgConfig = parseOrgConfig(readFileSync(new URL('./demo-org.yaml', import.meta.url), 'utf8'), 'demo-org.yaml');
const data: DemoData = generateDemoData(org, { now });

const isProduction = (deployment: DeploymentRecord) => deployment.environment === 'production' && deployment.status === 'success';
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

describe('demo-org.yaml', () => {
  it('is a two-level organisation with services and an ownership change', () => {
    expect(org.timeZone).toBe('America/New_York');
    const topLevel = org.teams.filter((team) => team.parents.every((parent) => parent.value === null)).map((team) => team.id);
    expect(topLevel.sort()).toEqual(['platform', 'product']);
    expect(org.teams.length).toBeGreaterThanOrEqual(6);
    expect(org.services.length).toBeGreaterThanOrEqual(10);
    for (const service of org.services) expect(service.repositories).toEqual([`acme/${service.id}`]);
    const moved = org.services.filter((service) => service.owners.length > 1);
    expect(moved).toHaveLength(1);
    const changedAt = moved[0]!.owners[1]!.from!.getTime();
    expect(changedAt).toBeGreaterThan(now.getTime() - 10 * WEEK);
    expect(changedAt).toBeLessThan(now.getTime() - 6 * WEEK);
  });
});

describe('generateDemoData', () => {
  it('is deterministic for a seed and changes with the seed', () => {
    expect(generateDemoData(org, { now })).toEqual(data);
    const other = generateDemoData(org, { now, seed: 7 });
    expect(other.deployments).not.toEqual(data.deployments);
    expect(other.commits[1]?.sha).not.toBe(data.commits[1]?.sha);
  });

  it('produces records that match the connector contract', () => {
    const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
    const validators = {
      deployment: ajv.compile(recordSchemas.deployment),
      commit: ajv.compile(recordSchemas.commit),
      pull_request: ajv.compile(recordSchemas.pull_request),
      incident: ajv.compile(recordSchemas.incident),
      bug: ajv.compile(recordSchemas.bug),
      ci_run: ajv.compile(recordSchemas.ci_run),
    };
    const check = (kind: keyof typeof validators, records: object[]) => {
      expect(records.length).toBeGreaterThan(0);
      for (const record of records) {
        if (!validators[kind](record)) expect({ kind, record, errors: validators[kind].errors }).toBeUndefined();
      }
    };
    check('deployment', data.deployments);
    check('commit', data.commits);
    check('pull_request', data.pullRequests);
    check('incident', data.incidents);
    check('bug', data.bugs);
    check('ci_run', data.ciRuns);
  });

  it('runs CI on every repository, on main and on feature branches, with every outcome build health reads or leaves out', async () => {
    const repositories = new Set(org.services.flatMap((service) => service.repositories));
    expect(new Set(data.ciRuns.map((run) => run.repository))).toEqual(repositories);
    expect(new Set(data.ciRuns.map((run) => `${run.source}|${run.external_id}`)).size).toBe(data.ciRuns.length);
    const onMain = data.ciRuns.filter((run) => run.branch === 'main' && run.event !== 'pull_request');
    const failed = onMain.filter((run) => run.status === 'failure').length / onMain.filter((run) => run.status === 'success' || run.status === 'failure').length;
    expect(failed).toBeGreaterThan(0.02);
    expect(failed).toBeLessThan(0.4);
    expect(new Set(data.ciRuns.map((run) => run.status))).toEqual(new Set(['success', 'failure', 'cancelled', 'skipped', ...(data.ciRuns.some((run) => run.finished_at === null) ? ['in_progress'] : [])]));
    for (const run of data.ciRuns) if (run.finished_at) expect(run.finished_at >= run.started_at!, run.external_id).toBe(true);
  });

  it('reports bugs on every service, about half found in production, with unique ids and none closed before created', () => {
    expect(new Set(data.bugs.map((bug) => bug.service))).toEqual(new Set(org.services.map((service) => service.id)));
    expect(new Set(data.bugs.map((bug) => `${bug.source}|${bug.external_id}`)).size).toBe(data.bugs.length);
    const escaped = data.bugs.filter((bug) => bug.found_in_production).length;
    expect(escaped / data.bugs.length).toBeGreaterThan(0.4);
    expect(escaped / data.bugs.length).toBeLessThan(0.7);
    for (const bug of data.bugs) if (bug.closed_at) expect(bug.closed_at >= bug.created_at, bug.external_id).toBe(true);
    expect(data.bugs.some((bug) => bug.closed_at === null)).toBe(true);
  });

  it('only refers to configured services and repositories', () => {
    const services = new Set(org.services.map((service) => service.id));
    const repositories = new Set(org.services.flatMap((service) => service.repositories));
    for (const deployment of data.deployments) expect(services.has(deployment.service), deployment.service).toBe(true);
    for (const incident of data.incidents) expect(services.has(incident.service), incident.service).toBe(true);
    for (const bug of data.bugs) expect(services.has(bug.service), bug.service).toBe(true);
    for (const commit of data.commits) expect(repositories.has(commit.repository), commit.repository).toBe(true);
    for (const pull of data.pullRequests) expect(repositories.has(pull.repository), pull.repository).toBe(true);
    for (const run of data.ciRuns) expect(repositories.has(run.repository), run.repository).toBe(true);
    // Every service is active.
    expect(new Set(data.deployments.map((deployment) => deployment.service))).toEqual(services);
  });

  it('keeps every timestamp inside [now − weeks, now)', () => {
    const start = now.getTime() - 26 * WEEK;
    let checked = 0;
    for (const record of [...data.deployments, ...data.commits, ...data.pullRequests, ...data.incidents, ...data.bugs, ...data.ciRuns]) {
      for (const [key, value] of Object.entries(record)) {
        if (!key.endsWith('_at') || value === null || value === undefined) continue;
        const at = Date.parse(value as string);
        expect(at, key).toBeLessThan(now.getTime());
        expect(at, key).toBeGreaterThanOrEqual(start);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });

  it('builds a commit graph whose parents always come first', () => {
    const seen = new Map<string, CommitRecord>();
    for (const commit of data.commits) {
      expect(commit.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(seen.has(commit.sha), 'duplicate sha').toBe(false);
      for (const parent of commit.parents) {
        const parentCommit = seen.get(parent);
        expect(parentCommit, `parent ${parent} of ${commit.sha}`).toBeDefined();
        expect(parentCommit!.repository).toBe(commit.repository);
      }
      expect(Date.parse(commit.authored_at)).toBeLessThanOrEqual(Date.parse(commit.committed_at));
      seen.set(commit.sha, commit);
    }
    const roots = data.commits.filter((commit) => commit.parents.length === 0);
    expect(roots).toHaveLength(org.services.length);
    const merges = data.commits.filter((commit) => commit.parents.length === 2);
    const singleParent = data.commits.filter((commit) => commit.parents.length === 1);
    expect(merges.length).toBeGreaterThan(100);
    // 1–5 branch commits per merge.
    expect(singleParent.length).toBeGreaterThan(merges.length);
    expect(singleParent.length).toBeLessThan(6 * merges.length);
  });

  it('links pull requests to their commits and merge commits', () => {
    const commits = new Map(data.commits.map((commit) => [commit.sha, commit]));
    const keys = new Set<string>();
    let reviewed = 0;
    let merged = 0;
    for (const pull of data.pullRequests) {
      const key = `${pull.repository}#${pull.number}`;
      expect(keys.has(key), key).toBe(false);
      keys.add(key);
      expect(pull.url).toBe(`https://github.example/${pull.repository}/pull/${pull.number}`);
      expect(pull.commit_shas!.length).toBeGreaterThanOrEqual(1);
      expect(pull.commit_shas!.length).toBeLessThanOrEqual(5);
      for (const sha of pull.commit_shas!) expect(commits.get(sha)?.repository).toBe(pull.repository);
      if (pull.first_review_at) reviewed++;
      if (!pull.merged_at) continue;
      merged++;
      const merge = commits.get(pull.merge_commit_sha!);
      expect(merge?.parents).toHaveLength(2);
      expect(merge!.parents[1]).toBe(pull.commit_shas![pull.commit_shas!.length - 1]);
      expect(merge!.committed_at).toBe(pull.merged_at);
      expect(Date.parse(pull.opened_at)).toBeLessThanOrEqual(Date.parse(pull.merged_at));
    }
    expect(reviewed / data.pullRequests.length).toBeGreaterThan(0.8);
    expect(reviewed).toBeLessThan(data.pullRequests.length);
    // Every merge commit belongs to a pull request; about 5 % of main-line changes bypass them.
    const inPullRequests = new Set(data.pullRequests.flatMap((pull) => [...pull.commit_shas!, pull.merge_commit_sha]));
    const direct = data.commits.filter((commit) => commit.parents.length === 1 && !inPullRequests.has(commit.sha));
    expect(merged).toBe(data.commits.filter((commit) => commit.parents.length === 2).length);
    expect(direct.length / (direct.length + merged)).toBeGreaterThan(0.02);
    expect(direct.length / (direct.length + merged)).toBeLessThan(0.1);
  });

  it('uses unique external ids and consistent incident links', () => {
    const deployments = new Map(data.deployments.map((deployment) => [deployment.external_id, deployment]));
    expect(deployments.size).toBe(data.deployments.length);
    expect(new Set(data.incidents.map((incident) => incident.external_id)).size).toBe(data.incidents.length);
    for (const incident of data.incidents) {
      const created = Date.parse(incident.created_at);
      if (incident.deployment_external_id) {
        const cause = deployments.get(incident.deployment_external_id);
        expect(cause?.service).toBe(incident.service);
        expect(Date.parse(cause!.finished_at)).toBeLessThan(Date.parse(incident.started_at ?? incident.created_at));
      }
      if (incident.resolved_by_deployment_external_id) {
        const fix = deployments.get(incident.resolved_by_deployment_external_id);
        expect(fix?.service).toBe(incident.service);
        expect(Date.parse(fix!.finished_at)).toBeGreaterThan(created);
        expect(Date.parse(fix!.finished_at)).toBeLessThanOrEqual(Date.parse(incident.resolved_at!));
      }
      if (incident.acknowledged_at) expect(Date.parse(incident.acknowledged_at)).toBeGreaterThanOrEqual(created);
      if (incident.resolved_at) expect(Date.parse(incident.resolved_at)).toBeGreaterThan(created);
    }
  });

  it('contains rollbacks, explicit links, fixes, recurrences and open incidents', () => {
    const commits = new Map(data.commits.map((commit) => [commit.sha, commit]));
    const isAncestor = (older: string, newer: string) => {
      const stack = [newer];
      const visited = new Set<string>();
      while (stack.length) {
        const sha = stack.pop()!;
        if (sha === older) return true;
        if (visited.has(sha)) continue;
        visited.add(sha);
        stack.push(...(commits.get(sha)?.parents ?? []));
      }
      return false;
    };
    // A rollback: a production deployment of a commit older than the one running before it.
    let rollbacks = 0;
    const running = new Map<string, string>();
    for (const deployment of data.deployments.filter(isProduction)) {
      const previous = running.get(deployment.service);
      if (previous && deployment.commit_sha && deployment.commit_sha !== previous && isAncestor(deployment.commit_sha, previous)) rollbacks++;
      if (deployment.commit_sha) running.set(deployment.service, deployment.commit_sha);
    }
    expect(rollbacks).toBeGreaterThan(0);
    expect(data.incidents.some((incident) => incident.deployment_external_id)).toBe(true);
    expect(data.incidents.some((incident) => !incident.deployment_external_id && incident.resolved_at)).toBe(true);
    expect(data.incidents.some((incident) => incident.resolved_by_deployment_external_id)).toBe(true);
    const open = data.incidents.filter((incident) => !incident.resolved_at);
    expect(open.length).toBeGreaterThanOrEqual(1);
    expect(open.length).toBeLessThanOrEqual(6);
    const keys = data.incidents.map((incident) => incident.root_cause_key).filter(Boolean);
    expect(new Set(keys).size).toBeLessThan(keys.length);
    expect(data.deployments.some((deployment) => deployment.environment === 'staging')).toBe(true);
    expect(data.deployments.some((deployment) => deployment.status === 'failure')).toBe(true);
    const severities = new Set(data.incidents.map((incident) => incident.severity));
    expect([...severities].sort()).toEqual(['sev1', 'sev2', 'sev3', 'sev4', 'sev5']);
  });

  it('has change failure rates between 5 % and 20 % overall and varying by service', () => {
    const production = data.deployments.filter(isProduction);
    const linked = new Set(data.incidents.map((incident) => incident.deployment_external_id).filter(Boolean));
    const failedShare = (list: DeploymentRecord[]) => {
      let failed = 0;
      list.forEach((deployment, index) => {
        const next = list.slice(index + 1).find((other) => other.service === deployment.service);
        const from = Date.parse(deployment.finished_at);
        const to = next ? Date.parse(next.finished_at) : now.getTime();
        const implicit = data.incidents.some((incident) => incident.service === deployment.service && Date.parse(incident.started_at ?? incident.created_at) > from && Date.parse(incident.started_at ?? incident.created_at) < to);
        if (linked.has(deployment.external_id) || implicit) failed++;
      });
      return failed / list.length;
    };
    const overall = failedShare(production);
    expect(overall).toBeGreaterThan(0.05);
    expect(overall).toBeLessThan(0.2);
    const byService = org.services.map((service) => failedShare(production.filter((deployment) => deployment.service === service.id)));
    expect(Math.max(...byService) - Math.min(...byService)).toBeGreaterThan(0.08);
  });

  it('shows payments getting slower over the last six weeks', () => {
    const cut = now.getTime() - 6 * WEEK;
    const hours = (recent: boolean) =>
      data.pullRequests
        .filter((pull) => pull.repository === 'acme/payments-api' && pull.merged_at && Date.parse(pull.merged_at) >= cut === recent)
        .map((pull) => (Date.parse(pull.merged_at!) - Date.parse(pull.opened_at)) / 3_600_000);
    expect(median(hours(true))).toBeGreaterThan(2 * median(hours(false)));
  });

  it('scales activity roughly linearly', { timeout: 60_000 }, () => {
    const large = generateDemoData(org, { now, scale: 10 });
    const ratio = (a: unknown[], b: unknown[]) => a.length / b.length;
    expect(ratio(large.deployments, data.deployments)).toBeGreaterThan(8);
    expect(ratio(large.deployments, data.deployments)).toBeLessThan(12);
    expect(ratio(large.pullRequests, data.pullRequests)).toBeGreaterThan(8);
    expect(ratio(large.commits, data.commits)).toBeGreaterThan(8);
    expect(ratio(large.incidents, data.incidents)).toBeGreaterThan(6);
    // Commits come in commit-time order, so the last one is the newest.
    expect(Date.parse(large.commits[large.commits.length - 1]!.committed_at)).toBeLessThan(now.getTime());
  });

  it('respects a shorter window', () => {
    const short = generateDemoData(org, { now, weeks: 2 });
    const start = now.getTime() - 2 * WEEK;
    expect(short.deployments.length).toBeGreaterThan(0);
    for (const deployment of short.deployments) expect(Date.parse(deployment.started_at!)).toBeGreaterThanOrEqual(start);
    for (const commit of short.commits) expect(Date.parse(commit.authored_at)).toBeGreaterThanOrEqual(start);
  });
});
