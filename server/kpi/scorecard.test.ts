// The scorecard's pure parts: consecutive periods (memoized, equal to shiftPeriod) and the
// clock key a response cache keys on, which must change whenever `now` changes an entry.
import { describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../config.js';
import type { PeriodType } from './keys.js';
import { periodOfLocalDate, shiftPeriod } from './periods.js';
import { KPIS } from './registry.js';
import { buildScorecard, buildSeries, cellsFingerprint, clockKey, periodsEndingWith, type Scope } from './scorecard.js';

const BERLIN = 'Europe/Berlin';

describe('periodsEndingWith', () => {
  it.each([
    ['week', '2026-11-18'],
    ['week', '2021-01-03'], // ISO week-year 2020-W53
    ['month', '2026-03-29'], // DST change
    ['quarter', '2026-11-18'],
  ] as [PeriodType, string][])('%s periods ending with %s are shiftPeriod(last, -k)', (type, date) => {
    const last = periodOfLocalDate(type, date, BERLIN);
    const periods = periodsEndingWith(last, 60, BERLIN);
    expect(periods).toHaveLength(60);
    periods.forEach((period, i) => expect(period).toEqual(shiftPeriod(last, i - 59, BERLIN)));
    // Memoized: the same answer again.
    expect(periodsEndingWith(last, 60, BERLIN)).toEqual(periods);
  });
});

describe('clockKey', () => {
  // cart moves from team "payments" (target 10 %) to "checkout" (20 %) during week 2026-W47.
  const org = parseOrgConfig(`
organisation: { name: Acme, time_zone: ${BERLIN} }
teams:
  - { id: payments, name: Payments }
  - { id: checkout, name: Checkout }
services:
  - id: cart
    owners: [{ team: payments }, { team: checkout, from: 2026-11-18 }]
    repositories: [acme/cart]
targets:
  teams: { payments: { change_failure_rate: 10 }, checkout: { change_failure_rate: 20 } }
`);
  const scope: Scope = { type: 'service', id: 'cart' };
  const week = periodOfLocalDate('week', '2026-11-16', BERLIN); // Berlin: 2026-11-15T23:00Z to 2026-11-22T23:00Z
  const nows = [
    '2026-11-10T12:00:00Z', // before the week
    '2026-11-16T08:00:00Z', '2026-11-17T22:59:59.999Z', // open, payments owns cart
    '2026-11-17T23:00:00Z', '2026-11-20T12:00:00Z', '2026-11-22T22:59:59.999Z', // open, checkout owns cart
    '2026-11-22T23:00:00Z', '2026-12-24T00:00:00Z', // closed
  ].map((t) => new Date(t));

  /** For every pair of instants: equal keys give equal answers, and different answers different keys. */
  function expectKeyDecides(answer: (now: Date) => unknown, key: (now: Date) => string): Set<string> {
    const byKey = new Map<string, string>();
    const answers = new Set<string>();
    for (const now of nows) {
      const json = JSON.stringify(answer(now));
      answers.add(json);
      const k = key(now);
      if (byKey.has(k)) expect(json, `now=${now.toISOString()}`).toBe(byKey.get(k));
      byKey.set(k, json);
    }
    expect(byKey.size).toBe(answers.size);
    return answers;
  }

  it('tells scorecards apart exactly when the clock changes them', () => {
    const data = { period: week, periods: periodsEndingWith(week, 3, BERLIN).reverse(), cells: new Map() };
    const answers = expectKeyDecides((now) => buildScorecard(org, scope, data, now), (now) => clockKey(org, KPIS, scope, [week], now));
    // partial (payments' target), partial (checkout's), closed (checkout's at the week's end).
    expect(answers.size).toBe(3);
  });

  it('tells series apart exactly when the clock changes them', () => {
    const periods = periodsEndingWith(periodOfLocalDate('week', '2026-11-30', BERLIN), 6, BERLIN);
    const data = { periods, shown: periods.slice(2), cells: new Map() };
    const answers = expectKeyDecides((now) => buildSeries(org, KPIS, scope, data, now), (now) => clockKey(org, KPIS, scope, data.shown, now));
    expect(answers.size).toBeGreaterThan(3);
  });
});

describe('cellsFingerprint', () => {
  const cell = { value: 1.5, n: 3, details: { p50: 1.5, by_reason: { a: 1 } }, computed_at: new Date('2026-11-23T00:00:00Z') };
  it('does not depend on the order the cells were read in', () => {
    const other = { ...cell, value: 2 };
    expect(cellsFingerprint(new Map([['a', cell], ['b', other]]))).toBe(cellsFingerprint(new Map([['b', other], ['a', cell]])));
  });
  it.each([
    ['value', { value: 1.5000000000000002 }],
    ['value null', { value: null }],
    ['value -0', { value: -0 }],
    ['n', { n: 4 }],
    ['details', { details: { p50: 1.5, by_reason: { a: 2 } } }],
    ['computed_at', { computed_at: new Date('2026-11-23T00:00:00.001Z') }],
  ])('changes with %s', (_field, change) => {
    expect(cellsFingerprint(new Map([['a', { ...cell, ...change }]]))).not.toBe(cellsFingerprint(new Map([['a', cell]])));
    if ('value' in change && change.value === -0) {
      expect(cellsFingerprint(new Map([['a', { ...cell, value: -0 }]]))).not.toBe(cellsFingerprint(new Map([['a', { ...cell, value: 0 }]])));
    }
  });
});
