// Schema snapshot: what the migrations build, in stable order (graphile's schema.sql idea).
// A change to the schema shows up in review as a diff of test/schema.snapshot.txt.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../db.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.close());

it('matches the committed schema snapshot', async () => {
  const { rows: columns } = await sql<{ line: string }>`
    select table_name || '.' || column_name || ' ' || data_type || case when is_nullable = 'NO' then ' not null' else '' end as line
    from information_schema.columns
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name, ordinal_position`.execute(database.db);
  const { rows: indexes } = await sql<{ line: string }>`
    select tablename || ': ' || regexp_replace(indexdef, ' USING btree', '') as line
    from pg_indexes where schemaname = 'public' and tablename not like 'kysely_%'
    order by tablename, indexname`.execute(database.db);
  const text = [...columns.map((r) => r.line), '', ...indexes.map((r) => r.line), ''].join('\n');
  await expect(text).toMatchFileSnapshot('../schema.snapshot.txt');
});
