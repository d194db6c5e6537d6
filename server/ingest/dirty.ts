// Marks the (service, period) cells whose inputs changed, so `compute` recomputes only
// those (issue #3, Incremental). Buckets are computed in SQL in the org time zone, the
// same expression the KPI queries use. Also finds the anchors a write reaches beyond its own
// records: the later incidents whose recurrence it can change.
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

/**
 * The creation anchors of the incidents whose recurrence (server/kpi/queries/reliability.ts)
 * an incident version can change: those of its fingerprint created at or after it and at most
 * `windowDays` × 24 h later (at the same instant too: a tie is broken by id).
 */
export async function laterRecurrenceAnchors(trx: Trx, versions: { fingerprint: string; created_at: Date }[], windowDays: number): Promise<Anchor[]> {
  const unique = new Map<string, { fingerprint: string; at: string }>();
  for (const v of versions) unique.set(`${v.fingerprint}\u0000${v.created_at.getTime()}`, { fingerprint: v.fingerprint, at: v.created_at.toISOString() });
  const list = [...unique.values()];
  const anchors: Anchor[] = [];
  for (let i = 0; i < list.length; i += 5000) {
    const chunk = list.slice(i, i + 5000);
    const { rows } = await sql<{ service_id: string; created_at: Date }>`
      select distinct l.service_id, l.created_at
      from unnest(${chunk.map((v) => v.fingerprint)}::text[], ${chunk.map((v) => v.at)}::timestamptz[]) as v(fingerprint, created_at)
      join incidents l on l.fingerprint = v.fingerprint and l.created_at >= v.created_at
        and l.created_at <= v.created_at + make_interval(hours => 24 * ${windowDays}::int)`.execute(trx);
    for (const row of rows) anchors.push({ serviceId: row.service_id, at: new Date(row.created_at) });
  }
  return anchors;
}
