// Pins the DORA band tables and rule to shared/DORA_BANDS.md: every "Test vectors" row (2023 and
// 2024), the 2021/2022 rows, edges, monotonicity and which KPI uses which band metric per year.
import { describe, it, expect } from 'vitest';
import type { BandYear } from '../../config.js';
import { KPI_KEYS, type KpiKey } from '../keys.js';
import {
  bandMetricFor,
  classifyBand,
  deployIntervalHours,
  DEFAULT_BAND_YEAR,
  DORA_BAND_TABLES,
  type Band,
  type BandMetric,
} from './bands.js';

const YEARS: BandYear[] = [2021, 2022, 2023, 2024];
const METRICS: BandMetric[] = ['leadTimeHours', 'recoveryHours', 'changeFailurePct', 'deployIntervalHours'];
const RANK: Record<Band, number> = { elite: 0, high: 1, medium: 2, low: 3 };
const DAY = 24;

describe('DORA_BANDS.md test vectors', () => {
  // [description, metric, value, 2023 band, 2024 band]
  it.each<[string, BandMetric, number, Band, Band]>([
    ['lead time 23.9 h', 'leadTimeHours', 23.9, 'elite', 'elite'],
    ['lead time 24 h', 'leadTimeHours', 24, 'high', 'high'],
    ['lead time 168 h', 'leadTimeHours', 168, 'medium', 'medium'],
    ['lead time 730 h', 'leadTimeHours', 730, 'low', 'low'],
    ['recovery time 0.9 h', 'recoveryHours', 0.9, 'elite', 'elite'],
    ['recovery time 1 h', 'recoveryHours', 1, 'high', 'high'],
    ['recovery time 23 h', 'recoveryHours', 23, 'high', 'high'],
    ['recovery time 24 h', 'recoveryHours', 24, 'medium', 'low'],
    ['recovery time 167 h', 'recoveryHours', 167, 'medium', 'low'],
    ['recovery time 168 h', 'recoveryHours', 168, 'low', 'low'],
    ['CFR 5.0 %', 'changeFailurePct', 5.0, 'elite', 'elite'],
    ['CFR 5.5 %', 'changeFailurePct', 5.5, 'high', 'high'],
    ['CFR 10.0 %', 'changeFailurePct', 10.0, 'high', 'high'],
    ['CFR 12 %', 'changeFailurePct', 12, 'medium', 'high'],
    ['CFR 18 %', 'changeFailurePct', 18, 'low', 'high'],
    ['CFR 20.4 %', 'changeFailurePct', 20.4, 'low', 'high'],
    ['CFR 21 %', 'changeFailurePct', 21, 'low', 'low'],
    ['45 deploys in 30 days (16 h)', 'deployIntervalHours', deployIntervalHours(30 * DAY, 45), 'elite', 'elite'],
    ['30 deploys in 30 days (24 h)', 'deployIntervalHours', deployIntervalHours(30 * DAY, 30), 'high', 'high'],
    ['4 deploys in 28 days (168 h)', 'deployIntervalHours', deployIntervalHours(28 * DAY, 4), 'medium', 'medium'],
    ['1 deploy in 30 days (720 h)', 'deployIntervalHours', deployIntervalHours(30 * DAY, 1), 'medium', 'medium'],
    ['1 deploy in 31 days (744 h)', 'deployIntervalHours', deployIntervalHours(31 * DAY, 1), 'low', 'low'],
    ['0 deploys', 'deployIntervalHours', deployIntervalHours(30 * DAY, 0), 'low', 'low'],
  ])('%s -> 2023 %s, 2024 %s', (_label, metric, value, band2023, band2024) => {
    expect(classifyBand(metric, value, 2023)).toBe(band2023);
    expect(classifyBand(metric, value, 2024)).toBe(band2024);
  });

  it('the deploy intervals of the vectors are what the table says', () => {
    expect(deployIntervalHours(30 * DAY, 45)).toBe(16);
    expect(deployIntervalHours(30 * DAY, 30)).toBe(24);
    expect(deployIntervalHours(28 * DAY, 4)).toBe(168);
    expect(deployIntervalHours(30 * DAY, 1)).toBe(720);
    expect(deployIntervalHours(31 * DAY, 1)).toBe(744);
    expect(deployIntervalHours(30 * DAY, 0)).toBe(Infinity);
  });
});

describe('classifyBand defaults to 2023', () => {
  it('DEFAULT_BAND_YEAR is 2023', () => {
    expect(DEFAULT_BAND_YEAR).toBe(2023);
  });
  it.each<[BandMetric, number, Band]>([
    ['recoveryHours', 24, 'medium'], // 2024 would say low
    ['changeFailurePct', 12, 'medium'], // 2024 would say high
    ['leadTimeHours', 0, 'elite'],
  ])('%s %d -> %s', (metric, value, band) => {
    expect(classifyBand(metric, value)).toBe(band);
  });
});

