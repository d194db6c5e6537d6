// Table-driven tests for confidence, trend and RAG status (shared/KPIS.md "RAG and trend"):
// every branch, exact edges, worsening streaks, and grey for low-confidence or missing data.
import { describe, it, expect } from 'vitest';
import {
  computeConfidence,
  computeStatus,
  computeTrend,
  type Confidence,
  type Direction,
  type Status,
  type Trend,
} from './status.js';

const LOWER: Direction = 'lower_is_better';
const HIGHER: Direction = 'higher_is_better';

describe('computeConfidence', () => {
  it.each<[number, number, Confidence]>([
    [0, 5, 'no_data'],
    [0, 0, 'no_data'], // n = 0 is no data even with no minimum
    [1, 5, 'low'],
    [4, 5, 'low'],
    [5, 5, 'ok'],
    [6, 5, 'ok'],
    [9, 10, 'low'],
    [10, 10, 'ok'],
    [1, 0, 'ok'],
    [1, 1, 'ok'],
  ])('n = %d, minimum %d -> %s', (n, minimum, confidence) => {
    expect(computeConfidence(n, minimum)).toBe(confidence);
  });

  it.each<[number, number]>([
    [-1, 5],
    [1.5, 5],
    [NaN, 5],
    [5, NaN],
    [5, -1],
  ])('throws RangeError on (%d, %d)', (n, minimum) => {
    expect(() => computeConfidence(n, minimum)).toThrow(RangeError);
  });
});

describe('computeTrend', () => {
  it.each<[number | null, number | null, Direction, Trend | null]>([
    [null, 10, LOWER, null],
    [10, null, HIGHER, null],
    [null, null, HIGHER, null],
    [12, 10, LOWER, { previous: 10, delta: 2, deltaPct: 20, direction: 'worsening' }],
    [8, 10, LOWER, { previous: 10, delta: -2, deltaPct: -20, direction: 'improving' }],
    [12, 10, HIGHER, { previous: 10, delta: 2, deltaPct: 20, direction: 'improving' }],
    [8, 10, HIGHER, { previous: 10, delta: -2, deltaPct: -20, direction: 'worsening' }],
    [10, 10, LOWER, { previous: 10, delta: 0, deltaPct: 0, direction: 'flat' }],
    [10, 10, HIGHER, { previous: 10, delta: 0, deltaPct: 0, direction: 'flat' }],
    // previous 0: no percentage, direction still from the sign.
    [3, 0, HIGHER, { previous: 0, delta: 3, deltaPct: null, direction: 'improving' }],
    [3, 0, LOWER, { previous: 0, delta: 3, deltaPct: null, direction: 'worsening' }],
    [0, 0, LOWER, { previous: 0, delta: 0, deltaPct: null, direction: 'flat' }],
    // negative previous: the percentage follows the delta's sign.
    [-5, -10, HIGHER, { previous: -10, delta: 5, deltaPct: 50, direction: 'improving' }],
    // no deployments in both periods (Infinity interval) is flat, not NaN.
    [Infinity, Infinity, LOWER, { previous: Infinity, delta: 0, deltaPct: 0, direction: 'flat' }],
  ])('current %s, previous %s, %s', (current, previous, direction, expected) => {
    expect(computeTrend(current, previous, direction)).toEqual(expected);
  });

  it('a tiny non-zero delta is not flat', () => {
    expect(computeTrend(10.000001, 10, LOWER)?.direction).toBe('worsening');
  });

  it('throws RangeError on NaN', () => {
    expect(() => computeTrend(NaN, 1, LOWER)).toThrow(RangeError);
    expect(() => computeTrend(1, NaN, LOWER)).toThrow(RangeError);
  });
});

