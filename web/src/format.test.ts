// Table-driven checks of the dashboard's one formatting module (STYLE.md, Testing): the text
// every view prints for a value, and that no data never reads as 0.
import { describe, expect, it } from 'vitest';
import { addDays, formatBand, formatDelta, formatPeriod, formatPeriodShort, formatTarget, formatValue, statusWord } from './format.js';

describe('formatValue', () => {
  it.each([
    [null, 'hours', '—'],
    [61.4, 'hours', '61 h'],
    [4.54, 'hours', '4.5 h'],
    [1234.2, 'hours', '1,234 h'],
    [38.35, 'minutes', '38 min'],
    [4.46, 'minutes', '4.5 min'],
    [193, 'minutes', '3.2 h'],
    [5.769, '%', '5.8 %'],
    [15, '%', '15 %'],
    [0, '%', '0 %'],
    [8.52, 'deploys/day', '8.5 deploys/day'],
    [12.4, 'deploys/day', '12 deploys/day'],
    [0.4286, 'deploys/day', '0.43 deploys/day'],
    [0, 'deploys/day', '0 deploys/day'],
    [6.95858, 'pages/week', '7 pages/week'],
    [1.804, 'pages/week', '1.8 pages/week'],
    [12.3, 'pages/week', '12 pages/week'],
    [14, 'incidents', '14 incidents'],
    [1, 'incidents', '1 incident'],
    [null, 'incidents', '—'],
    [23, 'weighted bugs', '23 weighted bugs'],
    [1, 'weighted bugs', '1 weighted bug'],
    [null, 'weighted bugs', '—'],
    [Number.NaN, 'hours', '—'],
    [-2.25, 'points', '−2.25 points'],
  ])('%s %s → %s', (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});

describe('formatDelta', () => {
  it.each([
    [3.25, 'hours', {}, '+3.3 h'],
    [-2.1, '%', {}, '−2.1 pts'],
    [1.29, 'deploys/day', { compact: true }, '+1.3/day'],
    [-210, 'minutes', { scaleOf: 98 }, '−210 min'],
    [-69, 'minutes', { scaleOf: 216 }, '−1.2 h'],
    [-5.3, 'minutes', { scaleOf: 216 }, '−5.3 min'],
    [0.001, 'hours', {}, '±0 h'],
    [null, 'hours', {}, '—'],
  ])('%s %s %o → %s', (delta, unit, options, text) => {
    expect(formatDelta(delta, unit, options)).toBe(text);
  });
});

describe('labels', () => {
  it('targets carry the direction', () => {
    expect(formatTarget(72, 'hours', 'lower_is_better')).toBe('≤ 72 h');
    expect(formatTarget(1, 'deploys/day', 'higher_is_better')).toBe('≥ 1 deploys/day');
  });

  it('bands name their report year (DORA_BANDS.md)', () => {
    expect(formatBand('high', 2023)).toBe('High · DORA 2023');
    expect(formatBand(null, 2023)).toBe('No band · DORA 2023');
    expect(formatBand(null, null)).toBe('No DORA band');
  });

  it('grey says whether it is no data or low confidence', () => {
    expect(statusWord('grey', 'no_data')).toBe('No data');
    expect(statusWord('grey', 'low')).toBe('Low confidence');
    expect(statusWord('red')).toBe('Off target');
  });

  it('periods read as weeks, months and quarters', () => {
    expect(formatPeriod({ type: 'week', start: '2026-11-16', end: '2026-11-23', label: '2026-W47', partial: false })).toBe('Week 47 · Nov 16 – 22, 2026');
    expect(formatPeriod({ type: 'week', start: '2026-12-28', end: '2027-01-04', label: '2026-W53', partial: false })).toBe('Week 53 · Dec 28 – Jan 3, 2027');
    expect(formatPeriod({ type: 'month', start: '2026-10-01', end: '2026-11-01', label: '2026-10', partial: false })).toBe('October 2026');
    expect(formatPeriod({ type: 'quarter', start: '2026-10-01', end: '2027-01-01', label: '2026-Q4', partial: true })).toBe('Q4 2026 (Oct – Dec)');
    expect(formatPeriodShort({ type: 'quarter', start: '2026-10-01', label: '2026-Q4' })).toBe('Q4 2026');
  });

  it('date arithmetic ignores DST', () => {
    expect(addDays('2026-03-08', 1)).toBe('2026-03-09');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
});
