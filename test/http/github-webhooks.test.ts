// POST /webhooks/github end to end through fastify inject on a real database, with the example
// payloads of @octokit/webhooks-examples signed as GitHub signs them (X-Hub-Signature-256):
// whole records are ingested as a poll would, a wrong signature writes nothing, a redelivery
// (same X-GitHub-Delivery) changes nothing, and partial payloads only name the stream to poll.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookExamples } from '../../connectors/github/testing/recorded.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const examples = webhookExamples;

const SECRET = 'github-secret-0123456789abcdef';
const orgYaml = `
organisation: { name: Test Org, time_zone: UTC }
teams: [{ id: eng }]
services:
  - { id: hello-web, owner: eng, repositories: [Codertocat/Hello-World] }
  - { id: octo-api, owner: eng, repositories: [octo-org/octo-repo] }
github:
  repositories:
    Codertocat/Hello-World: { deployments: { github_deployments: { environment: '^production$' } } }
    octo-org/octo-repo: { deployments: { workflow: { name: test, branch: master }, environment: prod } }
  incident_labels: [bug]
`;

let h: Harness;
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const post = (event: string, payload: unknown, options: { delivery?: string; signature?: string | null } = {}) => {
  const body = JSON.stringify(payload);
  const signature = options.signature === undefined ? sign(body) : options.signature;
  return h.app.inject({
    method: 'POST', url: '/webhooks/github', payload: body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': options.delivery ?? `${event}-${Math.random()}`, ...(signature ? { 'x-hub-signature-256': signature } : {}) },
  });
};

beforeAll(async () => {
  h = await createHarness({ orgYaml, now: new Date('2026-11-20T12:00:00Z'), env: { GITHUB_WEBHOOK_SECRET: SECRET } });
});
afterAll(async () => h?.close());

describe('POST /webhooks/github', () => {
  it('rejects a wrong or missing signature with 401 and writes nothing', async () => {
    const before = await tableCounts(h.db);
    const completed = examples('workflow_run')[1];
    expect((await post('workflow_run', completed, { signature: sign('other', SECRET) })).statusCode).toBe(401);
    expect((await post('workflow_run', completed, { signature: sign(JSON.stringify(completed), 'not-the-secret-0123456789') })).statusCode).toBe(401);
    expect((await post('workflow_run', completed, { signature: null })).statusCode).toBe(401);
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('ingests a completed workflow run as its CI run and, under the workflow rule, a deployment', async () => {
    const res = await post('workflow_run', examples('workflow_run')[1], { delivery: 'run-delivery-1' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'applied', delivery_id: 'run-delivery-1' });
    expect(await h.db.selectFrom('ci_runs').select(['external_id', 'repository', 'workflow', 'status']).execute())
      .toEqual([{ external_id: '289782451:1', repository: 'octo-org/octo-repo', workflow: 'test', status: 'success' }]);
    expect(await h.db.selectFrom('deployments').select(['external_id', 'service_id', 'environment', 'is_production']).execute())
      .toEqual([{ external_id: 'workflow_run:289782451:1', service_id: 'octo-api', environment: 'prod', is_production: true }]);
  });

  it('recognises a redelivery: duplicate, nothing changes', async () => {
    const before = await tableCounts(h.db);
    const res = await post('workflow_run', examples('workflow_run')[1], { delivery: 'run-delivery-1' });
    expect(res.json().status).toBe('duplicate');
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('the same run delivered again under another id changes nothing but the delivery log', async () => {
    const before = await tableCounts(h.db);
    expect((await post('workflow_run', examples('workflow_run')[2], { delivery: 'run-delivery-2' })).json().status).toBe('applied');
    expect(await tableCounts(h.db)).toEqual({ ...before, webhook_deliveries: before.webhook_deliveries! + 1 });
  });

  it('ingests a final deployment status; names the stream to poll for a pull request', async () => {
    const [success] = examples('deployment_status');
    const deployed = await post('deployment_status', success);
    expect(deployed.json().status).toBe('applied');
    expect(await h.db.selectFrom('deployments').select('service_id').where('source', '=', 'github').where('external_id', 'not like', 'workflow_run:%').execute())
      .toEqual([{ service_id: 'hello-web' }]);
    const pr = await post('pull_request', examples('pull_request')[0]);
    expect(pr.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining('the pull_requests stream reads them') });
  });

  it('ignores an event it does not use, and answers 400 without the event header', async () => {
    expect((await post('star', examples('star')[0])).json().status).toBe('ignored');
    const body = JSON.stringify(examples('workflow_run')[1]);
    const res = await h.app.inject({ method: 'POST', url: '/webhooks/github', payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) } });
    expect(res.statusCode).toBe(400);
  });
});

describe('a partial payload with GitHub credentials', () => {
  it('polls the stream it names right after answering: the pull requests arrive whole', async () => {
    const { FAKE_TOKEN, startFakeGitHub } = await import('../../connectors/github/testing/fake-github.js');
    const { seedAnts } = await import('../../connectors/github/testing/recorded.js');
    const api = await startFakeGitHub();
    // The recorded ants pull requests, served as the example payloads' repository.
    seedAnts(api.repository('Codertocat/Hello-World'));
    const live = await createHarness({
      orgYaml: `teams: [{ id: eng }]\nservices:\n  - { id: hello-web, owner: eng, repositories: [Codertocat/Hello-World] }\ngithub: { since: 2018-01-01 }\n`,
      now: new Date('2022-09-10T00:00:00Z'),
      env: { GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: FAKE_TOKEN, GITHUB_API_URL: api.url },
    });
    try {
      const body = JSON.stringify(examples('pull_request')[0]);
      const res = await live.app.inject({
        method: 'POST', url: '/webhooks/github', payload: body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'pr-1', 'x-hub-signature-256': sign(body) },
      });
      expect(res.json().status).toBe('ignored');
      // The refresh runs after the answer: wait for its sync_runs row to end.
      for (let waited = 0; waited < 20_000; waited += 50) {
        const run = await live.db.selectFrom('sync_runs').select('status').executeTakeFirst();
        if (run && run.status !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await live.db.selectFrom('sync_runs').select(['connector', 'status']).execute()).toEqual([{ connector: 'github', status: 'succeeded' }]);
      expect((await tableCounts(live.db)).pull_requests).toBe(49);
      expect(await live.db.selectFrom('connector_cursors').select('stream').execute()).toEqual([{ stream: 'Codertocat/Hello-World:pull_requests' }]);
    } finally {
      await live.close();
      await api.close();
    }
  }, 60_000);
});
