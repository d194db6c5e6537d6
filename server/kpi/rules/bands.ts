// DORA performance band tables (2021-2024) as data, and the per-metric classification rule.
// Pure so the band shown beside each key can be pinned by the test vectors of shared/DORA_BANDS.md.
import type { BandYear } from '../../config.js';
import type { KpiKey } from '../keys.js';

export type Band = 'elite' | 'high' | 'medium' | 'low';
export type BandMetric = 'leadTimeHours' | 'recoveryHours' | 'changeFailurePct' | 'deployIntervalHours';
/** One band's [lower, upper) interval; `null` upper = +Infinity. */
export type BandInterval = readonly [Band, number, number | null];
type BandTable = Record<BandMetric, ReadonlyArray<BandInterval>>;

/** DORA_BANDS.md: 2023 is the default (newest report whose bands are ordered on every metric). */
export const DEFAULT_BAND_YEAR: BandYear = 2023;

/**
 * Intervals per year and metric, ordered best to worst, copied from DORA_BANDS.md "The same
 * tables as data". Those intervals already apply the rule "best band whose published cell the
 * value meets or beats" (ties -> better band, gaps -> worse band), so Medium is simply absent
 * where it can never be reached. Units: month = 730 h, six months = 4,380 h; CFR edges sit at
 * the published percentage + 0.5 (cells read as rounded).
 */
const TABLES: Record<BandYear, BandTable> = {
  // 2021: Accelerate State of DevOps 2021 report PDF (dora-team/dora.dev). Lead time Elite is
  // "< 1 hour"; High/Medium/Low tie on CFR 16-30 %, so Medium is never reached for CFR.
  2021: {
    leadTimeHours: [['elite', 0, 1], ['high', 1, 168], ['medium', 168, 4380], ['low', 4380, null]],
    recoveryHours: [['elite', 0, 1], ['high', 1, 24], ['medium', 24, 168], ['low', 168, null]],
    changeFailurePct: [['elite', 0, 15.5], ['high', 15.5, 30.5], ['low', 30.5, null]],
    deployIntervalHours: [['elite', 0, 24], ['high', 24, 730], ['medium', 730, 4380], ['low', 4380, null]],
  },
  // 2022: Accelerate State of DevOps 2022 report's own table (no Elite cluster that year).
  2022: {
    leadTimeHours: [['high', 0, 168], ['medium', 168, 730], ['low', 730, null]],
    recoveryHours: [['high', 0, 24], ['medium', 24, 168], ['low', 168, null]],
    changeFailurePct: [['high', 0, 15.5], ['medium', 15.5, 30.5], ['low', 30.5, null]],
    deployIntervalHours: [['high', 0, 24], ['medium', 24, 730], ['low', 730, null]],
  },
  // 2023: Accelerate State of DevOps 2023 report's table and dora.dev's 2023 infographic
  // (cross-checked with Apache DevLake's 2023 benchmark). recoveryHours = failed deployment recovery time.
  2023: {
    leadTimeHours: [['elite', 0, 24], ['high', 24, 168], ['medium', 168, 730], ['low', 730, null]],
    recoveryHours: [['elite', 0, 1], ['high', 1, 24], ['medium', 24, 168], ['low', 168, null]],
    changeFailurePct: [['elite', 0, 5.5], ['high', 5.5, 10.5], ['medium', 10.5, 15.5], ['low', 15.5, null]],
    deployIntervalHours: [['elite', 0, 24], ['high', 24, 168], ['medium', 168, 730], ['low', 730, null]],
  },
  // 2024: Accelerate State of DevOps 2024 report's table with dora.dev's 2024 errata. Medium
  // ties High on recovery and beats High on CFR, so the monotone rule never gives Medium there.
  2024: {
    leadTimeHours: [['elite', 0, 24], ['high', 24, 168], ['medium', 168, 730], ['low', 730, null]],
    recoveryHours: [['elite', 0, 1], ['high', 1, 24], ['low', 24, null]],
    changeFailurePct: [['elite', 0, 5.5], ['high', 5.5, 20.5], ['low', 20.5, null]],
    deployIntervalHours: [['elite', 0, 24], ['high', 24, 168], ['medium', 168, 730], ['low', 730, null]],
  },
};

