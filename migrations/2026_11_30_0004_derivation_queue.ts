// Derivation moves out of the ingest transaction into the compute job (issue #7): ingest
// queues each service whose inputs changed with the earliest time a change can reach, and
// compute re-derives only from there (server/derive/). What that needs:
// - derivation_queue: per service, where its re-derivation starts ('-infinity': its whole history);
// - commit_missing_parents: parents named by a stored commit but not stored themselves, so a
//   late-arriving parent (which can extend walks already made) sends its services back to a full derivation;
// - commit_time_inversions: repositories where a commit is older than one of its parents; a
//   windowed derivation reads commits from a time on, which is only exact when times rise along parent edges;
// - the indexes the queueing and the windowed reads look things up by.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('derivation_queue')
    .addColumn('service_id', 'text', (c) => c.primaryKey().references('services.id').onDelete('cascade'))
    .addColumn('from_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('commit_missing_parents')
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('sha', 'text', (c) => c.notNull())
    // The earliest commit time among the commits naming it: when it arrives, later than that is a time inversion.
    .addColumn('earliest_child_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('commit_missing_parents_pk', ['repository', 'sha'])
    .execute();
  await db.schema.createTable('commit_time_inversions').addColumn('repository', 'text', (c) => c.primaryKey()).execute();
  await db.schema.createIndex('commits_repository_committed_idx').on('commits').columns(['repository', 'committed_at']).execute();
  await db.schema.createIndex('deployments_commit_sha_idx').on('deployments').column('commit_sha').execute();
  // Facts whose changes came from a pull request's list or the deployed commit alone (no graph walk): few, looked up when a commit arrives.
  await db.schema
    .createIndex('deployment_facts_not_graph_idx')
    .on('deployment_facts')
    .column('deployment_id')
    .where(sql.ref('shipped_basis'), '<>', 'graph')
    .execute();
  // Which merged pull requests list a commit: a windowed derivation credits the commits it ships.
  // Without fastupdate: a pending list (flushed only by vacuum) made each lookup read all of it,
  // 12 ms instead of 0.1 ms after a bulk load.
  await sql`create index pull_requests_commit_shas_idx on pull_requests using gin (commit_shas) with (fastupdate = off)`.execute(db);
  // Every service already derived in full at ingest: nothing is pending.
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('pull_requests_commit_shas_idx').execute();
  await db.schema.dropIndex('deployment_facts_not_graph_idx').execute();
  await db.schema.dropIndex('deployments_commit_sha_idx').execute();
  await db.schema.dropIndex('commits_repository_committed_idx').execute();
  await db.schema.dropTable('commit_time_inversions').execute();
  await db.schema.dropTable('commit_missing_parents').execute();
  await db.schema.dropTable('derivation_queue').execute();
}
