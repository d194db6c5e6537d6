// Where a stream's first sync starts, the same rule for every connector.
export const DEFAULT_BACKFILL_YEARS = 2;

/** A `since` from bellwether.yaml: a bare date is midnight UTC (a connector knows no org time zone). */
export function parseSince(since: string | undefined): Date | undefined {
  if (!since) return undefined;
  return new Date(/^\d{4}-\d\d-\d\d$/.test(since) ? `${since}T00:00:00Z` : since);
}

/** `--since`, else the section's `since`, else two years before now. */
export function firstSyncStart(configured: string | undefined, now: Date, since?: Date): Date {
  const start = since ?? parseSince(configured);
  if (start) return start;
  const twoYearsAgo = new Date(now);
  twoYearsAgo.setUTCFullYear(twoYearsAgo.getUTCFullYear() - DEFAULT_BACKFILL_YEARS);
  return twoYearsAgo;
}
