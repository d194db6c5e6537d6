// Table-driven tests for period arithmetic: ISO week-years, DST weeks, zone-shifted month and
// quarter boundaries, shifting across years, overlap listing and label round-trips.
import { describe, it, expect } from 'vitest';
import type { PeriodType } from './keys.js';
import {
  dateOfDayNumber,
  dayNumberOfDate,
  elapsedHours,
  isPartial,
  localDate,
  parsePeriodLabel,
  periodContaining,
  periodHours,
  periodOfLocalDate,
  periodsOverlapping,
  shiftPeriod,
} from './periods.js';

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const LOS_ANGELES = 'America/Los_Angeles';
const TOKYO = 'Asia/Tokyo';

describe('periodOfLocalDate: ISO week-year edges', () => {
  it.each([
    // [local date, label, start, end]
    ['2026-12-31', '2026-W53', '2026-12-28', '2027-01-04'],
    ['2027-01-01', '2026-W53', '2026-12-28', '2027-01-04'],
    ['2027-01-03', '2026-W53', '2026-12-28', '2027-01-04'],
    ['2027-01-04', '2027-W01', '2027-01-04', '2027-01-11'],
    ['2024-12-30', '2025-W01', '2024-12-30', '2025-01-06'],
    ['2024-12-29', '2024-W52', '2024-12-23', '2024-12-30'],
    ['2021-01-03', '2020-W53', '2020-12-28', '2021-01-04'],
    ['2026-01-01', '2026-W01', '2025-12-29', '2026-01-05'],
    ['2026-11-18', '2026-W47', '2026-11-16', '2026-11-23'],
  ])('%s is in %s', (date, label, start, end) => {
    const p = periodOfLocalDate('week', date, 'UTC');
    expect(p).toMatchObject({ type: 'week', label, start, end });
    expect(p.startAt.toISOString()).toBe(`${start}T00:00:00.000Z`);
    expect(p.endAt.toISOString()).toBe(`${end}T00:00:00.000Z`);
  });
});

