// Test helper: the connectors' shared test SyncContext, and a sleep that records what it was
// asked to wait instead of waiting.
import type { Sleep } from '../client.js';

export { testContext, type TestContext } from '../../testing/context.js';

/** A Sleep that returns at once; `waits` holds the milliseconds asked for. */
export function recordingSleep(): Sleep & { waits: number[] } {
  const waits: number[] = [];
  const sleep = async (ms: number, signal: AbortSignal) => {
    signal.throwIfAborted();
    waits.push(ms);
  };
  return Object.assign(sleep, { waits });
}
