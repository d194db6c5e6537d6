// Every repository of an organisation: the listing (GET /orgs/{org}/repos, served from
// @octokit/openapi's example repository), which repositories it makes streams of and whose
// they are, what it costs when nothing changed, and what it refuses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, Connector, StreamKey } from '../contract.js';
import type { GitHubConfig, ServiceRepositories } from './config.js';
import { gitHubConnector, SourceError, type GitHubCursor } from './index.js';
import { FAKE_TOKEN, startFakeGitHub, type FakeGitHub } from './testing/fake-github.js';
import { recordedRuns, REPOSITORY, seedAnts } from './testing/recorded.js';
import { testContext } from './testing/context.js';

const now = new Date('2022-09-10T00:00:00Z');
const ORG = 'panjf2000';
const services: ServiceRepositories[] = [
  { id: 'ants', repositories: [REPOSITORY] },
  { id: 'platform', repositories: [`${ORG}/*`] },
  { id: 'tools', repositories: [`${ORG}/tool-*`] },
];
const config: GitHubConfig = {
  since: '2018-01-01',
  organizations: [{ name: ORG, exclude: [`${ORG}/skip-*`], deployments: { workflow: { name: 'Tests', branch: 'master' } } }],
};

let api: FakeGitHub;
beforeEach(async () => {
  api = await startFakeGitHub();
  seedAnts(api.repository(REPOSITORY));
  for (const name of ['gnet', 'tool-lint', 'skip-me', 'Mixed-Case']) api.repository(`${ORG}/${name}`);
  api.repository(`${ORG}/old`).archived = true;
  api.repository(`${ORG}/forked`).fork = true;
  api.repository('someone-else/gnet');
});
afterEach(() => api.close());

const connector = (settings: GitHubConfig = config, owners: ServiceRepositories[] = services) =>
  gitHubConnector({ auth: { token: FAKE_TOKEN }, baseUrl: api.url, waitUnitMs: 1, config: settings, services: owners });

async function pullAll(source: Connector<GitHubCursor, GitHubConfig>, stream: StreamKey, cursor?: GitHubCursor, ctx = testContext(now)) {
  const batches: Batch<GitHubCursor>[] = [];
  for await (const batch of source.pull(stream, cursor, ctx)) batches.push(batch);
  return { batches, cursor: batches.at(-1)!.cursor, ctx };
}
const organisationStream = { connector: 'github', stream: `${ORG}:repositories` };
const repositoriesStreamed = (source: Connector<GitHubCursor, GitHubConfig>) =>
  [...new Set(source.streams(config).map((key) => key.stream.slice(0, key.stream.lastIndexOf(':'))))];

