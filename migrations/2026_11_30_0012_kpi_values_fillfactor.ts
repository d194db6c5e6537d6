// Every compute rewrites the cells of the open periods (each scope's week, month and quarter
// to date). On full pages each rewritten row moved to another page and took a new entry in
// kpi_values' index; with room left on each page, Postgres rewrites the row in place (a HOT
// update) and the index is left alone. Upserting 5,000 cells of a large organisation took 122 ms
// rather than 195 ms. Applies to pages written from now on (a new install's every page).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values set (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table kpi_values reset (fillfactor)`.execute(db);
}
