// Scheduled syncs of the incident tools the service has credentials for (DESIGN.md: node-cron
// schedules sync and KPI jobs). A tick that finds the connector busy (a CLI sync, another
// replica) is skipped by runSync's claim, not queued.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../connectors/contract.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { runSync } from '../sync/run-sync.js';
import { SYNC_SOURCES, syncSource } from '../sync/sources.js';

export interface SyncSchedule {
  /** The sources scheduled (those with credentials and a bellwether.yaml section). */
  sources: string[];
  stop(): Promise<void>;
}

export function startSyncSchedule(db: Db, config: Config, clock: Clock, log: Logger): SyncSchedule {
  const abort = new AbortController();
  const tasks: ScheduledTask[] = [];
  const running = new Set<Promise<unknown>>();
  const sources: string[] = [];
  for (const name of SYNC_SOURCES) {
    const runnable = syncSource(name, config);
    if (!runnable.ready) continue;
    sources.push(name);
    const tick = () => {
      const run = runSync(db, config.org, runnable.connector, runnable.settings, { now: clock(), log, signal: abort.signal })
        .then((summary) => log.info({ job: `sync-${name}`, ...summary, stream: undefined }, 'sync finished'))
        .catch((error: unknown) => log.error({ err: error, job: `sync-${name}` }, 'sync could not record its outcome'));
      running.add(run);
      void run.then(() => running.delete(run));
    };
    tasks.push(cron.schedule(config.org.syncSchedule, tick, { name: `sync-${name}`, noOverlap: true }));
  }
  return {
    sources,
    async stop() {
      for (const task of tasks) await task.stop();
      abort.abort(new Error('shutting down'));
      await Promise.all([...running]);
    },
  };
}
