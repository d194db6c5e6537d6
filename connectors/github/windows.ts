// created_at windows for listing workflow runs (index.ts says how a window holding more than
// GitHub's 1,000-result cap is cut). Windows are half-open, [start, end), on whole seconds (run
// timestamps are whole seconds), and the query asks for `start..end−1s`, GitHub's range being
// inclusive at both ends: adjacent windows share no run. Pure arithmetic; no I/O.
import type { CreatedWindow } from './cursor.js';

const SECOND_MS = 1_000;

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const floorSecond = (ms: number) => Math.floor(ms / SECOND_MS) * SECOND_MS;

/** The open-ended window from `start` (rounded down to its second). */
export const windowFrom = (start: Date): CreatedWindow => ({ start: new Date(floorSecond(start.getTime())).toISOString(), end: null });

/** The `created` query parameter of a window. */
export function createdQuery(window: CreatedWindow): string {
  const start = isoSeconds(Date.parse(window.start));
  return window.end === null ? `>=${start}` : `${start}..${isoSeconds(Date.parse(window.end) - SECOND_MS)}`;
}

export function contains(window: CreatedWindow, at: string): boolean {
  const ms = Date.parse(at);
  return ms >= Date.parse(window.start) && (window.end === null || ms < Date.parse(window.end));
}
