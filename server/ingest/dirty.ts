// Marks the (service, period) cells whose inputs changed, so `compute` recomputes only
// those (issue #3, Incremental). Buckets are computed in SQL in the org time zone, the
// same expression the KPI queries use.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Trx = Transaction<Database>;

export interface Anchor {
  serviceId: string;
  at: Date;
}

export async function markAnchorsDirty(trx: Trx, anchors: Anchor[], timeZone: string): Promise<void> {
  const unique = new Map<string, Anchor>();
  // By epoch milliseconds: a batch brings tens of thousands of anchors, mostly repeats (a change shares its deployment's).
  for (const anchor of anchors) unique.set(`${anchor.serviceId}|${anchor.at.getTime()}`, anchor);
  const list = [...unique.values()];
  for (let i = 0; i < list.length; i += 5000) {
    const chunk = list.slice(i, i + 5000);
    await sql`
      insert into dirty_periods (service_id, period_type, period_start)
      select distinct a.service_id, p.period_type, date_trunc(p.period_type, timezone(${timeZone}, a.at))::date
      from unnest(${chunk.map((a) => a.serviceId)}::text[], ${chunk.map((a) => a.at.toISOString())}::timestamptz[]) as a(service_id, at)
      cross join (values ('week'), ('month'), ('quarter')) as p(period_type)
      on conflict do nothing`.execute(trx);
  }
}
