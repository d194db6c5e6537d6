// Period arithmetic: ISO weeks, calendar months and quarters in the org's IANA time zone.
// Pure (no clock, no I/O) so KPI bucketing, partial-period marking and labels agree everywhere (KPIS.md "Scopes and periods").
import { DateTime, IANAZone } from 'luxon';
import type { PeriodType } from './keys.js';

/** One reporting period in a time zone. `end`/`endAt` are exclusive: [startAt, endAt). */
export interface Period {
  type: PeriodType;
  /** Local date (YYYY-MM-DD) of the period's first day. */
  start: string;
  /** Local date of the first day of the next period (exclusive). */
  end: string;
  /** Instant of local midnight at `start` (DST-aware). */
  startAt: Date;
  /** Instant of local midnight at `end` (DST-aware). */
  endAt: Date;
  /** '2026-W47' (ISO week-year), '2026-11' or '2026-Q4'. */
  label: string;
}

const MS_PER_HOUR = 3_600_000;
const LOCAL_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_LABEL_RE = /^(\d{4})-W(\d{2})$/;
const MONTH_LABEL_RE = /^(\d{4})-(\d{2})$/;
const QUARTER_LABEL_RE = /^(\d{4})-Q(\d)$/;

/** Zones found valid: luxon builds an Intl.DateTimeFormat per check, the bulk of a cold period lookup. */
const validZones = new Set<string>();

function assertZone(timeZone: string): void {
  if (validZones.has(timeZone)) return;
  if (!IANAZone.isValidZone(timeZone)) throw new RangeError(`Unknown IANA time zone: ${JSON.stringify(timeZone)}`);
  validZones.add(timeZone);
}

function assertInstant(instant: Date, name: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) throw new RangeError(`${name} is not a valid Date`);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Calendar arithmetic is done on dates in the 'utc' zone (no DST there), so a week is always
 * 7 calendar days; only the start/end instants are resolved in the real zone.
 */
function calendarDay(localDateText: string): DateTime {
  const m = LOCAL_DATE_RE.exec(localDateText);
  if (!m) throw new RangeError(`Bad local date ${JSON.stringify(localDateText)}: expected YYYY-MM-DD`);
  const day = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) }, { zone: 'utc' });
  if (!day.isValid) throw new RangeError(`Bad local date ${JSON.stringify(localDateText)}: ${day.invalidExplanation ?? 'no such day'}`);
  return day;
}

function year4(year: number): string {
  // Dates and labels are parsed with 4-digit years, so render them that way too.
  return String(year).padStart(4, '0');
}

function isoDate(day: DateTime): string {
  return `${year4(day.year)}-${pad2(day.month)}-${pad2(day.day)}`;
}

/**
 * Instant of local midnight of a calendar day. Where midnight does not exist (a DST gap at
 * 00:00, e.g. America/Sao_Paulo 2018-11-04) luxon moves forward to the first valid instant.
 */
function localMidnight(day: DateTime, timeZone: string): Date {
  return DateTime.fromObject({ year: day.year, month: day.month, day: day.day }, { zone: timeZone }).toJSDate();
}

/** The calendar step of `count` periods of `type`. */
function stepOf(type: PeriodType, count = 1): { weeks: number } | { months: number } {
  switch (type) {
    case 'week':
      return { weeks: count };
    case 'month':
      return { months: count };
    case 'quarter':
      return { months: 3 * count };
  }
}

function labelOf(type: PeriodType, first: DateTime): string {
  switch (type) {
    // ISO week-year, not the calendar year: 2024-12-30 is 2025-W01 (KPIS.md: periods are ISO weeks).
    case 'week':
      return `${year4(first.weekYear)}-W${pad2(first.weekNumber)}`;
    case 'month':
      return `${year4(first.year)}-${pad2(first.month)}`;
    case 'quarter':
      return `${year4(first.year)}-Q${first.quarter}`;
  }
}

/** Builds the period whose first calendar day is `first` (already aligned to the period start). */
function buildPeriod(type: PeriodType, first: DateTime, timeZone: string): Period {
  const next = first.plus(stepOf(type));
  return {
    type,
    start: isoDate(first),
    end: isoDate(next),
    startAt: localMidnight(first, timeZone),
    endAt: localMidnight(next, timeZone),
    label: labelOf(type, first),
  };
}

function firstDayOf(type: PeriodType, day: DateTime): DateTime {
  // luxon's startOf('week') is the ISO week (Monday) unless locale weeks are requested.
  return day.startOf(type);
}

// Building a period costs ~0.25 ms of luxon time-zone work, and the engine asks for the same
// few hundred periods once per stored cell (36k times at a tenth of a large organisation):
// they are memoized, frozen so no caller can change a shared one. Bounded: cleared when full.
const periodCache = new Map<string, Period>();
const PERIOD_CACHE_LIMIT = 20_000;