describe('computeStatus', () => {
  type Row = [
    string,
    {
      value: number | null;
      target: number | null;
      direction: Direction;
      confidence?: Confidence;
      previousValues?: (number | null)[];
      amberMargin?: number;
    },
    Status,
  ];
  it.each<Row>([
    // --- lower_is_better (e.g. lead time, target 72 h)
    ['lower: well under target', { value: 30, target: 72, direction: LOWER }, 'green'],
    ['lower: exactly on target', { value: 72, target: 72, direction: LOWER }, 'green'],
    ['lower: just over target', { value: 72.1, target: 72, direction: LOWER }, 'amber'],
    ['lower: inside the 20 % margin', { value: 86, target: 72, direction: LOWER }, 'amber'],
    ['lower: exactly target × 1.2 is red', { value: 86.4, target: 72, direction: LOWER }, 'red'],
    ['lower: exactly target × 1.2 (CFR 15 %)', { value: 18, target: 15, direction: LOWER }, 'red'],
    ['lower: exactly target × 1.2 (100)', { value: 120, target: 100, direction: LOWER }, 'red'],
    ['lower: just inside target × 1.2', { value: 119.99, target: 100, direction: LOWER }, 'amber'],
    ['lower: far over target', { value: 200, target: 72, direction: LOWER }, 'red'],
    ['lower: Infinity is red', { value: Infinity, target: 24, direction: LOWER }, 'red'],
    // --- higher_is_better (e.g. CI success rate, target 95 %)
    ['higher: above target', { value: 99, target: 95, direction: HIGHER }, 'green'],
    ['higher: exactly on target', { value: 95, target: 95, direction: HIGHER }, 'green'],
    ['higher: inside the margin', { value: 80, target: 95, direction: HIGHER }, 'amber'],
    ['higher: exactly target × 0.8 is red', { value: 76, target: 95, direction: HIGHER }, 'red'],
    ['higher: exactly target × 0.8 (100)', { value: 80, target: 100, direction: HIGHER }, 'red'],
    ['higher: far below', { value: 10, target: 95, direction: HIGHER }, 'red'],
    // --- amber margin override
    ['margin 0.5: 140 vs 100 is amber', { value: 140, target: 100, direction: LOWER, amberMargin: 0.5 }, 'amber'],
    ['margin 0.5: exactly 150 is red', { value: 150, target: 100, direction: LOWER, amberMargin: 0.5 }, 'red'],
    ['margin 0: any miss is red', { value: 100.5, target: 100, direction: LOWER, amberMargin: 0 }, 'red'],
    ['margin 0: on target is green', { value: 100, target: 100, direction: LOWER, amberMargin: 0 }, 'green'],
    // --- target 0 (no room for a margin) and negative targets use |target|
    ['target 0: on it is green', { value: 0, target: 0, direction: LOWER }, 'green'],
    ['target 0: any miss is red', { value: 0.1, target: 0, direction: LOWER }, 'red'],
    ['negative target: within |target| × 0.2', { value: -9, target: -10, direction: HIGHER }, 'green'],
    ['negative target: miss within margin', { value: -11, target: -10, direction: HIGHER }, 'amber'],
    ['negative target: miss at margin', { value: -12, target: -10, direction: HIGHER }, 'red'],
    // --- worsening trend of three periods while meeting the target
    ['lower: meets, worsening 3 in a row', { value: 60, target: 72, direction: LOWER, previousValues: [50, 40] }, 'amber'],
    ['higher: meets, worsening 3 in a row', { value: 96, target: 95, direction: HIGHER, previousValues: [97, 99] }, 'amber'],
    ['lower: meets, only the last step worsens', { value: 60, target: 72, direction: LOWER, previousValues: [50, 55] }, 'green'],
    ['lower: meets, only the first step worsens', { value: 45, target: 72, direction: LOWER, previousValues: [50, 40] }, 'green'],
    ['lower: meets, a flat step breaks the streak', { value: 60, target: 72, direction: LOWER, previousValues: [60, 40] }, 'green'],
    ['lower: meets, first step flat breaks the streak', { value: 60, target: 72, direction: LOWER, previousValues: [50, 50] }, 'green'],
    ['lower: meets, improving', { value: 40, target: 72, direction: LOWER, previousValues: [50, 60] }, 'green'],
    ['lower: exactly on target while worsening', { value: 72, target: 72, direction: LOWER, previousValues: [70, 60] }, 'amber'],
    ['null newest previous breaks the streak', { value: 60, target: 72, direction: LOWER, previousValues: [null, 40] }, 'green'],
    ['null older previous breaks the streak', { value: 60, target: 72, direction: LOWER, previousValues: [50, null] }, 'green'],
    ['one previous value is not a streak', { value: 60, target: 72, direction: LOWER, previousValues: [50] }, 'green'],
    ['no previous values is not a streak', { value: 60, target: 72, direction: LOWER, previousValues: [] }, 'green'],
    ['extra history beyond two is ignored', { value: 60, target: 72, direction: LOWER, previousValues: [50, 40, 100] }, 'amber'],
    // worsening streak does not rescue or worsen a miss: margin decides
    ['misses within margin while worsening', { value: 80, target: 72, direction: LOWER, previousValues: [70, 60] }, 'amber'],
    ['misses beyond margin while worsening', { value: 100, target: 72, direction: LOWER, previousValues: [70, 60] }, 'red'],
    ['misses beyond margin while improving', { value: 100, target: 72, direction: LOWER, previousValues: [120, 140] }, 'red'],
    // --- grey
    ['low confidence with a great value', { value: 1, target: 72, direction: LOWER, confidence: 'low' }, 'grey'],
    ['low confidence with a bad value', { value: 500, target: 72, direction: LOWER, confidence: 'low' }, 'grey'],
    ['no data (n = 0) with value 0 is never green', { value: 0, target: 15, direction: LOWER, confidence: 'no_data' }, 'grey'],
    ['no data with a null value', { value: null, target: 15, direction: LOWER, confidence: 'no_data' }, 'grey'],
    ['ok confidence but null value', { value: null, target: 95, direction: HIGHER }, 'grey'],
    ['ok confidence but no target', { value: 99, target: null, direction: HIGHER }, 'grey'],
  ])('%s -> %s', (_label, row, status) => {
    expect(
      computeStatus({
        value: row.value,
        target: row.target,
        direction: row.direction,
        confidence: row.confidence ?? 'ok',
        previousValues: row.previousValues ?? [],
        ...(row.amberMargin === undefined ? {} : { amberMargin: row.amberMargin }),
      }),
    ).toBe(status);
  });

  it('n = 0 is never green, whatever the value and target', () => {
    for (const direction of [LOWER, HIGHER]) {
      for (const value of [0, 1, 50, 100, null]) {
        for (const target of [0, 50, 100, null]) {
          const confidence = computeConfidence(0, 5);
          expect(computeStatus({ value, target, direction, confidence, previousValues: [] })).toBe('grey');
        }
      }
    }
  });

  it.each([
    { value: NaN, target: 1, amberMargin: 0.2 },
    { value: 1, target: NaN, amberMargin: 0.2 },
    { value: 1, target: 1, amberMargin: -0.1 },
    { value: 1, target: 1, amberMargin: NaN },
  ])('throws RangeError on %o', ({ value, target, amberMargin }) => {
    expect(() => computeStatus({ value, target, direction: LOWER, confidence: 'ok', previousValues: [], amberMargin })).toThrow(
      RangeError,
    );
  });
});
