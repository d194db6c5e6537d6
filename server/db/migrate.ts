// Runs the Kysely migrations in migrations/ (at start and from `bellwether migrate`).
// Kysely's Postgres adapter holds an advisory lock while migrating, so replicas can race safely.
import { Migrator, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './database.js';

export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return results ?? [];
}
