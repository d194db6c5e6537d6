// The push API end to end through fastify inject on a real database: validation with
// per-record reports, nothing written on a bad request, idempotent upserts, import files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: Europe/Berlin }
teams: [{ id: eng }, { id: payments, parent: eng }]
services:
  - { id: api, owner: payments, repositories: [acme/api] }
`;
const sha = (n: number) => n.toString(16).padStart(40, 'a');
const deployment = (id: string, overrides: Record<string, unknown> = {}) => ({
  source: 'ci', external_id: id, service: 'api', environment: 'production', status: 'success',
  finished_at: '2026-11-03T12:00:00Z', commit_sha: sha(1), ...overrides,
});

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml, now: new Date('2026-11-20T12:00:00Z') });
});
afterAll(async () => h?.close());

describe('POST /api/v1/deployments', () => {
  it('accepts one record and reports it inserted; the same record again changes nothing', async () => {
    const first = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: deployment('d1') });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: 1, inserted: 1, updated: 0, unchanged: 0 });
    const before = await tableCounts(h.db);
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: deployment('d1') });
    expect(again.json()).toEqual({ received: 1, inserted: 0, updated: 0, unchanged: 1 });
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('updates a changed record in place', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: [deployment('d1', { url: 'https://ci.example/d1' })] });
    expect(res.json()).toEqual({ received: 1, inserted: 0, updated: 1, unchanged: 0 });
    const rows = await h.db.selectFrom('deployments').select(['external_id', 'url']).execute();
    expect(rows).toEqual([{ external_id: 'd1', url: 'https://ci.example/d1' }]);
  });

  it('rejects a whole batch when one record is bad, naming index and field, and writes nothing', async () => {
    const before = await tableCounts(h.db);
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/deployments',
      payload: [
        deployment('d2'),
        deployment('d3', { finished_at: '2026-11-03T12:00:00' }), // no zone
        deployment('d4', { service: 'nope' }),
        deployment('d5', { started_at: '2026-11-03T13:00:00Z' }), // negative duration
        { ...deployment('d6'), status: undefined },
      ],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.problems).toEqual(expect.arrayContaining([
      expect.objectContaining({ index: 1, path: '/finished_at' }),
      expect.objectContaining({ index: 2, path: '/service', message: expect.stringContaining('unknown service') }),
      expect.objectContaining({ index: 3, path: '/finished_at', message: expect.stringContaining('negative duration') }),
      expect.objectContaining({ index: 4, path: '/status', message: 'is required' }),
    ]));
    expect(body.error.problems.some((p: { index: number }) => p.index === 0)).toBe(false);
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('rejects bodies that are not records', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: '"hello"', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    const broken = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: '{"source":', headers: { 'content-type': 'application/json' } });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('bad_request');
  });

  it('limits the body size', async () => {
    const res = await h.app.inject({
      method: 'POST', url: '/api/v1/deployments', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ ...deployment('big'), padding: 'x'.repeat(17 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });
});

describe('POST /api/v1/incidents, commits and pull-requests', () => {
  it('normalises severity and rejects a resolution before creation', async () => {
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/incidents', payload: {
      source: 'pd', external_id: 'i1', service: 'api', severity: 'P2', title: 'Checkout errors',
      created_at: '2026-11-03T12:30:00Z', resolved_at: '2026-11-03T14:00:00+01:00',
    } });
    expect(ok.statusCode).toBe(200);
    expect(await h.db.selectFrom('incidents').select('severity').where('external_id', '=', 'i1').executeTakeFirst()).toEqual({ severity: 'sev2' });
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/incidents', payload: {
      source: 'pd', external_id: 'i2', service: 'api', severity: 'sev9', title: 'x', created_at: '2026-11-03T12:30:00Z', resolved_at: '2026-11-03T12:00:00Z',
    } });
    expect(bad.statusCode).toBe(400);
    const paths = bad.json().error.problems.map((p: { path: string }) => p.path);
    expect(paths).toContain('/severity');
  });

  it('rejects commits of a repository no service lists', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/commits', payload: [
      { repository: 'acme/other', sha: sha(2), parents: [], authored_at: '2026-11-01T10:00:00Z', committed_at: '2026-11-01T10:00:00Z' },
    ] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.problems[0]).toMatchObject({ index: 0, path: '/repository' });
  });

  it('accepts pull requests and rejects a merge before opening', async () => {
    const good = { repository: 'acme/api', number: 7, opened_at: '2026-11-01T09:00:00Z', merged_at: '2026-11-02T09:00:00Z', merge_commit_sha: sha(1), commit_shas: [sha(3)] };
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/pull-requests', payload: good })).statusCode).toBe(200);
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/pull-requests', payload: { ...good, number: 8, merged_at: '2026-10-01T09:00:00Z' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems[0]).toMatchObject({ path: '/merged_at' });
  });
});

describe('POST /api/v1/import', () => {
  it('imports CSV with the kind from the query and reports bad lines by line number', async () => {
    const csv = [
      'repository,sha,parents,authored_at,committed_at',
      `acme/api,${sha(10)},,2026-11-01T10:00:00Z,2026-11-01T10:00:00Z`,
      `acme/api,${sha(11)},${sha(10)},2026-11-01T11:00:00Z,2026-11-01T11:00:00Z`,
    ].join('\n');
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/import?kind=commit', headers: { 'content-type': 'text/csv' }, payload: csv });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ received: 2, inserted: 2, updated: 0, unchanged: 0 });
    const parents = await h.db.selectFrom('commits').select('parents').where('sha', '=', sha(11)).executeTakeFirstOrThrow();
    expect(parents.parents).toEqual([sha(10)]);

    const before = await tableCounts(h.db);
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/import?kind=commit', headers: { 'content-type': 'text/csv' }, payload: `${csv}\nacme/api,nothex,,2026-11-01,2026-11-01T11:00:00Z` });
    expect(bad.statusCode).toBe(400);
    const problems = bad.json().error.problems;
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ line: 4, path: '/sha' }), expect.objectContaining({ line: 4, path: '/authored_at' })]));
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('imports NDJSON with a kind per line; unreadable lines are reported', async () => {
    const lines = [
      JSON.stringify({ kind: 'deployment', ...deployment('n1') }),
      JSON.stringify({ kind: 'incident', source: 'pd', external_id: 'n-i1', service: 'api', severity: 'sev3', title: 't', created_at: '2026-11-04T10:00:00Z' }),
    ];
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
    expect(ok.json()).toEqual({ received: 2, inserted: 2, updated: 0, unchanged: 0 });
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/x-ndjson' }, payload: lines.join('\n') });
    expect(again.json()).toEqual({ received: 2, inserted: 0, updated: 0, unchanged: 2 });
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/x-ndjson' }, payload: `${lines[0]}\n{oops\n{"kind":"widget"}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems).toEqual([
      expect.objectContaining({ line: 2, message: expect.stringContaining('not valid JSON') }),
      expect.objectContaining({ line: 3, path: '/kind' }),
    ]);
  });

  it('imports a JSON object of arrays and refuses an unknown content type', async () => {
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ deployments: [deployment('j1')] }) });
    expect(ok.json()).toMatchObject({ received: 1, inserted: 1 });
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { 'content-type': 'application/xml' }, payload: '<x/>' });
    expect(unknown.statusCode).toBe(400);
  });
});

