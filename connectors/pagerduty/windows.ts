// Time windows for PagerDuty's list endpoints, which take a created_at range of at most six
// months and page by offset only up to 10,000 items. Windows are half-open, [start, end), so
// adjacent windows share a boundary but no instant. Pure arithmetic; no I/O.

export interface TimeWindow {
  start: Date;
  end: Date;
}

const SECOND_MS = 1_000;
export const DAY_MS = 86_400_000;
/** Under six months (at least 181 days) even after padding, so PagerDuty never refuses the range. */
export const MAX_WINDOW_MS = 179 * DAY_MS;
/** The smallest window worth splitting: split points fall on whole seconds. */
const MIN_SPLIT_MS = 2 * SECOND_MS;

/** Consecutive windows of at most `maxMs` that cover [start, end) exactly. */
export function chunkWindow(range: TimeWindow, maxMs = MAX_WINDOW_MS): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let start = range.start.getTime(); start < range.end.getTime(); start += maxMs) {
    windows.push({ start: new Date(start), end: new Date(Math.min(start + maxMs, range.end.getTime())) });
  }
  return windows;
}

/**
 * `window` cut into about `parts` consecutive windows at whole seconds, covering it exactly;
 * the window itself when it is too short to cut.
 */
export function splitWindow(window: TimeWindow, parts: number): TimeWindow[] {
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (end - start < MIN_SPLIT_MS || parts < 2) return [window];
  const cuts = new Set<number>();
  for (let i = 1; i < parts; i++) {
    const cut = Math.round((start + ((end - start) * i) / parts) / SECOND_MS) * SECOND_MS;
    if (cut > start && cut < end) cuts.add(cut);
  }
  if (!cuts.size) return [window];
  const bounds = [start, ...[...cuts].sort((a, b) => a - b), end];
  return bounds.slice(1).map((cut, i) => ({ start: new Date(bounds[i]!), end: new Date(cut) }));
}

export const canSplit = (window: TimeWindow) => splitWindow(window, 2).length > 1;

/**
 * The `since`/`until` to ask for: the window widened to whole seconds plus one second each
 * side. PagerDuty does not document whether its bounds are inclusive, nor whether it keeps
 * sub-second precision; asking a little wider and keeping only what `contains` accepts makes
 * both questions moot, and each incident falls in exactly one window.
 */
export function requestBounds(window: TimeWindow): { since: string; until: string } {
  const since = Math.floor(window.start.getTime() / SECOND_MS) * SECOND_MS - SECOND_MS;
  const until = Math.ceil(window.end.getTime() / SECOND_MS) * SECOND_MS + SECOND_MS;
  return { since: isoSeconds(since), until: isoSeconds(until) };
}

export function contains(window: TimeWindow, at: string): boolean {
  const ms = Date.parse(at);
  return ms >= window.start.getTime() && ms < window.end.getTime();
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
