// The reducers' helpers against their SQL twins' definitions.
import { describe, expect, it } from 'vitest';
import { percentileCont, sortedValues } from './rollup.js';

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