function freezeTables(tables: Record<BandYear, BandTable>): Record<BandYear, BandTable> {
  for (const table of Object.values(tables)) {
    for (const rows of Object.values(table)) {
      for (const row of rows) Object.freeze(row);
      Object.freeze(rows);
    }
    Object.freeze(table);
  }
  return Object.freeze(tables);
}

export const DORA_BAND_TABLES: Record<BandYear, Record<BandMetric, ReadonlyArray<readonly [Band, number, number | null]>>> =
  freezeTables(TABLES);

/**
 * The DORA band of one metric's value under a report year's table. Intervals are [lower, upper)
 * so a value on an edge goes to the worse band (DORA_BANDS.md "Boundary convention");
 * Infinity (e.g. no deployments) is the worst band. Throws RangeError on NaN or negative values.
 */
export function classifyBand(metric: BandMetric, value: number, year: BandYear = DEFAULT_BAND_YEAR): Band {
  if (Number.isNaN(value) || value < 0) throw new RangeError(`Cannot band ${metric} = ${value}: expected a number >= 0`);
  const table = DORA_BAND_TABLES[year];
  if (!table) throw new RangeError(`No DORA band table for year ${String(year)}`);
  const rows = table[metric];
  for (const [band, lower, upper] of rows) {
    if (value >= lower && value < (upper ?? Infinity)) return band;
  }
  // Only Infinity gets here (the last row's upper is +Infinity, exclusive).
  const worst = rows[rows.length - 1];
  if (!worst) throw new RangeError(`Empty DORA band table for ${metric} ${year}`);
  return worst[0];
}

/**
 * Mean deploy interval in hours = period hours / production deployments (DORA_BANDS.md: deployment
 * frequency is banded on the interval so the [lower, upper) convention holds). Infinity when 0.
 */
export function deployIntervalHours(periodHours: number, productionDeployments: number): number {
  if (!Number.isFinite(periodHours) || periodHours <= 0) throw new RangeError(`periodHours must be > 0, got ${periodHours}`);
  if (!Number.isInteger(productionDeployments) || productionDeployments < 0) {
    throw new RangeError(`productionDeployments must be a whole number >= 0, got ${productionDeployments}`);
  }
  return productionDeployments === 0 ? Infinity : periodHours / productionDeployments;
}

/**
 * Which band metric a KPI uses under a given report year, or null when it has no band then:
 * lead_time_for_changes->leadTimeHours, change_failure_rate->changeFailurePct,
 * deployment_frequency->deployIntervalHours (all years); failed_deployment_recovery_time->
 * recoveryHours only for 2023/2024; time_to_restore->recoveryHours only for 2021/2022
 * (DORA_BANDS.md: the recoveryHours row means time to restore for 2021/2022 and failed-deployment
 * recovery for 2023/2024, and the two are not comparable); rework_rate->null (no table).
 * KPIS.md reports both recovery KPIs in minutes: divide by 60 before classifying.
 */
export function bandMetricFor(kpiKey: KpiKey, year: BandYear): BandMetric | null {
  switch (kpiKey) {
    case 'lead_time_for_changes':
      return 'leadTimeHours';
    case 'change_failure_rate':
      return 'changeFailurePct';
    case 'deployment_frequency':
      return 'deployIntervalHours';
    case 'failed_deployment_recovery_time':
      return year === 2023 || year === 2024 ? 'recoveryHours' : null;
    case 'time_to_restore':
      return year === 2021 || year === 2022 ? 'recoveryHours' : null;
    case 'rework_rate':
    case 'time_to_restore_sev1_2': // DORA's bands are for all incidents, not the severe ones alone
    case 'time_to_acknowledge':
    case 'incident_recurrence_rate':
    case 'on_call_pages':
    case 'incident_count':
    case 'escaped_defects':
    case 'pr_cycle_time':
    case 'build_success_rate':
      return null;
  }
}
