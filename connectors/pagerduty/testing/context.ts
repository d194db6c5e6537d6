// Test helper: a SyncContext with counters, a logger that keeps what it is told, and a sleep
// that records what it was asked to wait instead of waiting.
import type { SyncContext } from '../../contract.js';
import type { Sleep } from '../client.js';

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

/** A Sleep that returns at once; `waits` holds the milliseconds asked for. */
export function recordingSleep(): Sleep & { waits: number[] } {
  const waits: number[] = [];
  const sleep = async (ms: number, signal: AbortSignal) => {
    signal.throwIfAborted();
    waits.push(ms);
  };
  return Object.assign(sleep, { waits });
}
