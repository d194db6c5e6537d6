// Test helper for every connector: a SyncContext with counters and a logger that keeps what it is told.
import type { SyncContext } from '../contract.js';

export interface TestContext extends SyncContext {
  logged: { level: 'info' | 'warn' | 'error'; obj: object; msg?: string }[];
}

export function testContext(now: Date, options: { since?: Date; signal?: AbortSignal } = {}): TestContext {
  const logged: TestContext['logged'] = [];
  return {
    now,
    signal: options.signal ?? new AbortController().signal,
    metrics: { requests: 0, notModified: 0 },
    log: {
      info: (obj, msg) => logged.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => logged.push({ level: 'warn', obj, msg }),
      error: (obj, msg) => logged.push({ level: 'error', obj, msg }),
    },
    logged,
    ...(options.since ? { since: options.since } : {}),
  };
}
