// Stores a verified webhook delivery once and applies the incident event it carries, in one
// transaction: a redelivery (same delivery id) is recognised and changes nothing, and a
// failure leaves neither the delivery nor its effect behind, so the sender's retry applies it.
import { sql } from 'kysely';
import type { IncidentEvent } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { FieldProblem } from '../lib/errors.js';
import { applyIncidentEvents } from './incident-events.js';

/** What a source's translator made of a delivery (connectors/<source>/). */
export interface TranslatedDelivery {
  deliveryId: string;
  eventType: string;
  /** The incident it is about, if any. */
  subject: string | null;
  /** Null when there is nothing to apply (an event kind Bellwether does not use). */
  event: IncidentEvent | null;
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
    if (!delivery.event) return { status: 'ignored', ...(delivery.reason ? { reason: delivery.reason } : {}) };

    const { outcomes: [outcome], problems } = await applyIncidentEvents(trx, org, [delivery.event]);
    const status = outcome === 'invalid' ? 'ignored' : outcome!;
    await sql`update webhook_deliveries set status = ${status} where source = ${source} and delivery_id = ${delivery.deliveryId}`.execute(trx);
    if (outcome === 'invalid') return { status, reason: 'the incident it would make is invalid', problems };
    if (outcome === 'pending') return { status, reason: 'the incident is not known yet and the event lacks its creation time; it is applied when the incident arrives' };
    return { status };
  });
}
