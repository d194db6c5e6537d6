// A stream's cursor (one per repository × kind; opaque JSON to the runner). Pure.
//
// - `high_water`: the newest time completed runs have read (updated_at of pull requests and
//   issues, committer date of commits, created_at of the rest). The next run reads back to
//   `high_water − overlap_days`, so late changes near the mark are read again; upserts are
//   idempotent, so re-reading costs requests, never duplicates.
// - `run`: a run stopped between batches, and where it resumes: the next page of its listing
//   (newest first), or for workflow runs the created_at windows still to read. A batch's cursor
//   becomes valid with its records, so a resumed run fetches no page a stopped one has stored.
// - `etags`: the ETag of each conditional request, by request. Only requests whose URL stays
//   the same from run to run are kept (the first page of each newest-first list, which never
//   carries the range), so an unchanged repository answers 304, which is not charged.
// - `open`: items that can still change outside the re-read range (a deployment without a
//   final status, a workflow run not completed): re-checked one by one, conditionally, with
//   the ETag of their last check.
// - `seen`: how many items the stream has read. A listing that used to have items and now
//   returns none is refused (a lost permission or a wrong repository, not a deletion).
// - `tags`: the tags stream's tags already read, name → object sha.
// - `listing`: an organisation's repositories, page by page with each page's ETag: every page
//   is asked conditionally, so an unchanged organisation costs only 304s.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

const Instant = Type.String({ format: 'date-time' });

export const CreatedWindow = Type.Object({
  start: Instant,
  /** Exclusive; null: open-ended (runs created during the sync land here too). */
  end: Type.Union([Instant, Type.Null()]),
});
export type CreatedWindow = Static<typeof CreatedWindow>;

const RunState = Type.Object({
  since: Instant,
  high_water: Type.Union([Instant, Type.Null()]),
  /** The next page of the listing (of `windows[0]` for workflow runs). */
  page: Type.Integer({ minimum: 1 }),
  /** Workflow runs: the windows still to read, the one being read first. */
  windows: Type.Optional(Type.Array(CreatedWindow)),
  /** Items read so far by this run. */
  read: Type.Integer({ minimum: 0 }),
});
export type RunState = Static<typeof RunState>;

const OpenItem = Type.Object({
  id: Type.Integer(),
  created_at: Instant,
  /** ETag of its last re-check, to ask again conditionally. */
  etag: Type.Union([Type.String(), Type.Null()]),
});
export type OpenItem = Static<typeof OpenItem>;

const ListingPage = Type.Object({
  etag: Type.Union([Type.String(), Type.Null()]),
  repositories: Type.Array(Type.Object({ full_name: Type.String(), archived: Type.Boolean(), fork: Type.Boolean() })),
});
export type ListingPage = Static<typeof ListingPage>;

export const GitHubCursor = Type.Object({
  version: Type.Literal(1),
  high_water: Type.Union([Instant, Type.Null()]),
  seen: Type.Integer({ minimum: 0 }),
  run: Type.Union([RunState, Type.Null()]),
  etags: Type.Record(Type.String(), Type.String()),
  open: Type.Array(OpenItem),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  listing: Type.Optional(Type.Array(ListingPage)),
});
export type GitHubCursor = Static<typeof GitHubCursor>;

export const emptyCursor = (): GitHubCursor => ({ version: 1, high_water: null, seen: 0, run: null, etags: {}, open: [] });

export function parseCursor(value: unknown, stream: string): GitHubCursor {
  if (value === undefined || value === null) return emptyCursor();
  if (!Value.Check(GitHubCursor, value)) {
    // Starting over silently would re-read two years; the operator decides instead.
    throw new Error(`the stored github cursor of ${stream} is not one this connector wrote: ${JSON.stringify(value).slice(0, 300)}`);
  }
  return value;
}

/** The later of two instants (null is older than anything). */
export function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** Where a new run starts: the high-water mark less the overlap, or the backfill start. */
export function runStart(cursor: GitHubCursor, backfillStart: Date, overlapMs: number): Date {
  return cursor.high_water === null ? backfillStart : new Date(Date.parse(cursor.high_water) - overlapMs);
}

/** The request key an ETag is kept under: the path and its query in a stable order. */
export function requestKey(path: string, query: Record<string, string | number | undefined>): string {
  const params = Object.entries(query)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  return params.length ? `${path}?${params.join('&')}` : path;
}
