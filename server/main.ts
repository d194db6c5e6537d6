// Process entry for `bellwether serve`: config → db → migrations → organisation → demo
// seed → app → scheduler, and a graceful close on signals.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import type { Logger } from '../connectors/contract.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { removeDemoDataIfConfigured, seedDemoIfEmpty } from './demo/seed.js';
import { startScheduler } from './jobs/scheduler.js';
import { startSyncSchedule } from './jobs/sync-schedule.js';
import { settableClock, systemClock } from './lib/clock.js';
import { syncOrg, type SyncOrgResult } from './org/sync-org.js';

/**
 * What every command does before touching data: migrate, drop leftover demo data when an
 * organisation file now exists, and mirror the organisation into the database.
 */
export async function prepareDatabase(db: Db, config: Config, log: Logger): Promise<SyncOrgResult> {
  await migrateToLatest(db);
  await removeDemoDataIfConfigured(db, config, log);
  return syncOrg(db, config.org);
}

export async function serve(config: Config): Promise<void> {
  const handle = await openDatabase({ databaseUrl: config.env.databaseUrl, dataDir: config.env.dataDir });
  // BELLWETHER_NOW: a clock standing at that instant, moved only by compute requests (demos, benchmarks).
  const clock = config.env.now ? settableClock(config.env.now) : systemClock;
  const app = await buildApp({ config, db: handle.db, clock }, { logger: { level: config.env.logLevel } });
  const log = app.log;
  log.info({ database: handle.kind, location: handle.location }, 'opening database');
  if (config.env.now) log.warn({ now: config.env.now.toISOString() }, 'the clock is fixed (BELLWETHER_NOW)');
  const synced = await prepareDatabase(handle.db, config, log);
  log.info({ source: config.orgSource, teams: config.org.teams.length, services: config.org.services.length, ...synced }, 'organisation loaded');
  await seedDemoIfEmpty(handle.db, config, clock, log);
  const scheduler = startScheduler(handle.db, config.org, clock, log);
  const syncs = startSyncSchedule(handle.db, config, clock, log);
  if (syncs.sources.length) log.info({ sources: syncs.sources, schedule: config.org.syncSchedule }, 'incident tools scheduled for sync');

  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) log.error({ err }, 'closing after an error');
    else log.info({ signal }, 'closing');
    await app.close();
    await syncs.stop();
    await scheduler.stop();
    await handle.close();
  });

  const address = await app.listen({ port: config.env.port, host: config.env.host });
  console.log(`\nBellwether is running: open ${address}/  (API: ${address}/api/v1/scorecard, docs: ${address}/docs)\n`);
}
