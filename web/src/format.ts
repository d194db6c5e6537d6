// Every number, unit, date and status word the dashboard shows is formatted here, so the
// scorecard, team page, drill-down and report print a value the same way (and e2e tests can
// reproduce the text from API numbers with formatValue). No data is "—", never 0 (KPIS.md).
// Values are written by the one formatter the server's report narrative also uses.
import { formatNumber as number, formatParts, formatRelativeChange, formatValue, NO_DATA } from '../../server/kpi/format.js';
import type { Direction, KpiEntry, PeriodView, Status } from './api-types.js';

export { formatParts, formatValue, NO_DATA };

/**
 * A signed change: "+3.3 h", "−2.1 pts" (percentage points for % KPIs). `compact` writes
 * deploys/day as "/day" where space is tight (cards); `scaleOf` is the value the change
 * belongs to, so "98 min" is followed by "−210 min" rather than "−3.5 h".
 */
export function formatDelta(delta: number | null, unit: string, { compact = false, scaleOf }: { compact?: boolean; scaleOf?: number | null } = {}): string {
  if (delta === null || !Number.isFinite(delta)) return NO_DATA;
  // A change under an hour stays in minutes even beside a value shown in hours.
  const scale = unit === 'minutes' && Math.abs(delta) < 60 ? Math.abs(delta) : (scaleOf ?? Math.abs(delta));
  const parts = formatParts(Math.abs(delta), unit, scale);
  const sign = parts.number === '0' ? '±' : delta > 0 ? '+' : '−';
  if (compact && unit === 'deploys/day') return `${sign}${parts.number}/day`;
  const suffix = unit === '%' ? 'pts' : parts.unit;
  return `${sign}${parts.number}${suffix ? ` ${suffix}` : ''}`;
}

/** A signed relative change: "+38 %", "−5.3 %"; empty when there is none. */
export function formatPercentChange(deltaPct: number | null): string {
  if (deltaPct === null || !Number.isFinite(deltaPct)) return '';
  return `${deltaPct > 0 ? '+' : deltaPct < 0 ? '−' : '±'}${formatRelativeChange(deltaPct)}`;
}

/** "≤ 72 h" or "≥ 1 deploys/day": green means meeting it (server/kpi/rules/status.ts). */
export function formatTarget(target: number, unit: string, direction: Direction): string {
  return `${direction === 'lower_is_better' ? '≤' : '≥'} ${formatValue(target, unit)}`;
}

export function formatCount(n: number): string {
  return number(n, 0);
}

/** Colour is never the only signal: each status has a word (and an icon beside it). */
export function statusWord(status: Status, confidence?: KpiEntry['confidence']): string {
  switch (status) {
    case 'green':
      return 'On target';
    case 'amber':
      return 'At risk';
    case 'red':
      return 'Off target';
    case 'grey':
      return confidence === 'low' ? 'Low confidence' : 'No data';
  }
}

/** Grey is an empty circle ("not rated"), not a dash that could read as a minus sign. */
export function statusIcon(status: Status): 'check' | 'alert' | 'cross' | 'circle' {
  return status === 'green' ? 'check' : status === 'amber' ? 'alert' : status === 'red' ? 'cross' : 'circle';
}

/** Axis ticks: the chart's own unit without rescaling, so ticks stay round numbers. */
export function formatAxisTick(value: number, unit: string): string {
  const text = number(value, Math.abs(value) < 10 && value % 1 !== 0 ? 1 : 0);
  switch (unit) {
    case 'hours':
      return `${text} h`;
    case 'minutes':
      return `${text} min`;
    case '%':
      return `${text} %`;
    case 'deploys/day':
      return `${number(value, Math.abs(value) < 1 ? 2 : 1)}/day`;
    default:
      return text;
  }
}

const BAND_NAMES: Record<string, string> = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };

/** "High · DORA 2023" (DORA_BANDS.md: the band is always shown with its table year). */
export function formatBand(band: KpiEntry['band'], year: number | null): string {
  if (year === null) return 'No DORA band';
  if (band === null) return `No band · DORA ${year}`;
  return `${BAND_NAMES[band] ?? band} · DORA ${year}`;
}

export function trendWord(direction: 'improving' | 'worsening' | 'flat' | null): string {
  return direction === null ? 'no comparison' : direction === 'flat' ? 'unchanged' : direction;
}

// ---- dates ---------------------------------------------------------------------------

/** A local calendar date (YYYY-MM-DD) as a UTC midnight, so arithmetic ignores DST. */
function parseDate(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function addDays(date: string, days: number): string {
  const d = parseDate(date);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const dayMonth = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' });
const monthYear = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'long', year: 'numeric' });
const shortMonthYear = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', year: 'numeric' });
const shortMonth = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short' });

/** "Nov 16 – 22, 2026" for the days [start, end). */
function dayRange(start: string, endExclusive: string): string {
  const last = addDays(endExclusive, -1);
  const sameMonth = start.slice(0, 7) === last.slice(0, 7);
  const lastText = sameMonth ? String(Number(last.slice(8))) : dayMonth.format(parseDate(last));
  return `${dayMonth.format(parseDate(start))} – ${lastText}, ${last.slice(0, 4)}`;
}

/** Long period name for headers: "Week 47 · Nov 16 – 22, 2026", "November 2026", "Q4 2026 (Oct – Dec)". */
export function formatPeriod(period: PeriodView): string {
  switch (period.type) {
    case 'week':
      return `Week ${Number(period.label.split('W')[1] ?? '')} · ${dayRange(period.start, period.end)}`;
    case 'month':
      return monthYear.format(parseDate(period.start));
    case 'quarter':
      return `${period.label.replace(/^(\d{4})-(Q\d)$/, '$2 $1')} (${shortMonth.format(parseDate(period.start))} – ${shortMonth.format(parseDate(addDays(period.end, -1)))})`;
  }
}

/** Short period name for axes and comparisons: "W47", "Nov 2026", "Q4 2026". */
export function formatPeriodShort(period: Pick<PeriodView, 'type' | 'label' | 'start'>): string {
  switch (period.type) {
    case 'week':
      return `W${Number(period.label.split('W')[1] ?? '')}`;
    case 'month':
      return shortMonthYear.format(parseDate(period.start));
    case 'quarter':
      return period.label.replace(/^(\d{4})-(Q\d)$/, '$2 $1');
  }
}

/** "2026-10" → "October 2026". */
export function formatMonth(month: string): string {
  return monthYear.format(parseDate(`${month}-01`));
}

export function formatMonthShort(month: string): string {
  return shortMonthYear.format(parseDate(`${month}-01`));
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
/** An instant in the organisation's time zone: "Nov 20, 14:29". */
export function formatDateTime(iso: string | null | undefined, timeZone: string, withYear = false): string {
  if (!iso) return NO_DATA;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const cacheKey = `${timeZone}|${withYear}`;
  let format = dateTimeFormats.get(cacheKey);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
      ...(withYear ? { year: 'numeric' } : {}),
    });
    dateTimeFormats.set(cacheKey, format);
  }
  return format.format(date);
}

export function shortSha(sha: unknown): string {
  return typeof sha === 'string' ? sha.slice(0, 7) : NO_DATA;
}
