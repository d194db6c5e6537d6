// org_settings: small JSON values the service keeps about itself (time zone and derivation
// hash last synced, the demo flag, a pending full recompute). One reader and one writer.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Executor = Kysely<Database> | Transaction<Database>;

export async function readSettings(db: Executor): Promise<Map<string, unknown>> {
  const rows = await db.selectFrom('org_settings').select(['key', 'value']).execute();
  return new Map(rows.map((row) => [row.key, row.value as unknown]));
}

export async function readSetting(db: Executor, key: string): Promise<unknown> {
  const row = await db.selectFrom('org_settings').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeSetting(db: Executor, key: string, value: unknown): Promise<void> {
  await db.insertInto('org_settings').values({ key, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: sql`now()` }))
    .execute();
}

export async function deleteSetting(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('org_settings').where('key', '=', key).execute();
}

/** Whether the database holds the demo organisation's seeded data. */
export async function isDemo(db: Executor): Promise<boolean> {
  return (await readSetting(db, 'demo')) === true;
}
