// The services whose derived facts are stale, and from when. Ingest queues them in its own
// transaction (cheap: no derivation there); the compute job takes the queue and re-derives
// (rederive.ts) before it rolls up, so facts, explain lists and KPI values move together.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Trx = Transaction<Database>;

/**
 * A service to re-derive from `from` on: every production deployment finishing at or after it,
 * and the one before it (a deployment's facts depend on the next one). `null`: the whole history.
 */
export interface DerivationMark {
  serviceId: string;
  from: Date | null;
}

/** One mark per service: the earliest start wins, and the whole history wins over any time. */
export function foldMarks(marks: Iterable<DerivationMark>): DerivationMark[] {
  const earliest = new Map<string, Date | null>();
  for (const { serviceId, from } of marks) {
    const known = earliest.get(serviceId);
    if (known === undefined) earliest.set(serviceId, from);
    else if (known !== null && (from === null || from < known)) earliest.set(serviceId, from);
  }
  return [...earliest].map(([serviceId, from]) => ({ serviceId, from }));
}

export async function queueDerivations(trx: Trx, marks: Iterable<DerivationMark>): Promise<void> {
  const folded = foldMarks(marks);
  if (!folded.length) return;
  // A service missing from `services` has no rule: it is left alone.
  await sql`
    insert into derivation_queue (service_id, from_at)
    select m.service_id, coalesce(m.from_at, '-infinity')
    from unnest(${folded.map((m) => m.serviceId)}::text[], ${folded.map((m) => m.from?.toISOString() ?? null)}::timestamptz[]) as m(service_id, from_at)
    where exists (select 1 from services s where s.id = m.service_id)
    on conflict (service_id) do update set from_at = least(derivation_queue.from_at, excluded.from_at)`.execute(trx);
}

/** Empties the queue and returns what it held; the caller re-derives in the same transaction. */
export async function takeQueuedDerivations(trx: Trx): Promise<DerivationMark[]> {
  const { rows } = await sql<{ service_id: string; from_at: Date | null }>`
    delete from derivation_queue returning service_id, case when from_at = '-infinity' then null else from_at end as from_at`.execute(trx);
  return rows
    .map((row) => ({ serviceId: row.service_id, from: row.from_at }))
    .sort((a, b) => (a.serviceId < b.serviceId ? -1 : a.serviceId > b.serviceId ? 1 : 0));
}