describe('periodOfLocalDate: months and quarters', () => {
  it.each<[PeriodType, string, string, string, string]>([
    ['month', '2026-02-15', '2026-02', '2026-02-01', '2026-03-01'],
    ['month', '2024-02-29', '2024-02', '2024-02-01', '2024-03-01'],
    ['month', '2026-12-31', '2026-12', '2026-12-01', '2027-01-01'],
    ['quarter', '2026-01-01', '2026-Q1', '2026-01-01', '2026-04-01'],
    ['quarter', '2026-06-30', '2026-Q2', '2026-04-01', '2026-07-01'],
    ['quarter', '2026-08-10', '2026-Q3', '2026-07-01', '2026-10-01'],
    ['quarter', '2026-12-31', '2026-Q4', '2026-10-01', '2027-01-01'],
  ])('%s of %s is %s', (type, date, label, start, end) => {
    expect(periodOfLocalDate(type, date, 'UTC')).toMatchObject({ type, label, start, end });
  });

  it.each(['2026-02-30', '2026-13-01', '2026-00-10', '26-01-01', '2026-1-1', '2026-01-01T00:00', ''])(
    'throws RangeError on bad date %j',
    (bad) => {
      expect(() => periodOfLocalDate('week', bad, 'UTC')).toThrow(RangeError);
    },
  );

  it('throws RangeError on an unknown time zone', () => {
    expect(() => periodOfLocalDate('week', '2026-01-01', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('DST weeks', () => {
  it.each([
    // [zone, a date in the week, label, startAt, endAt, hours]
    [BERLIN, '2026-03-29', '2026-W13', '2026-03-22T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 167],
    [BERLIN, '2026-10-25', '2026-W43', '2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 169],
    [BERLIN, '2026-06-10', '2026-W24', '2026-06-07T22:00:00.000Z', '2026-06-14T22:00:00.000Z', 168],
    [NEW_YORK, '2026-03-08', '2026-W10', '2026-03-02T05:00:00.000Z', '2026-03-09T04:00:00.000Z', 167],
    [NEW_YORK, '2026-11-01', '2026-W44', '2026-10-26T04:00:00.000Z', '2026-11-02T05:00:00.000Z', 169],
    [NEW_YORK, '2026-01-14', '2026-W03', '2026-01-12T05:00:00.000Z', '2026-01-19T05:00:00.000Z', 168],
  ])('%s week of %s is %s with %d hours', (zone, date, label, startAt, endAt, hours) => {
    const p = periodOfLocalDate('week', date, zone);
    expect(p.label).toBe(label);
    expect(p.startAt.toISOString()).toBe(startAt);
    expect(p.endAt.toISOString()).toBe(endAt);
    expect(periodHours(p)).toBe(hours);
  });

  it.each([
    // [zone, instant, expected label, expected local date]
    // 00:30 local on the Monday just after spring-forward belongs to the new week.
    [BERLIN, '2026-03-29T22:30:00Z', '2026-W14', '2026-03-30'],
    // 23:30 local on the Sunday of spring-forward is still the DST week.
    [BERLIN, '2026-03-29T21:30:00Z', '2026-W13', '2026-03-29'],
    // 00:30 local on the Monday just after fall-back.
    [BERLIN, '2026-10-25T23:30:00Z', '2026-W44', '2026-10-26'],
    [BERLIN, '2026-10-25T22:30:00Z', '2026-W43', '2026-10-25'],
    [NEW_YORK, '2026-03-09T04:30:00Z', '2026-W11', '2026-03-09'],
    [NEW_YORK, '2026-03-09T03:30:00Z', '2026-W10', '2026-03-08'],
    [NEW_YORK, '2026-11-02T05:30:00Z', '2026-W45', '2026-11-02'],
    [NEW_YORK, '2026-11-02T04:30:00Z', '2026-W44', '2026-11-01'],
  ])('%s: %s is in %s (local %s)', (zone, iso, label, date) => {
    const instant = new Date(iso);
    expect(localDate(instant, zone)).toBe(date);
    expect(periodContaining('week', instant, zone).label).toBe(label);
  });

  it('month and quarter hours follow DST too', () => {
    expect(periodHours(periodOfLocalDate('month', '2026-03-10', BERLIN))).toBe(31 * 24 - 1);
    expect(periodHours(periodOfLocalDate('month', '2026-10-10', BERLIN))).toBe(31 * 24 + 1);
    expect(periodHours(periodOfLocalDate('month', '2026-03-10', 'UTC'))).toBe(31 * 24);
    expect(periodHours(periodOfLocalDate('quarter', '2026-02-10', NEW_YORK))).toBe(90 * 24 - 1);
    expect(periodHours(periodOfLocalDate('quarter', '2026-11-10', NEW_YORK))).toBe(92 * 24 + 1);
  });

  it('a zone whose midnight is skipped starts the period at the first valid instant', () => {
    // America/Sao_Paulo jumped from 00:00 to 01:00 on 2018-11-04 (a Sunday); the ISO week starting
    // Monday 2018-11-05 is unaffected, but the day itself starts at 01:00 -02:00 = 03:00Z.
    const p = periodOfLocalDate('week', '2018-11-01', 'America/Sao_Paulo');
    expect(p.start).toBe('2018-10-29');
    expect(periodHours(p)).toBe(167);
  });
});

describe('month and quarter boundaries in zones ahead of and behind UTC', () => {
  it.each<[PeriodType, string, string, string]>([
    // 2026-03-31T23:30Z is 01:30 on April 1 in Berlin (UTC+2) but still March in UTC.
    ['month', '2026-03-31T23:30:00Z', BERLIN, '2026-04'],
    ['month', '2026-03-31T23:30:00Z', 'UTC', '2026-03'],
    ['quarter', '2026-03-31T23:30:00Z', BERLIN, '2026-Q2'],
    ['quarter', '2026-03-31T23:30:00Z', 'UTC', '2026-Q1'],
    ['month', '2026-03-31T15:30:00Z', TOKYO, '2026-04'],
    // 2026-04-01T05:00Z is 22:00 on March 31 in Los Angeles (UTC-7).
    ['month', '2026-04-01T05:00:00Z', LOS_ANGELES, '2026-03'],
    ['quarter', '2026-04-01T05:00:00Z', LOS_ANGELES, '2026-Q1'],
    ['month', '2026-04-01T07:00:00Z', LOS_ANGELES, '2026-04'],
    // New Year: already 2027 in Tokyo, still 2026 in New York.
    ['quarter', '2026-12-31T20:00:00Z', TOKYO, '2027-Q1'],
    ['quarter', '2027-01-01T03:00:00Z', NEW_YORK, '2026-Q4'],
    ['week', '2027-01-04T03:00:00Z', NEW_YORK, '2026-W53'],
    ['week', '2027-01-03T20:00:00Z', TOKYO, '2027-W01'],
  ])('%s containing %s in %s is %s', (type, iso, zone, label) => {
    const p = periodContaining(type, new Date(iso), zone);
    expect(p.label).toBe(label);
    expect(p.startAt.getTime()).toBeLessThanOrEqual(new Date(iso).getTime());
    expect(p.endAt.getTime()).toBeGreaterThan(new Date(iso).getTime());
  });

  it('resolves April in Berlin to the right instants', () => {
    const p = periodContaining('month', new Date('2026-03-31T23:30:00Z'), BERLIN);
    expect(p.startAt.toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect(p.endAt.toISOString()).toBe('2026-04-30T22:00:00.000Z');
    expect(p.start).toBe('2026-04-01');
    expect(p.end).toBe('2026-05-01');
  });
});

describe('shiftPeriod', () => {
  it.each<[PeriodType, string, number, string, string]>([
    ['week', '2026-W53', 1, '2027-W01', '2027-01-04'],
    ['week', '2027-W01', -1, '2026-W53', '2026-12-28'],
    ['week', '2025-W01', -1, '2024-W52', '2024-12-23'],
    ['week', '2026-W01', 52, '2026-W53', '2026-12-28'],
    ['week', '2026-W10', 0, '2026-W10', '2026-03-02'],
    ['month', '2026-12', 1, '2027-01', '2027-01-01'],
    ['month', '2026-01', -1, '2025-12', '2025-12-01'],
    ['month', '2026-01', -13, '2024-12', '2024-12-01'],
    ['month', '2026-01', 25, '2028-02', '2028-02-01'],
    ['quarter', '2026-Q4', 1, '2027-Q1', '2027-01-01'],
    ['quarter', '2026-Q1', -1, '2025-Q4', '2025-10-01'],
    ['quarter', '2026-Q2', -9, '2024-Q1', '2024-01-01'],
  ])('%s %s shifted by %d is %s', (type, label, count, expected, start) => {
    const p = parsePeriodLabel(label, BERLIN);
    expect(p.type).toBe(type);
    const shifted = shiftPeriod(p, count, BERLIN);
    expect(shifted.label).toBe(expected);
    expect(shifted.start).toBe(start);
    expect(shifted).toEqual(parsePeriodLabel(expected, BERLIN));
  });

  it('previous period ends where the current one starts, across DST', () => {
    const current = periodOfLocalDate('week', '2026-03-30', BERLIN);
    const previous = shiftPeriod(current, -1, BERLIN);
    expect(previous.endAt).toEqual(current.startAt);
    expect(previous.end).toBe(current.start);
    expect(periodHours(previous)).toBe(167);
  });

  it('rejects a non-integer count', () => {
    expect(() => shiftPeriod(periodOfLocalDate('week', '2026-03-30', BERLIN), 0.5, BERLIN)).toThrow(RangeError);
  });
});

describe('periodsOverlapping', () => {
  it.each<[PeriodType, string, string, string, string[]]>([
    ['week', '2026-12-30T00:00:00Z', '2027-01-12T00:00:00Z', 'UTC', ['2026-W53', '2027-W01', '2027-W02']],
    // `to` exactly on a period start is exclusive: W02 is not included.
    ['week', '2026-12-28T00:00:00Z', '2027-01-11T00:00:00Z', 'UTC', ['2026-W53', '2027-W01']],
    ['week', '2026-12-28T00:00:00Z', '2027-01-11T00:00:00.001Z', 'UTC', ['2026-W53', '2027-W01', '2027-W02']],
    ['month', '2026-11-15T00:00:00Z', '2027-02-01T00:00:00Z', 'UTC', ['2026-11', '2026-12', '2027-01']],
    // In Berlin, 2026-03-31T23:30Z is already April, so the span only touches April and May.
    ['month', '2026-03-31T23:30:00Z', '2026-05-02T00:00:00Z', BERLIN, ['2026-04', '2026-05']],
    ['month', '2026-03-31T23:30:00Z', '2026-05-02T00:00:00Z', 'UTC', ['2026-03', '2026-04', '2026-05']],
    ['quarter', '2025-12-31T23:00:00Z', '2026-12-31T23:00:00Z', BERLIN, ['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']],
    ['quarter', '2026-05-01T00:00:00Z', '2026-05-01T00:00:01Z', 'UTC', ['2026-Q2']],
    ['week', '2026-03-23T00:00:00Z', '2026-03-23T00:00:00Z', 'UTC', []],
    ['week', '2026-03-24T00:00:00Z', '2026-03-23T00:00:00Z', 'UTC', []],
  ])('%s over [%s, %s) in %s', (type, from, to, zone, labels) => {
    const periods = periodsOverlapping(type, new Date(from), new Date(to), zone);
    expect(periods.map((p) => p.label)).toEqual(labels);
    for (let i = 1; i < periods.length; i++) expect(periods[i]!.startAt).toEqual(periods[i - 1]!.endAt);
  });
});

describe('isPartial and elapsedHours', () => {
  const week = periodOfLocalDate('week', '2026-03-25', BERLIN); // 2026-W13, 167 h
  it.each([
    // [now, partial, elapsed hours]
    ['2026-03-22T00:00:00Z', true, 0], // before the period starts
    ['2026-03-22T23:00:00Z', true, 0], // exactly at start
    ['2026-03-23T05:00:00Z', true, 6],
    ['2026-03-29T21:59:00Z', true, 167 - 1 / 60],
    ['2026-03-29T22:00:00Z', false, 167], // exactly at end (exclusive)
    ['2026-06-01T00:00:00Z', false, 167],
  ])('now = %s: partial %s, elapsed %d h', (iso, partial, hours) => {
    expect(isPartial(week, new Date(iso))).toBe(partial);
    expect(elapsedHours(week, new Date(iso))).toBeCloseTo(hours, 9);
  });
});

describe('parsePeriodLabel', () => {
  it.each<[string, PeriodType, string, string]>([
    ['2026-W47', 'week', '2026-11-16', '2026-11-23'],
    ['2026-W53', 'week', '2026-12-28', '2027-01-04'],
    ['2025-W01', 'week', '2024-12-30', '2025-01-06'],
    ['2026-11', 'month', '2026-11-01', '2026-12-01'],
    ['2026-Q4', 'quarter', '2026-10-01', '2027-01-01'],
    ['2027-Q1', 'quarter', '2027-01-01', '2027-04-01'],
  ])('%s -> %s %s..%s', (label, type, start, end) => {
    const p = parsePeriodLabel(label, NEW_YORK);
    expect(p).toMatchObject({ type, start, end, label });
  });

  it.each(['2027-W53', '2026-W00', '2026-W54', '2026-13', '2026-00', '2026-Q0', '2026-Q5', '2026-w47', '2026-W7', 'W47', '2026', 'nonsense', ''])(
    'throws RangeError on %j',
    (bad) => {
      expect(() => parsePeriodLabel(bad, 'UTC')).toThrow(RangeError);
    },
  );

  it('round-trips every label over several years in several zones', () => {
    const mismatches: string[] = [];
    for (const zone of ['UTC', BERLIN, NEW_YORK, TOKYO]) {
      for (const type of ['week', 'month', 'quarter'] as const) {
        let p = periodOfLocalDate(type, '2023-12-15', zone);
        for (let i = 0; i < 120; i++, p = shiftPeriod(p, 1, zone)) {
          const parsed = parsePeriodLabel(p.label, zone);
          const same =
            parsed.type === p.type &&
            parsed.start === p.start &&
            parsed.end === p.end &&
            parsed.startAt.getTime() === p.startAt.getTime() &&
            parsed.endAt.getTime() === p.endAt.getTime() &&
            parsed.label === p.label;
          if (!same) mismatches.push(`${zone} ${p.label}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('localDate', () => {
  it.each([
    ['2026-03-31T23:30:00Z', BERLIN, '2026-04-01'],
    ['2026-03-31T23:30:00Z', 'UTC', '2026-03-31'],
    ['2026-04-01T05:00:00Z', LOS_ANGELES, '2026-03-31'],
    ['2026-12-31T15:00:00Z', TOKYO, '2027-01-01'],
  ])('%s in %s is %s', (iso, zone, date) => {
    expect(localDate(new Date(iso), zone)).toBe(date);
  });

  it('rejects an invalid Date', () => {
    expect(() => localDate(new Date('nope'), 'UTC')).toThrow(RangeError);
  });
});

describe('day numbers', () => {
  it('number local dates as SQL\'s date - date \'1970-01-01\' does, and back', () => {
    expect(dayNumberOfDate('1970-01-01')).toBe(0);
    expect(dayNumberOfDate('1969-12-31')).toBe(-1);
    expect(dayNumberOfDate('2026-11-16')).toBe(20773);
    for (const day of [-1, 0, 20773, 20876, 65535]) expect(dayNumberOfDate(dateOfDayNumber(day))).toBe(day);
    expect(dateOfDayNumber(20773)).toBe('2026-11-16');
  });
});
