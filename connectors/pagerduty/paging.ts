// Reading PagerDuty lists completely. Its classic pagination refuses offset + limit above
// 10,000 and its time-ranged lists refuse ranges over six months, so a range is read in
// windows: at most six months each, and a window holding more than a page run can reach is
// split before it is paged, recursively. Nothing beyond the cap is ever dropped in silence:
// a window that cannot be split further and still holds too much is an error.
import type { SyncContext } from '../contract.js';
import { SourceError, type PagerDutyClient, type Query } from './client.js';
import type { ListPage } from './payloads.js';
import { canSplit, chunkWindow, contains, requestBounds, splitWindow, type TimeWindow } from './windows.js';

export const PAGE_SIZE = 100;
/** PagerDuty answers 400 when offset + limit exceeds this. */
export const OFFSET_LIMIT = 10_000;

/** A time-ranged list endpoint: `GET /incidents`, `GET /log_entries`. */
export interface RangedList<T> {
  path: string;
  /** The array in the response: `incidents`, `log_entries`. */
  key: string;
  query: Query;
  /** The time the endpoint's since/until filter on. */
  createdAt(item: T): string;
}

interface Page<T> {
  items: T[];
  total: number | null;
  more: boolean;
}

async function fetchPage<T>(client: PagerDutyClient, path: string, key: string, query: Query, ctx: SyncContext): Promise<Page<T>> {
  const body = await client.get<Partial<ListPage> & Record<string, unknown>>(path, query, ctx);
  const items = body[key];
  if (!Array.isArray(items)) throw new SourceError(`GET ${path}: the response has no "${key}" list`, `GET ${path}`, 200);
  return { items: items as T[], total: typeof body.total === 'number' ? body.total : null, more: body.more === true && items.length > 0 };
}

/** Every item of a list without a time range (an incident's log, the open incidents), as far as offset paging reaches. */
export async function listAll<T>(client: PagerDutyClient, path: string, key: string, query: Query, ctx: SyncContext): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    if (offset + PAGE_SIZE > OFFSET_LIMIT) return { items, complete: false };
    const page = await fetchPage<T>(client, path, key, { ...query, limit: PAGE_SIZE, offset }, ctx);
    items.push(...page.items);
    if (!page.more) return { items, complete: true };
  }
}

/** How many items a ranged list holds in `window` (one request for a single item); null if PagerDuty does not say. */
export async function countInWindow<T>(client: PagerDutyClient, list: RangedList<T>, window: TimeWindow, ctx: SyncContext): Promise<number | null> {
  const page = await fetchPage<T>(client, list.path, list.key, { ...list.query, ...requestBounds(window), limit: 1, offset: 0, total: true }, ctx);
  return page.total;
}

/**
 * The items created in [range.start, range.end), one window at a time, in time order. Each
 * window holds at most `maxPerWindow` items (and never more than paging reaches), unless it is
 * too short to split. Windows are disjoint and cover the range exactly.
 */
export async function* listInWindows<T>(
  client: PagerDutyClient,
  list: RangedList<T>,
  range: TimeWindow,
  maxPerWindow: number,
  ctx: SyncContext,
): AsyncGenerator<{ window: TimeWindow; items: T[] }> {
  const cap = Math.min(maxPerWindow, OFFSET_LIMIT);
  for (const window of chunkWindow(range)) yield* listWindow(client, list, window, cap, ctx);
}

async function* listWindow<T>(client: PagerDutyClient, list: RangedList<T>, window: TimeWindow, cap: number, ctx: SyncContext): AsyncGenerator<{ window: TimeWindow; items: T[] }> {
  const query = { ...list.query, ...requestBounds(window), limit: PAGE_SIZE, total: true };
  const first = await fetchPage<T>(client, list.path, list.key, { ...query, offset: 0 }, ctx);
  // The first page doubles as the count: split by the count, assuming an even spread, and let
  // each part check itself again.
  if (first.total !== null && first.total > cap && canSplit(window)) {
    for (const part of splitWindow(window, Math.ceil(first.total / cap))) yield* listWindow(client, list, part, cap, ctx);
    return;
  }
  const tooMany = () => {
    const request = `GET ${list.path}?since=${query.since}&until=${query.until}`;
    return new SourceError(`${request}: more than ${OFFSET_LIMIT} ${list.key} in a window too short to split, more than offset paging can reach; refusing to drop the rest`, request, null);
  };
  if (first.total !== null && first.total > OFFSET_LIMIT) throw tooMany();
  const items = [...first.items];
  let more = first.more;
  for (let offset = PAGE_SIZE; more; offset += PAGE_SIZE) {
    // Reached only when PagerDuty gave no total, or the window grew while it was paged.
    if (offset + PAGE_SIZE > OFFSET_LIMIT) throw tooMany();
    const page = await fetchPage<T>(client, list.path, list.key, { ...query, offset }, ctx);
    items.push(...page.items);
    more = page.more;
  }
  yield { window, items: items.filter((item) => contains(window, list.createdAt(item))) };
}
