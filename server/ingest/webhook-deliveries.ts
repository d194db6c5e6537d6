// Stores a verified webhook delivery once and applies what it carries (an incident event to
// merge, or whole records to ingest), in one transaction: a redelivery (same delivery id) is
// recognised and changes nothing, and a failure leaves neither the delivery nor its effect
// behind, so the sender's retry applies it.
import { sql } from 'kysely';
import type { IncidentEvent, NormalizedRecord, StreamKey } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { FieldProblem } from '../lib/errors.js';
import { applyIncidentEvents } from './incident-events.js';
import { catalogOf, ingestInTransaction } from './ingest.js';
import { validateRecords } from './validate.js';

/** What a source's translator made of a delivery (connectors/<source>/). */
export interface TranslatedDelivery {
  deliveryId: string;
  eventType: string;
  /** The incident it is about, if any. */
  subject: string | null;
  /** An incident change to merge (incident tools); null when there is none. */
  event: IncidentEvent | null;
  /** Whole records to ingest as a poll would (GitHub: a completed run, a final deployment status). */
  records?: NormalizedRecord[];
  /** Streams whose poll reads what the delivery reports only in part (GitHub: a pull request's commits). */
  refresh?: StreamKey[];
  /** Why there is no event, when there is none. */
  reason?: string;
}

export type DeliveryStatus = 'applied' | 'pending' | 'ignored' | 'duplicate';

export interface DeliveryOutcome {
  status: DeliveryStatus;
  reason?: string;
  problems?: FieldProblem[];
}

export async function receiveDelivery(db: Db, org: OrgConfig, source: string, delivery: TranslatedDelivery, body: string): Promise<DeliveryOutcome> {
  return db.transaction().execute(async (trx) => {
    // Claimed first: a concurrent redelivery waits on this row's key and then finds it taken.
    const { rows: claimed } = await sql<{ delivery_id: string }>`
      insert into webhook_deliveries (source, delivery_id, event_type, subject, status, event, body)
      values (${source}, ${delivery.deliveryId}, ${delivery.eventType}, ${delivery.subject}, 'ignored',
        ${delivery.event ? JSON.stringify(delivery.event) : null}::jsonb, ${body}::json)
      on conflict do nothing returning delivery_id`.execute(trx);
    if (!claimed.length) return { status: 'duplicate' };
    if (delivery.records?.length) return ingestWhole(trx, org, source, delivery);
    if (!delivery.event) return { status: 'ignored', ...(delivery.reason ? { reason: delivery.reason } : {}) };

    const { outcomes: [outcome], problems } = await applyIncidentEvents(trx, org, [delivery.event]);
    const status = outcome === 'invalid' ? 'ignored' : outcome!;
    await sql`update webhook_deliveries set status = ${status} where source = ${source} and delivery_id = ${delivery.deliveryId}`.execute(trx);
    if (outcome === 'invalid') return { status, reason: 'the incident it would make is invalid', problems };
    if (outcome === 'pending') return { status, reason: 'the incident is not known yet and the event lacks its creation time; it is applied when the incident arrives' };
    return { status };
  });
}

/** Records validated like pushed ones: a bad one leaves the delivery recorded as ignored, with why. */
async function ingestWhole(trx: Parameters<typeof ingestInTransaction>[0], org: OrgConfig, source: string, delivery: TranslatedDelivery): Promise<DeliveryOutcome> {
  const records = delivery.records!;
  const { records: valid, problems } = validateRecords(records.map((r) => ({ kind: r.kind, value: r.record })), catalogOf(org), (index) => ({ index }));
  if (valid.length) await ingestInTransaction(trx, org, valid);
  const status = valid.length ? 'applied' : 'ignored';
  await sql`update webhook_deliveries set status = ${status} where source = ${source} and delivery_id = ${delivery.deliveryId}`.execute(trx);
  return { status, ...(problems.length ? { reason: `${records.length - valid.length} of ${records.length} record(s) invalid`, problems } : {}) };
}
