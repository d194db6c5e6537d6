import { describe, expect, it } from 'vitest';
import { isoFromMillis } from './iso-time.js';

describe('isoFromMillis', () => {
  it('writes exactly what Date#toISOString writes', () => {
    const instants = [0, 999, Date.UTC(2026, 10, 22, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 0, 0, 0, 1), Date.UTC(1999, 11, 31, 12, 5, 7, 42)];
    for (let i = 0; i < 1000; i++) instants.push(Date.UTC(2020, 0, 1) + Math.floor(i * 7919.37 * 3600e3 / 97));
    for (const at of instants) expect(isoFromMillis(at), String(at)).toBe(new Date(at).toISOString());
  });

  it('drops fractions of a millisecond as toISOString does', () => {
    expect(isoFromMillis(1_700_000_000_123.9)).toBe(new Date(1_700_000_000_123).toISOString());
  });
});
