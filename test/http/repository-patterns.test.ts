// Services that own repositories by pattern (`acme/tool-*`), through the push API on a real
// database: a matching repository's records are accepted and join their service (lead time
// reaches its commits), a repository nothing owns is rejected with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: UTC }
teams: [{ id: eng }]
services:
  - { id: api, owner: eng, repositories: [acme/api] }
  - { id: tools, owner: eng, repositories: ['acme/tool-*'] }
`;
const sha = (n: number) => n.toString(16).padStart(40, 'c');

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml, now: new Date('2026-11-20T12:00:00Z') });
});
afterAll(async () => h?.close());

describe('a repository a service owns by pattern', () => {
  it('is accepted, gets its service_repositories row with its first records, and its commits count for lead time', async () => {
    const commits = await h.app.inject({ method: 'POST', url: '/api/v1/commits', payload: [
      { repository: 'acme/tool-lint', sha: sha(1), parents: [], authored_at: '2026-11-02T10:00:00Z', committed_at: '2026-11-02T10:00:00Z' },
      { repository: 'acme/tool-lint', sha: sha(2), parents: [sha(1)], authored_at: '2026-11-03T10:00:00Z', committed_at: '2026-11-03T10:00:00Z' },
    ] });
    expect(commits.statusCode).toBe(200);
    expect(await h.db.selectFrom('service_repositories').selectAll().orderBy('service_id').execute()).toEqual([
      { service_id: 'api', repository: 'acme/api' },
      { service_id: 'tools', repository: 'acme/tool-lint' },
    ]);
    const deployment = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: {
      source: 'ci', external_id: 'tools-1', service: 'tools', environment: 'production', status: 'success', finished_at: '2026-11-04T10:00:00Z', commit_sha: sha(2),
    } });
    expect(deployment.statusCode).toBe(200);
    await h.compute();
    const changes = await h.app.inject({ method: 'GET', url: '/api/v1/kpis/lead_time_for_changes/explain?scope=service&id=tools&period=month&at=2026-11-04' });
    expect(changes.statusCode).toBe(200);
    // A service's first deployment ships its deployed commit (there is no earlier deployment to walk back to).
    expect(changes.json().records).toEqual([expect.objectContaining({ service_id: 'tools', repository: 'acme/tool-lint', sha: sha(2), lead_time_hours: 24 })]);
  });

  it('a repository no service owns, by name or pattern, is rejected and nothing is written', async () => {
    const before = await tableCounts(h.db);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/commits', payload: [
      { repository: 'acme/toolbox', sha: sha(3), parents: [], authored_at: '2026-11-02T10:00:00Z', committed_at: '2026-11-02T10:00:00Z' },
    ] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.problems[0]).toMatchObject({ index: 0, path: '/repository', message: expect.stringContaining('by name or pattern') });
    expect(await tableCounts(h.db)).toEqual(before);
  });
});
