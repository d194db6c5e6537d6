import { describe, expect, it } from 'vitest';
import { readCpuTicks, stealPercent } from './cpu-steal.js';

describe('stealPercent', () => {
  it('is the stolen share of the ticks between two readings', () => {
    expect(stealPercent({ total: 1000, steal: 10 }, { total: 3000, steal: 510 })).toBe(25);
    expect(stealPercent({ total: 1000, steal: 10 }, { total: 1400, steal: 10 })).toBe(0);
  });

  it('is unknown without two readings over some time', () => {
    expect(stealPercent(null, { total: 1, steal: 0 })).toBeNull();
    expect(stealPercent({ total: 5, steal: 0 }, { total: 5, steal: 0 })).toBeNull();
  });

  it('reads rising ticks from this machine where it runs Linux', () => {
    const first = readCpuTicks();
    if (process.platform !== 'linux') return expect(first).toBeNull();
    expect(first!.total).toBeGreaterThan(0);
    expect(first!.steal).toBeGreaterThanOrEqual(0);
    expect(first!.steal).toBeLessThanOrEqual(first!.total);
  });
});
