// The `bellwether` command as a user runs it: its own process, an organisation file and an
// embedded database in a temporary folder (never the shared test server).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const folder = mkdtempSync(join(tmpdir(), 'bellwether-cli-'));
const env = {
  ...process.env,
  DATABASE_URL: '',
  BELLWETHER_DATA_DIR: join(folder, 'data'),
  BELLWETHER_CONFIG: join(folder, 'bellwether.yaml'),
};
writeFileSync(env.BELLWETHER_CONFIG, 'teams: [{ id: eng }]\nservices: [{ id: api, owner: eng }]\n');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function bellwether(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('bellwether CLI', () => {
  it('imports a CSV file named after its kind, idempotently, and computes', async () => {
    const file = join(folder, 'deployments.csv');
    writeFileSync(file, 'source,external_id,service,environment,status,finished_at\nci,1,api,production,success,2026-11-18T10:00:00Z\nci,2,api,production,success,2026-11-19T10:00:00Z\n');
    const first = await bellwether('import', file);
    expect(first.stdout).toContain('2 records (2 new, 0 updated, 0 unchanged)');
    const again = await bellwether('import', file);
    expect(again.stdout).toContain('(0 new, 0 updated, 2 unchanged)');
    const compute = await bellwether('compute', '--all');
    expect(compute.code).toBe(0);
    expect(compute.stdout).toMatch(/compute --all: succeeded, \d+ cells/);
  }, 120_000);

  it('rejects a bad file with a per-line report, exit code 1 and nothing written', async () => {
    const file = join(folder, 'more.ndjson');
    writeFileSync(file, [
      JSON.stringify({ kind: 'deployment', source: 'ci', external_id: '3', service: 'api', environment: 'production', status: 'success', finished_at: '2026-11-20T10:00:00Z' }),
      JSON.stringify({ kind: 'deployment', source: 'ci', external_id: '4', service: 'ghost', environment: 'production', status: 'success', finished_at: '2026-11-20T10:00:00' }),
    ].join('\n'));
    const result = await bellwether('import', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 2 /service: unknown service "ghost"');
    expect(result.stderr).toContain('line 2 /finished_at');
    const recount = await bellwether('import', join(folder, 'deployments.csv'));
    expect(recount.stdout).toContain('2 unchanged'); // record 3 was not written either
  }, 120_000);

  it('lists every bad key of the organisation file at start', async () => {
    const bad = join(folder, 'bad.yaml');
    writeFileSync(bad, 'organisation: { time_zone: Mars/Olympus }\nteams: [{ id: eng, colour: red }]\nservices: [{ id: api, owner: nobody }]\n');
    const { code, stderr } = await (async () => {
      try {
        await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'compute'], { env: { ...env, BELLWETHER_CONFIG: bad }, timeout: 60_000 });
        return { code: 0, stderr: '' };
      } catch (error) {
        return error as { code: number; stderr: string };
      }
    })();
    expect(code).toBe(1);
    expect(stderr).toContain('organisation.time_zone');
    expect(stderr).toContain('teams[0].colour');
    expect(stderr).toContain('services[0].owner');
  }, 120_000);
});

describe('bellwether sync', () => {
  it('syncs PagerDuty from a server answering like it, then says what it did; usage errors exit 2', async () => {
    const { startFakePagerDuty, FAKE_TOKEN } = await import('../connectors/pagerduty/testing/fake-pagerduty.js');
    const { clonedIncidents } = await import('../connectors/pagerduty/testing/recorded.js');
    const server = await startFakePagerDuty();
    server.add(...clonedIncidents(30, new Date('2026-10-01T00:00:00Z'), 24 * 3_600_000));
    const config = join(folder, 'pagerduty.yaml');
    writeFileSync(config, 'teams: [{ id: eng }]\nservices: [{ id: api, owner: eng }]\npagerduty:\n  services: { PIKL83L: api }\n');
    const sync = async (...args: string[]) => {
      try {
        const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'server/cli.ts', 'sync', ...args], {
          env: { ...env, BELLWETHER_CONFIG: config, PAGERDUTY_TOKEN: FAKE_TOKEN, PAGERDUTY_API_URL: server.url, BELLWETHER_DATA_DIR: join(folder, 'sync-data') }, timeout: 60_000,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string };
      }
    };
    try {
      const first = await sync('pagerduty', '--since', '2026-09-01');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/sync pagerduty: succeeded, run 1: 30 records \(30 new, 0 updated, 0 rejected\) in \d+ batches, \d+ requests/);
      const again = await sync('pagerduty');
      expect(again.stdout).toMatch(/sync pagerduty: succeeded, run 2: \d+ records \(0 new, 0 updated, 0 rejected\)/);
      expect((await sync()).code).toBe(2);
      expect((await sync('jira')).stderr).toContain('sync needs a SOURCE: github or pagerduty or opsgenie');
      const noToken = await sync('github');
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toContain('set GITHUB_TOKEN');
      expect((await sync('pagerduty', '--repo', 'acme/api')).stderr).toContain('--repo goes with sync github');
      const badSince = await sync('pagerduty', '--since', 'last week');
      expect(badSince.code).toBe(2);
      expect(badSince.stderr).toContain('--since must be a date');
      const noKey = await sync('opsgenie');
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toContain('set OPSGENIE_API_KEY');
    } finally {
      await server.close();
    }
  }, 180_000);
});
