// The reducers' helpers against their SQL twins' definitions.
import { describe, expect, it } from 'vitest';
import { ascendingOrder, nextQueryServices, percentileCont, sortedValues, windowInstantUs } from './rollup.js';

describe('sortedValues', () => {
  const column = [5, null, 1.5, 3, undefined, 2, 8];

  it('sorts the records\' numbers, nulls left out, whatever order the records come in', () => {
    expect([...sortedValues([0, 1, 2, 3, 4, 5, 6], column)]).toEqual([1.5, 2, 3, 5, 8]);
    expect([...sortedValues([2, 5, 3, 0, 6], column)]).toEqual([1.5, 2, 3, 5, 8]);
    expect([...sortedValues([6, 0, 3], column)]).toEqual([3, 5, 8]);
  });

  it('keeps the records a filter selects', () => {
    const where = [true, true, false, true, true, true, false];
    expect([...sortedValues([6, 5, 3, 2, 0], column, where)]).toEqual([2, 3, 5]);
  });

  it('feeds percentile_cont\'s interpolation', () => {
    expect(percentileCont(sortedValues([0, 2, 3, 5], column), 0.5)).toBe(2.5);
    expect(percentileCont(sortedValues([1, 4], column), 0.5)).toBeNull();
  });
});

describe('ascendingOrder', () => {
  /** The order a comparison sort gives: by value, nulls last, ties by index. */
  const expected = (values: unknown[]) => values.map((_, i) => i).sort((a, b) => {
    const x = values[a] ?? Infinity;
    const y = values[b] ?? Infinity;
    return x === y ? a - b : (x as number) < (y as number) ? -1 : 1;
  });

  it('orders negative, fractional, huge and infinite numbers as numbers, nulls last, ties in index order', () => {
    const values = [3, null, -2.5, 0, 1e300, -Infinity, 3, 0.1, undefined, -1e-300, Infinity, -2.5, 7e-310, 2 ** 53];
    expect([...ascendingOrder(values)]).toEqual(expected(values));
  });

  it('counts -0 and 0 as equal, as the percentiles do', () => {
    expect([...ascendingOrder([0, -0, 0])]).toEqual([0, 1, 2]);
  });

  it('agrees with a comparison sort on 20,000 random durations with many ties', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const values = Array.from({ length: 20_000 }, () => (random() < 0.02 ? null : Math.round(random() * 5000) / (random() < 0.5 ? 3600 : 60) - (random() < 0.1 ? 1 : 0)));
    expect([...ascendingOrder(values)]).toEqual(expected(values));
  });

  it('hands sortedValues records it need not sort', () => {
    const column = [5, null, 1.5, 3, 2];
    const order = ascendingOrder(column);
    expect([...sortedValues(order, column)]).toEqual([1.5, 2, 3, 5]);
  });
});

describe('windowInstantUs', () => {
  const at = (us: number) => new Date(us / 1000);
  const bounds = [2_000_000_000, 5_000_000_000];

  it('stands in for the window where no bound falls strictly inside it', () => {
    expect(windowInstantUs({ from: at(2_000_000_000), to: at(5_000_000_000) }, bounds)).toBe(2_000_000_000);
    expect(windowInstantUs({ to: at(2_000_000_000) }, bounds)).toBe(1_999_999_999);
    expect(windowInstantUs({ from: at(5_000_000_000) }, bounds)).toBe(5_000_000_000);
    expect(windowInstantUs({}, [])).toBe(0);
  });

  it('is null where a bound falls inside the window, an open end included', () => {
    expect(windowInstantUs({ from: at(1_000_000_000), to: at(3_000_000_000) }, bounds)).toBeNull();
    expect(windowInstantUs({ to: at(3_000_000_000) }, bounds)).toBeNull();
    expect(windowInstantUs({ from: at(4_000_000_000) }, bounds)).toBeNull();
    expect(windowInstantUs({}, bounds)).toBeNull();
  });
});

describe('nextQueryServices', () => {
  it('reads as many services as hold about 12k records at the average so far', () => {
    expect(nextQueryServices(50, 12_500, 50)).toBe(48); // 250 a service
    expect(nextQueryServices(50, 3_000, 50)).toBe(200); // 60 a service: 200, four times the last
    expect(nextQueryServices(100, 600_000, 100)).toBe(2); // 6,000 a service
    expect(nextQueryServices(50, 5_000_000, 50)).toBe(1); // more than 12k a service: one at a time
  });

  it('grows four times at most, where services hold few records or none', () => {
    expect(nextQueryServices(50, 0, 50)).toBe(200);
    expect(nextQueryServices(200, 20, 250)).toBe(800);
  });
});
