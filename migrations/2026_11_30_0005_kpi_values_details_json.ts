// A recompute writes only the cells whose content changed (server/kpi/stored-cells.ts), which
// means comparing each computed cell with its stored twin. As json, `details` is kept as the
// engine wrote it, so the comparison is of the very text the engine would write again; jsonb
// re-formats it. Nothing queries inside `details`, and json costs a write no parse into jsonb.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values alter column details type json using details::json`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values alter column details type jsonb using details::jsonb`.execute(db);
}
