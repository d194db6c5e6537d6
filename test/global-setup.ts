// With a Postgres server (DATABASE_URL), migrate one template database per run; each
// test file then clones it (CREATE DATABASE … TEMPLATE), as graphile-worker and immich do.
// Without one, each file migrates its own in-memory PGlite (see test/db.ts).
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../server/db/database.js';
import { migrateToLatest } from '../server/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    project.provide('templateDatabaseUrl', null);
    return;
  }
  const name = `bellwether_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const templateUrl = withDatabase(url, name);
  const handle = await openDatabase({ databaseUrl: templateUrl, poolSize: 1 });
  await migrateToLatest(handle.db);
  await handle.close();
  project.provide('templateDatabaseUrl', templateUrl);
  return async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
