// deployment_changes and deployment_facts are written only by the derivation (server/derive),
// from the deployments it reads in the same transaction, and deployments are never deleted
// (the demo's removal deletes the derived rows first): their foreign keys checked what the
// derivation guarantees, with a trigger query per row written. The changes' deployment_id
// index served one lookup, the deployment explain list's shipped commits, which now finds
// them through (service_id, deployed_at) as every other reader does. At a large organisation
// an incremental week writes 10k changes; a first compute writes 1M.
// The derivation also reads the incidents that name a deployment (as its cause or its fix) by
// those names, which no index served: every chunk of services scanned every incident.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deployment_changes').dropConstraint('deployment_changes_deployment_id_fkey').execute();
  await db.schema.alterTable('deployment_facts').dropConstraint('deployment_facts_deployment_id_fkey').execute();
  await db.schema.dropIndex('deployment_changes_deployment_idx').execute();
  for (const column of ['deployment_external_id', 'resolved_by_deployment_external_id']) {
    await db.schema.createIndex(`incidents_${column}_idx`).on('incidents').column(column).where(sql.ref(column), 'is not', null).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const column of ['deployment_external_id', 'resolved_by_deployment_external_id']) await db.schema.dropIndex(`incidents_${column}_idx`).execute();
  await db.schema.createIndex('deployment_changes_deployment_idx').on('deployment_changes').column('deployment_id').execute();
  await db.schema.alterTable('deployment_facts')
    .addForeignKeyConstraint('deployment_facts_deployment_id_fkey', ['deployment_id'], 'deployments', ['id'], (c) => c.onDelete('cascade')).execute();
  await db.schema.alterTable('deployment_changes')
    .addForeignKeyConstraint('deployment_changes_deployment_id_fkey', ['deployment_id'], 'deployments', ['id'], (c) => c.onDelete('cascade')).execute();
}