/** The period of `type` containing the local date `localDateText` (YYYY-MM-DD) in `timeZone`. Throws RangeError on a bad date or zone. */
export function periodOfLocalDate(type: PeriodType, localDateText: string, timeZone: string): Period {
  const key = `${type}|${localDateText}|${timeZone}`;
  const cached = periodCache.get(key);
  if (cached) return cached;
  assertZone(timeZone);
  const period = Object.freeze(buildPeriod(type, firstDayOf(type, calendarDay(localDateText)), timeZone));
  if (periodCache.size >= PERIOD_CACHE_LIMIT) periodCache.clear();
  periodCache.set(key, period);
  return period;
}

/** The period of `type` containing `instant`, as seen on the wall clock in `timeZone`. */
export function periodContaining(type: PeriodType, instant: Date, timeZone: string): Period {
  return periodOfLocalDate(type, localDate(instant, timeZone), timeZone);
}

/** The period `count` periods away from `period` (-1 = previous, +1 = next). `count` must be an integer. */
export function shiftPeriod(period: Period, count: number, timeZone: string): Period {
  if (!Number.isInteger(count)) throw new RangeError(`shiftPeriod count must be an integer, got ${count}`);
  assertZone(timeZone);
  const shifted = calendarDay(period.start).plus(stepOf(period.type, count));
  // Re-align in case `period` was hand-built with a start that is not a period boundary.
  return buildPeriod(period.type, firstDayOf(period.type, shifted), timeZone);
}

/** Every period of `type` that overlaps [from, to), oldest first; empty when to <= from. */
export function periodsOverlapping(type: PeriodType, from: Date, to: Date, timeZone: string): Period[] {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  const periods: Period[] = [];
  if (to.getTime() <= from.getTime()) return periods;
  for (let p = periodContaining(type, from, timeZone); p.startAt.getTime() < to.getTime(); p = shiftPeriod(p, 1, timeZone)) {
    periods.push(p);
  }
  return periods;
}

/** True while the period is unfinished at `now` (KPIS.md: the current period is shown and marked partial). */
export function isPartial(period: Period, now: Date): boolean {
  assertInstant(now, 'now');
  return now.getTime() < period.endAt.getTime();
}

/** Real elapsed hours from start to end: a week containing a DST change is 167 or 169 h. */
export function periodHours(period: Period): number {
  return (period.endAt.getTime() - period.startAt.getTime()) / MS_PER_HOUR;
}

/** Hours from the period's start to min(now, end); 0 before the period starts. */
export function elapsedHours(period: Period, now: Date): number {
  assertInstant(now, 'now');
  const until = Math.min(now.getTime(), period.endAt.getTime());
  return Math.max(0, (until - period.startAt.getTime()) / MS_PER_HOUR);
}

/** Inverse of `Period.label`: '2026-W47', '2026-11' or '2026-Q4'. Throws RangeError on anything else. */
export function parsePeriodLabel(label: string, timeZone: string): Period {
  assertZone(timeZone);
  let m = WEEK_LABEL_RE.exec(label);
  if (m) {
    const weekYear = Number(m[1]);
    const weekNumber = Number(m[2]);
    const monday = DateTime.fromObject({ weekYear, weekNumber, weekday: 1 }, { zone: 'utc' });
    if (!monday.isValid || weekNumber < 1 || weekNumber > monday.weeksInWeekYear) {
      throw new RangeError(`Bad period label ${JSON.stringify(label)}: ISO week-year ${weekYear} has no week ${weekNumber}`);
    }
    return buildPeriod('week', monday, timeZone);
  }
  m = MONTH_LABEL_RE.exec(label);
  if (m) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) throw new RangeError(`Bad period label ${JSON.stringify(label)}: month must be 01..12`);
    return buildPeriod('month', DateTime.fromObject({ year: Number(m[1]), month, day: 1 }, { zone: 'utc' }), timeZone);
  }
  m = QUARTER_LABEL_RE.exec(label);
  if (m) {
    const quarter = Number(m[2]);
    if (quarter < 1 || quarter > 4) throw new RangeError(`Bad period label ${JSON.stringify(label)}: quarter must be Q1..Q4`);
    return buildPeriod('quarter', DateTime.fromObject({ year: Number(m[1]), month: quarter * 3 - 2, day: 1 }, { zone: 'utc' }), timeZone);
  }
  throw new RangeError(`Bad period label ${JSON.stringify(label)}: expected YYYY-Www (ISO week), YYYY-MM or YYYY-Qn`);
}

/** The local calendar date (YYYY-MM-DD) of `instant` in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  assertInstant(instant, 'instant');
  assertZone(timeZone);
  return isoDate(DateTime.fromJSDate(instant, { zone: timeZone }));
}

const MS_PER_DAY = 86_400_000;

/** The local date (YYYY-MM-DD) this many days after 1970-01-01, as SQL's `date - date '1970-01-01'` numbers them. */
export function dateOfDayNumber(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The number of days from 1970-01-01 to a local date (YYYY-MM-DD): dateOfDayNumber's inverse. */
export function dayNumberOfDate(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / MS_PER_DAY;
}
