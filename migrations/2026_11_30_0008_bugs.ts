// Bugs (any issue tracker: GitHub issues with configured labels, or the push API): the raw
// records escaped defects is computed from. Upserted by (source, external_id) like every raw
// table; the KPI reads the production-found bugs of a service by creation time.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bugs')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('repository', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('closed_at', 'timestamptz')
    .addColumn('found_in_production', 'boolean', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('labels', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('ingested_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('bugs_source_external_id_key', ['source', 'external_id'])
    .execute();
  // Escaped defects reads only production-found bugs, per service and creation time (as
  // incidents_service_created_idx serves the incident KPIs).
  await db.schema
    .createIndex('bugs_service_created_escaped_idx')
    .on('bugs')
    .columns(['service_id', 'created_at'])
    .where(sql.ref('found_in_production'), '=', true)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bugs').execute();
}
