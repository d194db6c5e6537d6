// Seeds the built-in demo organisation on an empty database so `npm start` shows a real
// scorecard at once; the data goes through the normal ingest path and is marked demo.
import type { Logger } from '../../connectors/contract.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import { ingestRecords } from '../ingest/ingest.js';
import { computeKpis } from '../kpi/engine.js';
import type { Clock } from '../lib/clock.js';
import { deleteSetting, isDemo, writeSetting } from '../org/settings.js';
import { generateDemoData } from './generate.js';
import type { NormalizedRecord } from '../../connectors/contract.js';

async function isEmpty(db: Db): Promise<boolean> {
  const row = await db.selectFrom('deployments').select('id').limit(1).executeTakeFirst();
  const incident = await db.selectFrom('incidents').select('id').limit(1).executeTakeFirst();
  return !row && !incident;
}

/** Writes the demo data set through ingest, then computes every KPI. */
export async function seedDemo(db: Db, config: Config, clock: Clock, options: { scale?: number; weeks?: number } = {}) {
  const data = generateDemoData(config.org, { now: clock(), scale: options.scale ?? 1, weeks: options.weeks ?? 26 });
  const records: NormalizedRecord[] = [
    ...data.commits.map((record) => ({ kind: 'commit' as const, record })),
    ...data.pullRequests.map((record) => ({ kind: 'pull_request' as const, record })),
    ...data.deployments.map((record) => ({ kind: 'deployment' as const, record })),
    ...data.incidents.map((record) => ({ kind: 'incident' as const, record })),
    ...data.bugs.map((record) => ({ kind: 'bug' as const, record })),
    ...data.ciRuns.map((record) => ({ kind: 'ci_run' as const, record })),
  ];
  const counts = await ingestRecords(db, config.org, records);
  await writeSetting(db, 'demo', true);
  const computed = await computeKpis(db, config.org, { all: true, now: clock() });
  return { counts, cells: computed.cells };
}

/** With no organisation file and an empty database, seed the demo (after syncOrg). */
export async function seedDemoIfEmpty(db: Db, config: Config, clock: Clock, log: Logger): Promise<void> {
  if (config.orgSource !== 'demo' || !(await isEmpty(db))) return;
  log.info({ path: config.env.configPath }, `no ${config.env.configPath} found: seeding the demo organisation (marked demo: true in the API)`);
  const started = Date.now();
  const result = await seedDemo(db, config, clock);
  log.info({ ...result.counts, cells: result.cells, ms: Date.now() - started }, 'demo organisation seeded');
}

/** With an organisation file and leftover demo data, remove the demo data (before syncOrg) so it never mixes with real data. */
export async function removeDemoDataIfConfigured(db: Db, config: Config, log: Logger): Promise<void> {
  if (config.orgSource !== 'file' || !(await isDemo(db))) return;
  log.warn({}, 'an organisation file is configured: removing the demo data seeded earlier');
  await db.transaction().execute(async (trx) => {
    for (const table of ['report_snapshots', 'kpi_values', 'dirty_periods', 'deployment_changes', 'deployment_facts', 'incidents', 'bugs', 'ci_runs', 'deployments', 'pull_requests', 'commits'] as const) {
      await trx.deleteFrom(table).execute();
    }
    await deleteSetting(trx, 'demo');
  });
}
