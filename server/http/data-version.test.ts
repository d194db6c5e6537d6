// The data version: read by one query for every caller that asked while the previous query
// was out, and never by a query sent before the caller asked.
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/schema.js';
import { dataVersionReader } from './data-version.js';

/** A database whose snapshot queries answer only when the test says so. */
function fakeDatabase() {
  const pending: ((snapshot: string) => void)[] = [];
  const connection: DatabaseConnection = {
    executeQuery: <R>() => new Promise<QueryResult<R>>((resolve) => pending.push((snapshot) => resolve({ rows: [{ snapshot } as R] }))),
    async *streamQuery() {
      throw new Error('not used');
    },
  };
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  const settle = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { db, pending, settle };
}

describe('dataVersionReader', () => {
  it('batches callers behind the query in flight, in order', async () => {
    const { db, pending, settle } = fakeDatabase();
    const read = dataVersionReader(db);
    const first = read();
    await settle();
    expect(pending).toHaveLength(1);
    // Asked while the first query is out: they wait for a second one, sent after it.
    const [second, third] = [read(), read()];
    await settle();
    expect(pending).toHaveLength(1);
    pending.shift()!('1:5:');
    expect(await first).toEqual({ snapshot: '1:5:', sequence: 1 });
    await settle();
    expect(pending).toHaveLength(1);
    pending.shift()!('1:6:');
    expect(await second).toEqual({ snapshot: '1:6:', sequence: 2 });
    expect(await third).toBe(await second);
    // Nothing out: the next caller's query goes at once.
    const fourth = read();
    await settle();
    pending.shift()!('1:6:');
    expect(await fourth).toEqual({ snapshot: '1:6:', sequence: 3 });
  });
});
