// A server-side failure answers 500 with a generic body: no message, stack or SQL leaks.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { parseEnv, parseOrgConfig } from '../../server/config.js';
import { openDatabase, type DatabaseHandle } from '../../server/db/database.js';
import { fixedClock } from '../../server/lib/clock.js';

let handle: DatabaseHandle;
let app: Awaited<ReturnType<typeof buildApp>>;
beforeAll(async () => {
  // A database nobody listens on: every query fails inside the request.
  handle = await openDatabase({ databaseUrl: 'postgres://bellwether:secret@127.0.0.1:1/nowhere', poolSize: 1 });
  const config = { env: parseEnv({}), org: parseOrgConfig('teams: [{ id: eng }]\nservices: [{ id: api, owner: eng }]\n'), orgSource: 'file' as const };
  app = await buildApp({ config, db: handle.db, clock: fixedClock(new Date('2026-11-20T12:00:00Z')) });
});
afterAll(async () => {
  await app?.close();
  await handle?.close();
});

it('hides internals of a 5xx and reports not ready', async () => {
  const res = await app.inject({ url: '/api/v1/scorecard' });
  expect(res.statusCode).toBe(500);
  expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
  expect(res.body).not.toContain('ECONNREFUSED');
  expect((await app.inject({ url: '/readyz' })).statusCode).toBe(503);
  expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
});
