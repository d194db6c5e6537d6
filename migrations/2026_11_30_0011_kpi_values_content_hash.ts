// A recompute compares each cell it rolls up with its stored twin and writes only those that
// changed (server/kpi/stored-cells.ts). Comparing meant reading every stored cell's value and
// details back as text and hashing them: at a large organisation, 3 s of the server's time and
// 2.5 s of the engine's in a 20 s full recompute. The engine now stores the hash it compares
// with each cell it writes, and reads back only that. Cells written before have none (null):
// the next recompute sees them as changed and writes them once more, hash and all.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values add column content_hash bigint`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values drop column content_hash`.execute(db);
}