describe('2021 and 2022 tables', () => {
  it.each<[BandYear, BandMetric, number, Band]>([
    // 2022 (no Elite)
    [2022, 'leadTimeHours', 0, 'high'],
    [2022, 'leadTimeHours', 167.9, 'high'],
    [2022, 'leadTimeHours', 168, 'medium'],
    [2022, 'leadTimeHours', 729.9, 'medium'],
    [2022, 'leadTimeHours', 730, 'low'],
    [2022, 'recoveryHours', 0.5, 'high'],
    [2022, 'recoveryHours', 24, 'medium'],
    [2022, 'recoveryHours', 167, 'medium'],
    [2022, 'recoveryHours', 168, 'low'],
    [2022, 'changeFailurePct', 15.4, 'high'],
    [2022, 'changeFailurePct', 15.5, 'medium'],
    [2022, 'changeFailurePct', 30.4, 'medium'],
    [2022, 'changeFailurePct', 30.5, 'low'], // unclaimed 31-45 bucket goes to Low
    [2022, 'changeFailurePct', 40, 'low'],
    [2022, 'deployIntervalHours', 23.9, 'high'],
    [2022, 'deployIntervalHours', 24, 'medium'],
    [2022, 'deployIntervalHours', 168, 'medium'], // daily-weekly bucket is Medium
    [2022, 'deployIntervalHours', 729.9, 'medium'],
    [2022, 'deployIntervalHours', 730, 'low'],
    [2022, 'deployIntervalHours', Infinity, 'low'],
    // 2021
    [2021, 'leadTimeHours', 0.9, 'elite'],
    [2021, 'leadTimeHours', 1, 'high'],
    [2021, 'leadTimeHours', 167, 'high'],
    [2021, 'leadTimeHours', 168, 'medium'],
    [2021, 'leadTimeHours', 4379, 'medium'],
    [2021, 'leadTimeHours', 4380, 'low'],
    [2021, 'recoveryHours', 0.9, 'elite'],
    [2021, 'recoveryHours', 1, 'high'],
    [2021, 'recoveryHours', 24, 'medium'],
    [2021, 'recoveryHours', 168, 'low'],
    [2021, 'changeFailurePct', 15, 'elite'],
    [2021, 'changeFailurePct', 15.5, 'high'],
    [2021, 'changeFailurePct', 30, 'high'], // High/Medium/Low tie at 16-30 %: better band wins
    [2021, 'changeFailurePct', 30.5, 'low'], // Medium is never reached
    [2021, 'deployIntervalHours', 23.9, 'elite'],
    [2021, 'deployIntervalHours', 24, 'high'],
    [2021, 'deployIntervalHours', 729, 'high'],
    [2021, 'deployIntervalHours', 730, 'medium'],
    [2021, 'deployIntervalHours', 4379, 'medium'],
    [2021, 'deployIntervalHours', 4380, 'low'],
    [2021, 'deployIntervalHours', Infinity, 'low'],
  ])('%d %s %d -> %s', (year, metric, value, band) => {
    expect(classifyBand(metric, value, year)).toBe(band);
  });

  it('2022 has no Elite and 2021/2024 never reach Medium on CFR', () => {
    for (const metric of METRICS) expect(DORA_BAND_TABLES[2022][metric].map(([b]) => b)).not.toContain('elite');
    expect(DORA_BAND_TABLES[2021].changeFailurePct.map(([b]) => b)).not.toContain('medium');
    expect(DORA_BAND_TABLES[2024].changeFailurePct.map(([b]) => b)).not.toContain('medium');
    expect(DORA_BAND_TABLES[2024].recoveryHours.map(([b]) => b)).not.toContain('medium');
  });
});

describe('classifyBand edges and errors', () => {
  it.each(YEARS.flatMap((year) => METRICS.map((metric) => [year, metric] as const)))(
    '%d %s: 0 is the best band, Infinity the worst',
    (year, metric) => {
      const rows = DORA_BAND_TABLES[year][metric];
      expect(classifyBand(metric, 0, year)).toBe(rows[0]![0]);
      expect(classifyBand(metric, Infinity, year)).toBe(rows[rows.length - 1]![0]);
      expect(rows[rows.length - 1]![0]).toBe('low');
    },
  );

  it.each([NaN, -1, -0.001, -Infinity])('throws RangeError on %d', (value) => {
    expect(() => classifyBand('leadTimeHours', value)).toThrow(RangeError);
  });

  it('CFR of 100 % is low', () => {
    for (const year of YEARS) expect(classifyBand('changeFailurePct', 100, year)).toBe('low');
  });
});

