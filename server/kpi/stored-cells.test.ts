// The content hash stands in for the JSON text the engine writes: equal text, equal hash.
import { describe, expect, it } from 'vitest';
import { contentHash } from './stored-cells.js';

describe('contentHash', () => {
  it('equals for contents JSON writes the same', () => {
    expect(contentHash(-0, 3, { p50: -0 })).toBe(contentHash(0, 3, { p50: 0 }));
    expect(contentHash(NaN, 0, { p50: Infinity, p90: -Infinity })).toBe(contentHash(null, 0, { p50: null, p90: null }));
    expect(contentHash(1, 1, { a: 1, gone: undefined })).toBe(contentHash(1, 1, { a: 1 }));
    expect(contentHash(1, 1, { list: [1, undefined, 2] })).toBe(contentHash(1, 1, { list: [1, null, 2] }));
    expect(contentHash(1, 1, { at: new Date('2026-11-30T00:00:00Z') })).toBe(contentHash(1, 1, { at: '2026-11-30T00:00:00.000Z' }));
  });

  it('differs where the JSON text differs', () => {
    const base = contentHash(12.5, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: null } });
    const variants: [number | null, number, unknown][] = [
      [12.5, 5, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: null } }],
      [12.500000000000002, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: null } }],
      [null, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: null } }],
      [12.5, 4, { p90: 40, p50: 12.5, sev1_2: { n: 2, p50: null } }],
      [12.5, 4, { p50: '12.5', p90: 40, sev1_2: { n: 2, p50: null } }],
      [12.5, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: 0 } }],
      [12.5, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2 } }],
      [12.5, 4, { p50: 12.5, p90: 40, sev1_2: [2, null] }],
      [12.5, 4, { p50: 12.5, p90: 40, sev1_2: { n: 2, p50: false } }],
    ];
    const hashes = variants.map(([value, n, details]) => contentHash(value, n, details));
    expect(new Set([base, ...hashes]).size).toBe(variants.length + 1);
  });

  it('reads back the same from the stored JSON text, for many random cells', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const number = () => [0, -0, 1e-5, 1 / 3, Math.round(random() * 1000), random() * 1e6, NaN, null][Math.floor(random() * 8)]!;
    for (let i = 0; i < 2000; i++) {
      const details = { p50: number(), p90: number(), by_severity: { sev1: Math.floor(random() * 9), sev2: number() }, reason: random() < 0.5 ? 'x' : null };
      const value = number();
      const stored = JSON.parse(JSON.stringify({ value, details })) as { value: number | null; details: unknown };
      expect(contentHash(stored.value, i, stored.details)).toBe(contentHash(value, i, details));
    }
  });
});
