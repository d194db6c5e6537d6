// Monthly report snapshots (issue #4): once a month is over its report is stored as sent, so
// later recomputations cannot silently change it; a re-issue is a new version with a reason.
// Frozen once released.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('report_snapshots')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'timestamptz', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addUniqueConstraint('report_snapshots_month_version_key', ['month', 'version'])
    .addCheckConstraint('report_snapshots_version_check', sql`version >= 1`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_snapshots').ifExists().execute();
}