describe('an organisation', () => {
  it('is listed first; its repositories become streams once listed, as their services own them', async () => {
    const source = connector();
    expect(repositoriesStreamed(source)).toEqual([ORG, REPOSITORY]);
    const { batches, cursor, ctx } = await pullAll(source, organisationStream);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.records).toEqual([]);
    // Archived, forked and excluded repositories are left out; ants is read as its service lists it.
    expect(repositoriesStreamed(source).sort()).toEqual([ORG, `${ORG}/Mixed-Case`, `${ORG}/gnet`, `${ORG}/tool-lint`, REPOSITORY].sort());
    expect(cursor.listing!.flatMap((page) => page.repositories.map((r) => r.full_name)).sort()).toEqual(
      ['ants', 'forked', 'gnet', 'Mixed-Case', 'old', 'skip-me', 'tool-lint'].map((name) => `${ORG}/${name}`).sort(),
    );
    const listing = api.requests.find((r) => r.path === `/orgs/${ORG}/repos`)!;
    expect(Object.fromEntries(listing.query)).toMatchObject({ type: 'all', sort: 'created', direction: 'desc', per_page: '100', page: '1' });
    expect(ctx.logged.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it("maps a listed repository to the service with the most specific pattern, and its organisation's deployment rule to that service", async () => {
    const source = connector();
    await pullAll(source, organisationStream);
    const tool = api.repository(`${ORG}/tool-lint`);
    // The recorded successful Tests run on master, as if pushed (a pull-request run deploys nothing).
    const run = recordedRuns().recorded.find((r) => r.name === 'Tests' && r.head_branch === 'master' && r.conclusion === 'success')!;
    tool.runs.push({ ...run, id: 99, run_attempt: 1, event: 'push' });
    const { batches } = await pullAll(source, { connector: 'github', stream: `${ORG}/tool-lint:workflow_runs` });
    const records = batches.flatMap((b) => b.records);
    const deployment = records.find((r) => r.kind === 'deployment')!;
    expect(deployment.record).toMatchObject({ service: 'tools', environment: 'production' });
    expect(records.find((r) => r.kind === 'ci_run')!.record).toMatchObject({ repository: `${ORG}/tool-lint` });
  });

  it('costs only 304s when nothing changed, and lists again from the page that changed', async () => {
    for (let i = 0; i < 230; i++) api.repository(`${ORG}/svc-${String(i).padStart(3, '0')}`);
    const first = await pullAll(connector(), organisationStream);
    expect(first.ctx.metrics.requests).toBe(3);
    expect(first.cursor.listing).toHaveLength(3);

    const again = await pullAll(connector(), organisationStream, first.cursor);
    expect(again.ctx.metrics).toMatchObject({ requests: 3, notModified: 3 });
    expect(again.cursor.listing).toEqual(first.cursor.listing);

    // A new repository is the newest: page 1 changes, and every page after it shifts.
    const created = api.repository(`${ORG}/brand-new`);
    created.createdAt = '2030-01-01T00:00:00Z';
    const source = connector();
    const changed = await pullAll(source, organisationStream, again.cursor);
    expect(changed.ctx.metrics).toMatchObject({ requests: 3, notModified: 0 });
    expect(repositoriesStreamed(source)).toContain(`${ORG}/brand-new`);
  });

  it('logs the repositories no service owns and does not read them', async () => {
    const owners = [{ id: 'ants', repositories: [REPOSITORY] }, { id: 'tools', repositories: [`${ORG}/tool-*`] }];
    const source = connector(config, owners);
    const { ctx } = await pullAll(source, organisationStream);
    expect(repositoriesStreamed(source).sort()).toEqual([ORG, `${ORG}/tool-lint`, REPOSITORY].sort());
    const warning = ctx.logged.find((l) => l.level === 'warn')!;
    expect(warning.msg).toBe(`2 repositories of ${ORG} are not read`);
    expect([...(warning.obj as { skipped: string[] }).skipped].sort()).toEqual([
      `${ORG}/Mixed-Case: no service owns it: list it under a service, or give one a pattern such as ${ORG}/*`,
      `${ORG}/gnet: no service owns it: list it under a service, or give one a pattern such as ${ORG}/*`,
    ]);
  });

  it('reads archived repositories and forks when asked to, and honours include', async () => {
    const settings: GitHubConfig = { organizations: [{ name: ORG, include: [`${ORG}/o*`, `${ORG}/f*`], archived: true, forks: true }] };
    const source = connector(settings);
    await pullAll(source, organisationStream);
    expect(repositoriesStreamed(source).sort()).toEqual([ORG, `${ORG}/forked`, `${ORG}/old`, REPOSITORY].sort());
  });

  it('skips a repository whose rules do not fit its services, saying why', async () => {
    const owners = [...services, { id: 'gnet-api', repositories: [`${ORG}/gnet`] }, { id: 'gnet-web', repositories: [`${ORG}/gnet`] }];
    const source = connector(config, owners);
    // gnet is listed by name under two services: read as named, its rules come from `repositories` (none).
    await pullAll(source, organisationStream);
    expect(repositoriesStreamed(source)).toContain(`${ORG}/gnet`);
    const shared = [...services, { id: 'web', repositories: [`${ORG}/g*`] }, { id: 'api', repositories: [`${ORG}/g*`] }];
    const ambiguous = connector(config, shared);
    const { ctx } = await pullAll(ambiguous, organisationStream);
    expect(repositoriesStreamed(ambiguous)).not.toContain(`${ORG}/gnet`);
    expect(JSON.stringify(ctx.logged.find((l) => l.level === 'warn')!.obj)).toContain(`${ORG}/gnet: github (${ORG}/gnet).deployments.service: required, ${ORG}/gnet backs several services`);
  });

  it('refuses an organisation the token cannot see, and a listing that suddenly comes back empty', async () => {
    const missing = connector({ organizations: [{ name: 'nobody' }] });
    await expect(pullAll(missing, { connector: 'github', stream: 'nobody:repositories' })).rejects.toThrow('GitHub has no organisation nobody that this token can see');
    const first = await pullAll(connector(), organisationStream);
    api.respondNext({ status: 200, body: [] });
    const error = await pullAll(connector(), organisationStream, first.cursor).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toContain(`GitHub lists no repositories of ${ORG} where 7 were listed before`);
  });
});
