// An incident's cause set through the API (issue #6): it takes precedence over the implicit
// rule, survives a later sync of the incident, and each link says why it exists. Real
// database, real HTTP (inject), the compute job between steps as the scheduler would run it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: UTC, implicit_failure_linkage: true }
teams: [{ id: eng }]
services:
  - { id: api, owner: eng, repositories: [acme/api] }
`;
// Distinct from their first characters on: an abbreviated cause sha matches by prefix.
const sha = (n: number) => createHash('sha1').update(`commit ${n}`).digest('hex');
const commit = (n: number, parents: number[], at: string) => ({ repository: 'acme/api', sha: sha(n), parents: parents.map(sha), authored_at: at, committed_at: at });
const deployment = (id: string, commitNumber: number, at: string) => ({
  source: 'ci', external_id: id, service: 'api', environment: 'production', status: 'success', finished_at: at, commit_sha: sha(commitNumber),
});
// Implicitly, the incident (11:30) falls on d2 (11:00, the last deployment before it).
const incident = { source: 'pagerduty', external_id: 'PINC1', service: 'api', severity: 'sev2', title: 'Errors', created_at: '2026-11-10T11:30:00Z', resolved_at: '2026-11-10T12:30:00Z' };

let h: Harness;
const post = (url: string, payload: unknown) => h.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object });
const view = async () => (await h.app.inject({ method: 'GET', url: '/api/v1/incidents/pagerduty/PINC1' })).json();
const links = async () => (await view()).failed_deployments.map((d: { external_id: string; reason: string }) => [d.external_id, d.reason]);

beforeAll(async () => {
  h = await createHarness({ orgYaml, now: new Date('2026-11-20T12:00:00Z') });
  expect((await post('/commits', [commit(1, [], '2026-11-09T09:00:00Z'), commit(2, [1], '2026-11-10T09:00:00Z'), commit(3, [2], '2026-11-10T10:00:00Z')])).statusCode).toBe(200);
  expect((await post('/pull-requests', [
    { repository: 'acme/api', number: 5, opened_at: '2026-11-09T08:00:00Z', merged_at: '2026-11-09T09:00:00Z', merge_commit_sha: sha(1), commit_shas: [sha(1)] },
    { repository: 'acme/api', number: 7, opened_at: '2026-11-10T08:00:00Z', merged_at: '2026-11-10T10:00:00Z', merge_commit_sha: sha(3), commit_shas: [sha(2)] },
  ])).statusCode).toBe(200);
  expect((await post('/deployments', [deployment('d1', 1, '2026-11-09T10:00:00Z'), deployment('d2', 3, '2026-11-10T11:00:00Z')])).statusCode).toBe(200);
  expect((await post('/incidents', incident)).statusCode).toBe(200);
  await h.compute();
});
afterAll(async () => h?.close());

describe('incident cause', () => {
  it('links implicitly by default, and says so', async () => {
    expect(await view()).toMatchObject({ external_id: 'PINC1', cause: { deployment_external_id: null, commit_sha: null, pull_request: null, set_via: 'source' } });
    expect(await links()).toEqual([['d2', 'implicit']]);
  });

  it('a cause set through the API wins over the implicit rule', async () => {
    const res = await h.app.inject({ method: 'PUT', url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { deployment_external_id: 'd1' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().cause).toEqual({ deployment_external_id: 'd1', commit_sha: null, pull_request: null, set_via: 'api' });
    await h.compute();
    expect(await links()).toEqual([['d1', 'api:deployment_id']]);
  });

  it('survives a later sync of the incident that brings no cause', async () => {
    expect((await post('/incidents', { ...incident, title: 'Errors on checkout' })).json()).toMatchObject({ updated: 1 });
    await h.compute();
    expect(await view()).toMatchObject({ title: 'Errors on checkout', cause: { deployment_external_id: 'd1', set_via: 'api' } });
    expect(await links()).toEqual([['d1', 'api:deployment_id']]);
  });

  it('links through a pull request: the deployment that shipped it', async () => {
    const res = await h.app.inject({ method: 'PUT', url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { pull_request: 'acme/api#7' } });
    expect(res.json().cause).toEqual({ deployment_external_id: null, commit_sha: null, pull_request: 'acme/api#7', set_via: 'api' });
    await h.compute();
    expect(await links()).toEqual([['d2', 'api:pull_request']]);
  });

  it('links through a pull request shipped deployments before the incident', async () => {
    // PR #5 shipped with d1, a day before the incident: further back than the incident's own window.
    await h.app.inject({ method: 'PUT', url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { pull_request: 'ACME/api#5' } });
    await h.compute();
    expect(await links()).toEqual([['d1', 'api:pull_request']]);
  });

  it('clearing it brings back what the source says (here: nothing, so the implicit rule)', async () => {
    const res = await h.app.inject({ method: 'DELETE', url: '/api/v1/incidents/pagerduty/PINC1/cause' });
    expect(res.statusCode).toBe(200);
    expect(res.json().cause).toEqual({ deployment_external_id: null, commit_sha: null, pull_request: null, set_via: 'source' });
    await h.compute();
    expect(await links()).toEqual([['d2', 'implicit']]);
  });

  it('a cause the source sends links with its own reason', async () => {
    expect((await post('/incidents', { ...incident, cause_commit_sha: sha(1).slice(0, 7) })).statusCode).toBe(200);
    await h.compute();
    expect(await links()).toEqual([['d1', 'commit']]);
  });

  it('rejects bad requests and changes nothing', async () => {
    const before = await tableCounts(h.db);
    const cases = [
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/NOPE/cause', payload: { deployment_external_id: 'd1' }, status: 404 },
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: {}, status: 400 },
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { commit_sha: 'not-a-sha' }, status: 400 },
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { pull_request: 'acme/api/7' }, status: 400 },
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { deployment_external_id: null }, status: 400 },
      { method: 'PUT' as const, url: '/api/v1/incidents/pagerduty/PINC1/cause', payload: { deployment: 'd1' }, status: 400 },
      { method: 'GET' as const, url: '/api/v1/incidents/pagerduty/NOPE', status: 404 },
    ];
    for (const { status, ...request } of cases) {
      const res = await h.app.inject(request);
      expect(res.statusCode, JSON.stringify(request)).toBe(status);
    }
    expect(await tableCounts(h.db)).toEqual(before);
  });
});
