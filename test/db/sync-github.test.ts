// `bellwether sync github` through the sync runner on a real database, against a local server
// that answers like GitHub (paging, ETags) from the recorded panjf2000/ants responses: the
// records land (labelled issues as incidents and bugs), the run is recorded, and a second pass over the unchanged repository is all
// 304s (free of GitHub's rate limit) and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../connectors/contract.js';
import { gitHubConnector } from '../../connectors/github/index.js';
import { FAKE_TOKEN, startFakeGitHub, type FakeGitHub } from '../../connectors/github/testing/fake-github.js';
import { REPOSITORY, seedAnts } from '../../connectors/github/testing/recorded.js';
import { runSync } from '../../server/sync/run-sync.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: UTC }
teams: [{ id: eng }]
services:
  - { id: ants, owner: eng, repositories: [${REPOSITORY}] }
github:
  incident_labels: [bug]
  bug_labels: [bug]
  since: 2018-01-01
`;
const NOW = new Date('2022-09-10T00:00:00Z');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

let api: FakeGitHub;
let h: Harness;
beforeAll(async () => {
  api = await startFakeGitHub();
  seedAnts(api.repository(REPOSITORY));
  h = await createHarness({ orgYaml, now: NOW });
});
afterAll(async () => {
  await h?.close();
  await api?.close();
});

const sync = () => {
  const services = h.config.org.services;
  const connector = gitHubConnector({ auth: { token: FAKE_TOKEN }, baseUrl: api.url, waitUnitMs: 1, config: h.config.org.github!, services });
  return runSync(h.db, h.config.org, connector as never, h.config.org.github, { now: NOW, log: quiet });
};

describe('sync github', () => {
  it('stores the pull requests with their commits, the workflow runs and the labelled issues', async () => {
    const summary = await sync();
    // The budget left, as GitHub's last answer said (the local server answers 4999 as GitHub would after one request).
    expect(summary).toMatchObject({ status: 'succeeded', rejected: 0, rateLimitRemaining: 4999 });
    const counts = await tableCounts(h.db);
    expect(counts.pull_requests).toBe(49);
    expect(counts.commits).toBe(90);
    expect(counts.ci_runs).toBeGreaterThan(0);
    // Three recorded issues carry the bug label; #8 of them is a pull request (it has `pull_request`), not an incident.
    expect(await h.db.selectFrom('incidents').select(['source', 'service_id']).execute()).toEqual(Array(2).fill({ source: 'github', service_id: 'ants' }));
    // The same two issues are bugs too (found in production: no production labels configured).
    expect(await h.db.selectFrom('bugs').select(['external_id', 'service_id', 'found_in_production']).orderBy('external_id').execute()).toEqual([
      { external_id: `${REPOSITORY}#6`, service_id: 'ants', found_in_production: true },
      { external_id: `${REPOSITORY}#7`, service_id: 'ants', found_in_production: true },
    ]);
    expect(await h.db.selectFrom('pull_requests').select('number').where('merged_at', 'is not', null).execute()).toHaveLength(26);
    const run = await h.db.selectFrom('sync_runs').selectAll().executeTakeFirstOrThrow();
    expect(run).toMatchObject({ connector: 'github', status: 'succeeded', records: summary.records, not_modified: 0 });
    expect(await h.db.selectFrom('connector_cursors').select('stream').orderBy('stream').execute()).toEqual(
      ['commits', 'issues', 'pull_requests', 'workflow_runs'].map((kind) => ({ stream: `${REPOSITORY}:${kind}` })),
    );
  });

  it('an incremental pass over the unchanged repository is all 304s and writes nothing', async () => {
    const before = await tableCounts(h.db);
    const again = await sync();
    expect(again).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0 });
    expect(again.requests).toBeGreaterThan(0);
    expect(again.notModified).toBe(again.requests); // 0 charged requests
    expect(await tableCounts(h.db)).toEqual({ ...before, sync_runs: before.sync_runs! + 1 });
  });
});
