// kpi_values kept two btrees over the same five columns: the primary key led by kpi_key and
// a scope index for the readers. Every computed cell paid for both (a third of a full
// recompute's write time at a large organisation). One primary key led by the scope serves
// every reader (a scope and period range, all KPIs or some) and the engine's deletes alike.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('kpi_values_scope_idx').execute();
  await db.schema.alterTable('kpi_values').dropConstraint('kpi_values_pk').execute();
  await db.schema.alterTable('kpi_values').addPrimaryKeyConstraint('kpi_values_pk', ['scope_type', 'scope_id', 'period_type', 'period_start', 'kpi_key']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('kpi_values').dropConstraint('kpi_values_pk').execute();
  await db.schema.alterTable('kpi_values').addPrimaryKeyConstraint('kpi_values_pk', ['kpi_key', 'scope_type', 'scope_id', 'period_type', 'period_start']).execute();
  await db.schema.createIndex('kpi_values_scope_idx').on('kpi_values').columns(['scope_type', 'scope_id', 'period_type', 'period_start']).execute();
}
