// A whole service for a test file: its own migrated database, an organisation from YAML,
// a fixed clock, and the fastify app (driven with inject, never listening).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { NormalizedRecord, RecordKind } from '../connectors/contract.js';
import { buildApp } from '../server/app.js';
import { parseEnv, parseOrgConfig, type Config } from '../server/config.js';
import type { Db } from '../server/db/database.js';
import { catalogOf } from '../server/ingest/ingest.js';
import { validateRecords } from '../server/ingest/validate.js';
import { computeKpis, type ComputeResult } from '../server/kpi/engine.js';
import { fixedClock } from '../server/lib/clock.js';
import { syncOrg } from '../server/org/sync-org.js';
import { createTestDatabase } from './db.js';

export interface Harness {
  app: FastifyInstance;
  db: Db;
  config: Config;
  close(): Promise<void>;
  compute(options?: { all?: boolean }): Promise<ComputeResult>;
}

export async function createHarness(options: {
  orgYaml: string; now: Date; apiToken?: string; webDir?: string; chromiumPath?: string;
  /** Environment variables as the service would read them (webhook secrets, say). */
  env?: NodeJS.ProcessEnv;
}): Promise<Harness> {
  const database = await createTestDatabase();
  const config: Config = {
    env: { ...parseEnv(options.env ?? {}), apiToken: options.apiToken, webDir: options.webDir, ...(options.chromiumPath ? { chromiumPath: options.chromiumPath } : {}) },
    org: parseOrgConfig(options.orgYaml),
    orgSource: 'file',
  };
  await syncOrg(database.db, config.org);
  const app = await buildApp({ config, db: database.db, clock: fixedClock(options.now) }, { logger: process.env.TEST_LOG ? { level: 'error' } : false });
  await app.ready();
  return {
    app,
    db: database.db,
    config,
    compute: (compute = {}) => computeKpis(database.db, config.org, { all: compute.all ?? false, now: options.now }),
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

/** Records as a request would send them, validated against the harness's organisation (all must pass). */
export function normalized(h: Harness, items: { kind: RecordKind; value: Record<string, unknown> }[]): NormalizedRecord[] {
  const { records, problems } = validateRecords(items, catalogOf(h.config.org), (index) => ({ index }));
  expect(problems).toEqual([]);
  return records;
}

const TABLES = [
  'teams', 'team_parents', 'services', 'service_owners', 'service_repositories', 'scope_members', 'org_settings',
  'deployments', 'commits', 'pull_requests', 'incidents', 'ci_runs', 'bugs', 'deployment_facts', 'deployment_changes', 'kpi_values',
  'dirty_periods', 'job_runs', 'report_snapshots', 'webhook_deliveries', 'sync_runs', 'connector_cursors',
] as const;

/** Row count of every table. */
export async function tableCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(db);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

/** Every stored KPI value in a stable order (computed_at left out). */
export async function kpiValues(db: Db) {
  return db
    .selectFrom('kpi_values')
    .select(['kpi_key', 'scope_type', 'scope_id', 'period_type', sql<string>`period_start::text`.as('period_start'), 'value', 'n', 'details'])
    .orderBy('kpi_key').orderBy('scope_type').orderBy('scope_id').orderBy('period_type').orderBy('period_start')
    .execute();
}
