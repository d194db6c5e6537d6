// Confidence, RAG status and trend for a KPI value (shared/KPIS.md "RAG and trend").
// Pure so every scorecard cell, API response and report colours a number the same way.

export type Direction = 'higher_is_better' | 'lower_is_better';
export type Confidence = 'ok' | 'low' | 'no_data';
export type Status = 'green' | 'amber' | 'red' | 'grey';
export type TrendDirection = 'improving' | 'worsening' | 'flat';

/** KPIS.md: default amber margin is 20 % of the target. */
const DEFAULT_AMBER_MARGIN = 0.2;
/**
 * A miss within this relative distance of the amber edge counts as on the edge (red), so that
 * float noise (86.4 - 72 = 14.400000000000006) cannot move a boundary value either way.
 */
const EDGE_TOLERANCE = 1e-9;

function assertNotNaN(name: string, value: number | null): void {
  if (value !== null && Number.isNaN(value)) throw new RangeError(`${name} is NaN`);
}

/**
 * KPIS.md: with n = 0 a KPI is "no data" (never 0, never green); below its minimum sample
 * (default 5 for medians, 10 for rates) it is low-confidence.
 */
export function computeConfidence(n: number, minimumSample: number): Confidence {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`Sample size n must be a whole number >= 0, got ${n}`);
  if (Number.isNaN(minimumSample) || minimumSample < 0) throw new RangeError(`minimumSample must be >= 0, got ${minimumSample}`);
  if (n === 0) return 'no_data';
  return n < minimumSample ? 'low' : 'ok';
}

/** Change of a KPI against the previous period of the same length. */
export interface Trend {
  previous: number;
  delta: number;
  /** delta as a percentage of |previous|; null when previous is 0. */
  deltaPct: number | null;
  direction: TrendDirection;
}

/**
 * Trend against the previous period, labelled improving or worsening by the KPI's direction
 * (KPIS.md). Null when either value is missing; flat only when the delta is exactly 0.
 */
export function computeTrend(current: number | null, previous: number | null, direction: Direction): Trend | null {
  assertNotNaN('current', current);
  assertNotNaN('previous', previous);
  if (current === null || previous === null) return null;
  // Equal values (including Infinity = Infinity, e.g. no deployments twice) are flat, not NaN.
  const delta = current === previous ? 0 : current - previous;
  const deltaPct = previous === 0 ? null : (delta / Math.abs(previous)) * 100;
  let trend: TrendDirection = 'flat';
  if (delta !== 0) trend = (delta > 0) === (direction === 'higher_is_better') ? 'improving' : 'worsening';
  return { previous, delta, deltaPct, direction: trend };
}

/** True when `later` is strictly worse than `earlier` for this direction. */
function isWorse(later: number, earlier: number, direction: Direction): boolean {
  return direction === 'lower_is_better' ? later > earlier : later < earlier;
}

/**
 * Green: meets the target (lower_is_better: value <= target; higher_is_better: value >= target).
 * Amber: misses it by less than amberMargin × |target| (default 0.2), or meets it while the last
 * three periods (the two previous values and the current) are strictly worsening in a row.
 * Red: otherwise. Grey whenever confidence is not 'ok', or value/target is null.
 */
export function computeStatus(input: {
  value: number | null;
  target: number | null;
  direction: Direction;
  confidence: Confidence;
  /** Newest first: [previous, the one before]. A null breaks the worsening streak. */
  previousValues: (number | null)[];
  amberMargin?: number;
}): Status {
  const { value, target, direction, confidence, previousValues } = input;
  const amberMargin = input.amberMargin ?? DEFAULT_AMBER_MARGIN;
  assertNotNaN('value', value);
  assertNotNaN('target', target);
  if (Number.isNaN(amberMargin) || amberMargin < 0) throw new RangeError(`amberMargin must be >= 0, got ${amberMargin}`);

  // KPIS.md: low-confidence and no-data values are grey, never green.
  if (confidence !== 'ok' || value === null || target === null) return 'grey';

  const meets = direction === 'lower_is_better' ? value <= target : value >= target;
  if (meets) {
    // KPIS.md: "meets it with a worsening trend of three periods" is amber.
    const [previous, beforePrevious] = previousValues;
    const worsening =
      previous !== null &&
      previous !== undefined &&
      beforePrevious !== null &&
      beforePrevious !== undefined &&
      isWorse(previous, beforePrevious, direction) &&
      isWorse(value, previous, direction);
    return worsening ? 'amber' : 'green';
  }

  // "Misses it by less than the amber margin": strictly less, so exactly target × 1.2 is red.
  const miss = Math.abs(value - target);
  const allowed = amberMargin * Math.abs(target);
  return miss < allowed - EDGE_TOLERANCE * Math.max(1, allowed) ? 'amber' : 'red';
}
