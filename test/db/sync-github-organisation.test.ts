// Every repository of a GitHub organisation through the sync runner on a real database: the
// organisation's listing makes its repositories' streams known (the runner asks again), a
// repository a service owns by pattern gets its service_repositories row with its first
// records, its deployments count for that service, an unchanged organisation costs only 304s
// (an empty repository's commits excepted),
// and a restart maps stored history when a pattern changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/contract.js';
import { gitHubConnector } from '../../connectors/github/index.js';
import { FAKE_TOKEN, startFakeGitHub, type FakeGitHub } from '../../connectors/github/testing/fake-github.js';
import { clonePullRequests, cloneRuns, REPOSITORY, seedAnts } from '../../connectors/github/testing/recorded.js';
import { parseOrgConfig } from '../../server/config.js';
import { syncOrg } from '../../server/org/sync-org.js';
import { runSync } from '../../server/sync/run-sync.js';
import { createHarness, type Harness } from '../harness.js';

const orgYaml = (platformRepositories: string) => `
organisation: { name: Test Org, time_zone: UTC }
teams: [{ id: eng }, { id: platform-team }]
services:
  - { id: ants, owner: eng, repositories: [${REPOSITORY}] }
  - { id: platform, owner: platform-team, repositories: ['${platformRepositories}'] }
github:
  since: 2018-01-01
  organizations:
    - name: panjf2000
      deployments: { workflow: { name: Tests, branch: master } }
`;
const NOW = new Date('2022-09-10T00:00:00Z');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
const GNET = 'panjf2000/gnet';

let api: FakeGitHub;
let h: Harness;
beforeAll(async () => {
  api = await startFakeGitHub();
  seedAnts(api.repository(REPOSITORY));
  const gnet = api.repository(GNET);
  clonePullRequests(gnet, 12, 1, new Date('2022-08-01T00:00:00Z'), 86_400_000);
  cloneRuns(gnet, 6, 5_000_000_000, new Date('2022-08-15T00:00:00Z'), 86_400_000);
  h = await createHarness({ orgYaml: orgYaml('panjf2000/*'), now: NOW });
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});

const sync = () => {
  const connector = gitHubConnector({ auth: { token: FAKE_TOKEN }, baseUrl: api.url, waitUnitMs: 1, config: h.config.org.github!, services: h.config.org.services });
  return runSync(h.db, h.config.org, connector as never, h.config.org.github, { now: NOW, log: quiet });
};

describe('sync github, an organisation', () => {
  it('reads the repositories its listing gives and stores them under the service whose pattern owns them', async () => {
    const summary = await sync();
    expect(summary).toMatchObject({ status: 'succeeded', rejected: 0 });
    // The listing, ants' three streams, and gnet's three (found by the listing).
    expect(summary.streams).toBe(7);
    expect(await h.db.selectFrom('service_repositories').selectAll().orderBy('service_id').execute()).toEqual([
      { service_id: 'ants', repository: REPOSITORY },
      { service_id: 'platform', repository: GNET },
    ]);
    const pulls = await h.db.selectFrom('pull_requests').select(({ fn }) => ['repository', fn.countAll<string>().as('n')]).groupBy('repository').orderBy('repository').execute();
    expect(pulls.map((row) => [row.repository, Number(row.n)])).toEqual([[REPOSITORY, 49], [GNET, 12]]);
    const deployments = await h.db.selectFrom('deployments').select(['service_id', 'status']).execute();
    expect(deployments).toHaveLength(6);
    expect(new Set(deployments.map((d) => d.service_id))).toEqual(new Set(['platform']));
    expect(await h.db.selectFrom('connector_cursors').select('stream').where('stream', 'like', `${GNET}:%`).orderBy('stream').execute()).toEqual(
      ['commits', 'pull_requests', 'workflow_runs'].map((kind) => ({ stream: `${GNET}:${kind}` })),
    );
  });

  it('counts the deployments for the owning service and its team once computed', async () => {
    await h.compute({ all: true });
    const cells = await h.db.selectFrom('kpi_values').select(['scope_type', 'scope_id', 'value', 'n'])
      .where('kpi_key', '=', 'deployment_frequency').where('period_type', '=', 'month').where('period_start', '=', '2022-08-01')
      .where('scope_type', 'in', ['service', 'team']).orderBy('scope_type').orderBy('scope_id').execute();
    expect(cells.find((c) => c.scope_type === 'service' && c.scope_id === 'platform')).toMatchObject({ n: 6 });
    expect(cells.find((c) => c.scope_type === 'team' && c.scope_id === 'platform-team')).toMatchObject({ n: 6 });
  });

  it('an incremental pass over the unchanged organisation is all 304s', async () => {
    const from = api.requests.length;
    const again = await sync();
    expect(again).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0, streams: 7 });
    // All but one: gnet has no commits, and GitHub answers its commits with a 409 (no ETag to ask with), once, not retried.
    const charged = api.requests.slice(from).filter((r) => r.status !== 304);
    expect(charged.map((r) => `${r.status} ${r.path}`)).toEqual([`409 /repos/${GNET}/commits`]);
    expect(api.requests.slice(from).some((r) => r.path === '/orgs/panjf2000/repos' && r.status === 304)).toBe(true);
    expect(again.requests - again.notModified).toBe(1);
  });

  it('a pattern that no longer owns a repository drops its row when the organisation is loaded again; one that does maps its stored history', async () => {
    const narrowed = parseOrgConfig(orgYaml('panjf2000/x-*'));
    await syncOrg(h.db, narrowed);
    expect(await h.db.selectFrom('service_repositories').select('repository').where('service_id', '=', 'platform').execute()).toEqual([]);
    await syncOrg(h.db, h.config.org);
    expect(await h.db.selectFrom('service_repositories').select('repository').where('service_id', '=', 'platform').execute()).toEqual([{ repository: GNET }]);
  });
});