describe('tables are well-formed', () => {
  it.each(YEARS.flatMap((year) => METRICS.map((metric) => [year, metric] as const)))(
    '%d %s: contiguous from 0 to +Infinity, best to worst',
    (year, metric) => {
      const rows = DORA_BAND_TABLES[year][metric];
      expect(rows[0]![1]).toBe(0);
      expect(rows[rows.length - 1]![2]).toBeNull();
      for (let i = 1; i < rows.length; i++) {
        expect(rows[i]![1]).toBe(rows[i - 1]![2]);
        expect(RANK[rows[i]![0]]).toBeGreaterThan(RANK[rows[i - 1]![0]]);
      }
    },
  );

  it('is frozen', () => {
    expect(Object.isFrozen(DORA_BAND_TABLES)).toBe(true);
    expect(Object.isFrozen(DORA_BAND_TABLES[2023])).toBe(true);
    expect(Object.isFrozen(DORA_BAND_TABLES[2023].leadTimeHours)).toBe(true);
    expect(Object.isFrozen(DORA_BAND_TABLES[2023].leadTimeHours[0])).toBe(true);
  });
});

describe('monotonicity: a better (lower) value never gives a worse band', () => {
  // Every metric is lower-is-better once deployment frequency is expressed as an interval.
  it.each(YEARS.flatMap((year) => METRICS.map((metric) => [year, metric] as const)))('%d %s', (year, metric) => {
    const values: number[] = [];
    for (let v = 0; v <= 6000; v += 0.25) values.push(v);
    // Plus every edge and its neighbours, and Infinity.
    for (const [, lower, upper] of DORA_BAND_TABLES[year][metric]) {
      for (const edge of [lower, upper ?? Infinity]) values.push(edge, Math.max(0, edge - 1e-9), edge + 1e-9);
    }
    values.push(Infinity);
    values.sort((a, b) => a - b);
    const violations: string[] = [];
    let previous: { value: number; rank: number } | null = null;
    for (const value of values) {
      const rank = RANK[classifyBand(metric, value, year)];
      if (previous && rank < previous.rank) violations.push(`${previous.value} -> ${value}`);
      previous = { value, rank };
    }
    expect(violations).toEqual([]);
  });
});

describe('deployIntervalHours', () => {
  it.each<[number, number, number]>([
    [168, 1, 168],
    [168, 7, 24],
    [167, 0, Infinity],
    [2190, 3, 730],
  ])('%d h / %d deploys = %d h', (hours, deploys, interval) => {
    expect(deployIntervalHours(hours, deploys)).toBe(interval);
  });

  it.each<[number, number]>([
    [0, 1],
    [-1, 1],
    [NaN, 1],
    [Infinity, 1],
    [168, -1],
    [168, 1.5],
    [168, NaN],
  ])('throws RangeError on (%d, %d)', (hours, deploys) => {
    expect(() => deployIntervalHours(hours, deploys)).toThrow(RangeError);
  });
});

describe('bandMetricFor', () => {
  const expected: Record<KpiKey, Record<BandYear, BandMetric | null>> = {
    lead_time_for_changes: { 2021: 'leadTimeHours', 2022: 'leadTimeHours', 2023: 'leadTimeHours', 2024: 'leadTimeHours' },
    change_failure_rate: { 2021: 'changeFailurePct', 2022: 'changeFailurePct', 2023: 'changeFailurePct', 2024: 'changeFailurePct' },
    deployment_frequency: {
      2021: 'deployIntervalHours',
      2022: 'deployIntervalHours',
      2023: 'deployIntervalHours',
      2024: 'deployIntervalHours',
    },
    // recoveryHours means time to restore in 2021/2022 and failed deployment recovery in 2023/2024.
    time_to_restore: { 2021: 'recoveryHours', 2022: 'recoveryHours', 2023: null, 2024: null },
    failed_deployment_recovery_time: { 2021: null, 2022: null, 2023: 'recoveryHours', 2024: 'recoveryHours' },
    rework_rate: { 2021: null, 2022: null, 2023: null, 2024: null },
    // DORA's restore bands are for every incident, not the severe ones alone.
    time_to_restore_sev1_2: { 2021: null, 2022: null, 2023: null, 2024: null },
    time_to_acknowledge: { 2021: null, 2022: null, 2023: null, 2024: null },
    incident_recurrence_rate: { 2021: null, 2022: null, 2023: null, 2024: null },
    on_call_pages: { 2021: null, 2022: null, 2023: null, 2024: null },
    incident_count: { 2021: null, 2022: null, 2023: null, 2024: null },
    escaped_defects: { 2021: null, 2022: null, 2023: null, 2024: null },
    pr_cycle_time: { 2021: null, 2022: null, 2023: null, 2024: null },
    build_success_rate: { 2021: null, 2022: null, 2023: null, 2024: null },
  };

  it.each(KPI_KEYS.flatMap((key) => YEARS.map((year) => [key, year, expected[key][year]] as const)))(
    '%s in %d -> %s',
    (key, year, metric) => {
      expect(bandMetricFor(key, year)).toBe(metric);
    },
  );
});
