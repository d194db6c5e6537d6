// CI runs (issue #5: GitHub Actions workflow runs; any CI through the push API): the raw
// records build health is computed from. One row per run attempt, upserted by (source,
// external_id) like every raw table.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ci_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('branch', 'text')
    .addColumn('event', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .addColumn('url', 'text')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('ci_runs_source_external_id_key', ['source', 'external_id'])
    .execute();
  await db.schema.createIndex('ci_runs_repository_finished_idx').on('ci_runs').columns(['repository', 'finished_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ci_runs').execute();
}
