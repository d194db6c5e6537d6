// Core tables: organisation structure (synced from bellwether.yaml), raw records,
// derived facts, precomputed KPI values and job bookkeeping. Frozen once released.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // --- organisation (bellwether.yaml is the source; these rows mirror it with effective dates)
  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('time_zone', 'text')
    .execute();
  await db.schema
    .createTable('team_parents')
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('parent_id', 'text', (c) => c.references('teams.id').onDelete('cascade'))
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('services')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('production_environment', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('service_owners')
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('service_repositories')
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
    .addColumn('repository', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('service_repositories_pk', ['service_id', 'repository'])
    .execute();
  // Which services' records count for which scope, and when: the closure of ownership
  // and team nesting over time, so a reorg never rewrites history (KPIS.md, Scopes).
  await db.schema
    .createTable('scope_members')
    .addColumn('scope_type', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id').onDelete('cascade'))
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_to', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scope_members_service_idx').on('scope_members').columns(['service_id', 'scope_type', 'scope_id']).execute();
  await db.schema.createIndex('scope_members_scope_idx').on('scope_members').columns(['scope_type', 'scope_id']).execute();

  await db.schema
    .createTable('org_settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // --- raw records: one writer (server/ingest), upsert by natural key, original payload kept
  await db.schema
    .createTable('deployments')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('commit_sha', 'text')
    .addColumn('ref', 'text')
    .addColumn('labels', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('url', 'text')
    .addColumn('is_production', 'boolean', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('deployments_source_external_id_key', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('deployments_service_finished_idx').on('deployments').columns(['service_id', 'finished_at']).execute();
  await db.schema.createIndex('deployments_external_id_idx').on('deployments').column('external_id').execute();

  await db.schema
    .createTable('commits')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('parents', sql`text[]`, (c) => c.notNull())
    .addColumn('authored_at', 'timestamptz', (c) => c.notNull())
    .addColumn('committed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('author', 'text')
    .addColumn('message', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('commits_repository_sha_key', ['repository', 'sha'])
    .execute();

  await db.schema
    .createTable('pull_requests')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('author', 'text')
    .addColumn('opened_at', 'timestamptz', (c) => c.notNull())
    .addColumn('first_review_at', 'timestamptz')
    .addColumn('merged_at', 'timestamptz')
    .addColumn('merge_commit_sha', 'text')
    .addColumn('commit_shas', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('url', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('pull_requests_repository_number_key', ['repository', 'number'])
    .execute();
  await db.schema.createIndex('pull_requests_merge_commit_idx').on('pull_requests').columns(['repository', 'merge_commit_sha']).execute();

  await db.schema
    .createTable('incidents')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('deployment_external_id', 'text')
    .addColumn('cause_commit_sha', 'text')
    .addColumn('resolved_by_deployment_external_id', 'text')
    .addColumn('root_cause_key', 'text')
    .addColumn('url', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('incidents_source_external_id_key', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('incidents_service_created_idx').on('incidents').columns(['service_id', 'created_at']).execute();
  await db.schema.createIndex('incidents_service_resolved_idx').on('incidents').columns(['service_id', 'resolved_at']).execute();

  // --- derived facts, computed at ingest in TypeScript (server/ingest/derive.ts)
  await db.schema
    .createTable('deployment_facts')
    .addColumn('deployment_id', 'integer', (c) => c.primaryKey().references('deployments.id').onDelete('cascade'))
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('previous_deployment_id', 'integer')
    .addColumn('shipped_basis', 'text', (c) => c.notNull())
    .addColumn('change_count', 'integer', (c) => c.notNull())
    .addColumn('is_failed', 'boolean', (c) => c.notNull())
    .addColumn('failure_reason', 'text')
    .addColumn('failure_incident_ids', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'::integer[]`))
    .addColumn('rolled_back_by_deployment_id', 'integer')
    .addColumn('recovered_at', 'timestamptz')
    .addColumn('is_rework', 'boolean', (c) => c.notNull())
    .addColumn('rework_reason', 'text')
    .addColumn('rework_incident_id', 'integer')
    .execute();
  await db.schema.createIndex('deployment_facts_service_finished_idx').on('deployment_facts').columns(['service_id', 'finished_at']).execute();
  await db.schema.createIndex('deployment_facts_service_recovered_idx').on('deployment_facts').columns(['service_id', 'recovered_at']).execute();

  await db.schema
    .createTable('deployment_changes')
    .addColumn('deployment_id', 'integer', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('authored_at', 'timestamptz', (c) => c.notNull())
    .addColumn('deployed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lead_time_seconds', 'float8', (c) => c.notNull())
    .addColumn('pull_request_number', 'integer')
    .addPrimaryKeyConstraint('deployment_changes_pk', ['service_id', 'repository', 'sha'])
    .execute();
  await db.schema.createIndex('deployment_changes_deployment_idx').on('deployment_changes').column('deployment_id').execute();
  await db.schema.createIndex('deployment_changes_service_deployed_idx').on('deployment_changes').columns(['service_id', 'deployed_at']).execute();

  // --- KPI engine
  await db.schema
    .createTable('kpi_values')
    .addColumn('kpi_key', 'text', (c) => c.notNull())
    .addColumn('scope_type', 'text', (c) => c.notNull())
    .addColumn('scope_id', 'text', (c) => c.notNull())
    .addColumn('period_type', 'text', (c) => c.notNull())
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addColumn('value', 'float8')
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('kpi_values_pk', ['kpi_key', 'scope_type', 'scope_id', 'period_type', 'period_start'])
    .execute();
  await db.schema.createIndex('kpi_values_scope_idx').on('kpi_values').columns(['scope_type', 'scope_id', 'period_type', 'period_start']).execute();

  // Cells touched by ingest since the last compute, at service grain; the engine expands
  // them to service, team and org scopes.
  await db.schema
    .createTable('dirty_periods')
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('period_type', 'text', (c) => c.notNull())
    .addColumn('period_start', 'date', (c) => c.notNull())
    .addPrimaryKeyConstraint('dirty_periods_pk', ['service_id', 'period_type', 'period_start'])
    .execute();

  await db.schema
    .createTable('job_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('job', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('cells_recomputed', 'integer')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('job_runs_job_started_idx').on('job_runs').columns(['job', 'started_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'job_runs', 'dirty_periods', 'kpi_values', 'deployment_changes', 'deployment_facts', 'incidents',
    'pull_requests', 'commits', 'deployments', 'org_settings', 'scope_members', 'service_repositories',
    'service_owners', 'services', 'team_parents', 'teams',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