describe('read API errors', () => {
  it('404s an unknown team and 400s a bad period', async () => {
    expect((await h.app.inject({ url: '/api/v1/scorecard?scope=team&id=ghost' })).statusCode).toBe(404);
    const bad = await h.app.inject({ url: '/api/v1/scorecard?period=decade' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.problems[0].path).toContain('period');
    expect((await h.app.inject({ url: '/api/v1/kpis/happiness/explain' })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/v1/scorecard?scope=team' })).statusCode).toBe(400);
  });
});

describe('POST /api/v1/ci-runs', () => {
  const run = (id: string, overrides: Record<string, unknown> = {}) => ({
    source: 'github-actions', external_id: id, repository: 'acme/api', workflow: 'Tests', branch: 'main', event: 'push',
    commit_sha: sha(7), status: 'success', started_at: '2026-11-03T12:00:00Z', finished_at: '2026-11-03T12:06:33Z', ...overrides,
  });

  it('stores CI runs by (source, external_id); the same again changes nothing, a changed one is updated', async () => {
    const first = await h.app.inject({ method: 'POST', url: '/api/v1/ci-runs', payload: [run('2589885628:1'), run('2589885628:2', { status: 'failure' })] });
    expect(first.json()).toEqual({ received: 2, inserted: 2, updated: 0, unchanged: 0 });
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/ci-runs', payload: [run('2589885628:1'), run('2589885628:2', { status: 'failure' })] });
    expect(again.json()).toEqual({ received: 2, inserted: 0, updated: 0, unchanged: 2 });
    const changed = await h.app.inject({ method: 'POST', url: '/api/v1/ci-runs', payload: run('2589885628:2', { status: 'success' }) });
    expect(changed.json()).toEqual({ received: 1, inserted: 0, updated: 1, unchanged: 0 });
    const rows = await h.db.selectFrom('ci_runs').select(['external_id', 'status', 'workflow']).orderBy('external_id').execute();
    expect(rows).toEqual([
      { external_id: '2589885628:1', status: 'success', workflow: 'Tests' },
      { external_id: '2589885628:2', status: 'success', workflow: 'Tests' },
    ]);
  });

  it('rejects an unknown repository, an unknown status and a run finished before it started; nothing is written', async () => {
    const before = await tableCounts(h.db);
    const res = await h.app.inject({
      method: 'POST', url: '/api/v1/ci-runs',
      payload: [run('x1', { repository: 'acme/unknown' }), run('x2', { status: 'exploded' }), run('x3', { finished_at: '2026-11-03T11:00:00Z' }), run('x4')],
    });
    expect(res.statusCode).toBe(400);
    const paths = (res.json().error.problems as { index: number; path: string }[]).map((p) => `${p.index}${p.path}`);
    expect(paths).toEqual(expect.arrayContaining(['0/repository', '1/status', '2/finished_at']));
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('imports CI runs from a file', async () => {
    const res = await h.app.inject({
      method: 'POST', url: '/api/v1/import?format=ndjson&kind=ci_run', payload: JSON.stringify(run('from-file')), headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(res.json()).toMatchObject({ received: 1, inserted: 1 });
  });
});

describe('POST /api/v1/bugs', () => {
  const bug = (id: string, overrides: Record<string, unknown> = {}) => ({
    source: 'github', external_id: id, service: 'api', repository: 'acme/api', title: 'Refund total off by a cent', severity: 'sev2',
    created_at: '2026-11-03T12:00:00Z', closed_at: '2026-11-04T09:30:00Z', found_in_production: true,
    url: 'https://github.com/acme/api/issues/41', labels: ['bug', 'production'], ...overrides,
  });

  it('stores bugs by (source, external_id) with severity normalised; the same again changes nothing, a changed one is updated', async () => {
    const first = await h.app.inject({
      method: 'POST', url: '/api/v1/bugs',
      payload: [bug('acme/api#41'), bug('acme/api#42', { severity: 'P4', found_in_production: false, closed_at: null, repository: undefined, labels: undefined }), bug('acme/api#43', { severity: '1' })],
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: 3, inserted: 3, updated: 0, unchanged: 0 });
    const again = await h.app.inject({ method: 'POST', url: '/api/v1/bugs', payload: [bug('acme/api#41'), bug('acme/api#43', { severity: '1' })] });
    expect(again.json()).toEqual({ received: 2, inserted: 0, updated: 0, unchanged: 2 });
    const changed = await h.app.inject({ method: 'POST', url: '/api/v1/bugs', payload: bug('acme/api#41', { closed_at: '2026-11-05T09:30:00Z' }) });
    expect(changed.json()).toEqual({ received: 1, inserted: 0, updated: 1, unchanged: 0 });
    const rows = await h.db.selectFrom('bugs')
      .select(['external_id', 'service_id', 'repository', 'severity', 'found_in_production', 'closed_at', 'labels'])
      .orderBy('external_id').execute();
    expect(rows).toEqual([
      { external_id: 'acme/api#41', service_id: 'api', repository: 'acme/api', severity: 'sev2', found_in_production: true, closed_at: new Date('2026-11-05T09:30:00Z'), labels: ['bug', 'production'] },
      { external_id: 'acme/api#42', service_id: 'api', repository: null, severity: 'sev4', found_in_production: false, closed_at: null, labels: [] },
      { external_id: 'acme/api#43', service_id: 'api', repository: 'acme/api', severity: 'sev1', found_in_production: true, closed_at: new Date('2026-11-04T09:30:00Z'), labels: ['bug', 'production'] },
    ]);
  });

  it('rejects a bad severity, an unknown service, a bug closed before it was created and a missing found_in_production; nothing is written', async () => {
    const before = await tableCounts(h.db);
    const res = await h.app.inject({
      method: 'POST', url: '/api/v1/bugs',
      payload: [
        bug('x1', { severity: 'critical' }),
        bug('x2', { service: 'nope' }),
        bug('x3', { closed_at: '2026-11-03T11:59:59Z' }),
        { ...bug('x4'), found_in_production: undefined },
        bug('x5', { found_in_production: 'yes' }),
        bug('x6'),
      ],
    });
    expect(res.statusCode).toBe(400);
    const problems = res.json().error.problems as { index: number; path: string; message: string }[];
    expect(problems.map((p) => `${p.index}${p.path}`)).toEqual(expect.arrayContaining(['0/severity', '1/service', '2/closed_at', '3/found_in_production', '4/found_in_production']));
    expect(problems.find((p) => p.index === 2)?.message).toContain('must not be before created_at');
    expect(problems.some((p) => p.index === 5)).toBe(false);
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it(`rejects more than ${10_000} bugs in one request, and a body over the route's limit; nothing is written`, async () => {
    const before = await tableCounts(h.db);
    const many = await h.app.inject({ method: 'POST', url: '/api/v1/bugs', payload: Array.from({ length: 10_001 }, (_, i) => bug(`many-${i}`)) });
    expect(many.statusCode).toBe(400);
    expect(many.json().error.message).toContain('at most 10000 records');
    // 16 MiB is the limit of a record route: fastify refuses the body before it is parsed.
    const huge = await h.app.inject({ method: 'POST', url: '/api/v1/bugs', payload: bug('huge', { title: 'x'.repeat(17 * 1024 * 1024) }) });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('payload_too_large');
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('imports bugs from a CSV file (found_in_production as true/false, labels separated by ;)', async () => {
    const csv = [
      'source,external_id,service,title,severity,created_at,found_in_production,labels',
      'jira,PAY-1,api,Checkout hangs,P2,2026-11-06T08:00:00Z,true,bug;customer',
      'jira,PAY-2,api,Typo in receipt,5,2026-11-06T09:00:00Z,false,',
    ].join('\n');
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/import?kind=bug', payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.json()).toMatchObject({ received: 2, inserted: 2 });
    const rows = await h.db.selectFrom('bugs').select(['external_id', 'severity', 'found_in_production', 'labels']).where('source', '=', 'jira').orderBy('external_id').execute();
    expect(rows).toEqual([
      { external_id: 'PAY-1', severity: 'sev2', found_in_production: true, labels: ['bug', 'customer'] },
      { external_id: 'PAY-2', severity: 'sev5', found_in_production: false, labels: [] },
    ]);
  });
});
