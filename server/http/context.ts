// What route plugins receive: passed in explicitly (STYLE.md), never decorated onto fastify.
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';

export interface AppDeps {
  config: Config;
  db: Db;
  clock: Clock;
}
