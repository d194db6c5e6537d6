// Incidents from the tools teams keep them in (issue #6): PagerDuty and Opsgenie, polled and
// pushed by signed webhooks, and the sync machinery every connector shares.
// - incidents gain what those tools say and the reliability KPIs read: paging urgency, the
//   tool's grouping key, when the status last changed (so a late webhook cannot undo a newer
//   status), a pull request named as the cause, whether a person set the cause through the
//   API, and a recurrence fingerprint; failed deployments keep why each incident links to them;
// - connector_cursors: each stream's high-water mark, written in the transaction of the batch it covers;
// - sync_runs: one row per `bellwether sync`, with counts, requests made and 304s;
// - webhook_deliveries: every accepted delivery once (a redelivery is recognised and changes
//   nothing), with the event it carried; an event about an incident not yet known waits here.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('incidents')
    .addColumn('urgency', 'text')
    .addColumn('dedup_key', 'text')
    .addColumn('status_changed_at', 'timestamptz')
    .addColumn('cause_pull_request', 'text')
    // 'api' when a person set the cause through the API: a later sync of the incident keeps it.
    .addColumn('cause_set_via', 'text')
    .execute();
  // Why each incident of a failed deployment is linked to it, in failure_incident_ids order:
  // deployment_id, commit, pull_request (prefixed api: when set through the API), or implicit.
  await sql`alter table deployment_facts add column failure_link_reasons text[] not null default '{}'::text[]`.execute(db);
  // Recurrence compares incidents by root cause: the root-cause key, else the tool's grouping
  // key, else the service and the title with numbers and spacing normalised (KPIS.md).
  await sql`alter table incidents add column fingerprint text not null generated always as (coalesce(
      'root:' || root_cause_key,
      'key:' || source || ':' || dedup_key,
      'title:' || service_id || ':' || btrim(regexp_replace(regexp_replace(lower(title), '[0-9]+', '#', 'g'), '\\s+', ' ', 'g'))
    )) stored`.execute(db);
  await db.schema.createIndex('incidents_fingerprint_created_idx').on('incidents').columns(['fingerprint', 'created_at']).execute();
  await db.schema.createIndex('incidents_created_idx').on('incidents').column('created_at').execute();

  await db.schema
    .createTable('connector_cursors')
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('stream', 'text', (c) => c.notNull())
    .addColumn('cursor', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('connector_cursors_pk', ['connector', 'stream'])
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('connector', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('streams', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('batches', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('records', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('inserted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    // Records the connector produced that failed validation: logged, left out, counted here.
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('not_modified', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('sync_runs_connector_started_idx').on('sync_runs').columns(['connector', 'started_at']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('event_type', 'text', (c) => c.notNull())
    // The incident's external id, when the delivery is about one.
    .addColumn('subject', 'text')
    .addColumn('status', 'text', (c) => c.notNull()) // applied | pending | ignored
    .addColumn('event', 'jsonb') // the normalized IncidentEvent (connectors/contract.ts)
    .addColumn('body', 'json', (c) => c.notNull()) // as delivered, for replay
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['source', 'delivery_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_pending_idx')
    .on('webhook_deliveries')
    .columns(['source', 'subject'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('sync_runs').execute();
  await db.schema.dropTable('connector_cursors').execute();
  await db.schema.dropIndex('incidents_created_idx').execute();
  await db.schema.dropIndex('incidents_fingerprint_created_idx').execute();
  await db.schema.alterTable('deployment_facts').dropColumn('failure_link_reasons').execute();
  await db.schema
    .alterTable('incidents')
    .dropColumn('fingerprint')
    .dropColumn('cause_set_via')
    .dropColumn('cause_pull_request')
    .dropColumn('status_changed_at')
    .dropColumn('dedup_key')
    .dropColumn('urgency')
    .execute();
}
