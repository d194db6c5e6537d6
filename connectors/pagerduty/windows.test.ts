import { describe, expect, it } from 'vitest';
import { chunkWindow, contains, DAY_MS, MAX_WINDOW_MS, requestBounds, splitWindow, type TimeWindow } from './windows.js';

const window = (start: string, end: string): TimeWindow => ({ start: new Date(start), end: new Date(end) });

/** Consecutive, non-empty, and from the range's start to its end. */
function expectExactCover(parts: TimeWindow[], range: TimeWindow) {
  expect(parts[0]!.start.getTime()).toBe(range.start.getTime());
  expect(parts.at(-1)!.end.getTime()).toBe(range.end.getTime());
  for (const [i, part] of parts.entries()) {
    expect(part.end.getTime()).toBeGreaterThan(part.start.getTime());
    if (i > 0) expect(part.start.getTime()).toBe(parts[i - 1]!.end.getTime());
  }
}

describe('chunkWindow', () => {
  it('cuts two years into windows PagerDuty accepts, covering it exactly', () => {
    const range = window('2024-03-01T10:00:00.123Z', '2026-03-01T10:00:00.456Z');
    const chunks = chunkWindow(range);
    expect(chunks).toHaveLength(Math.ceil((range.end.getTime() - range.start.getTime()) / MAX_WINDOW_MS));
    expectExactCover(chunks, range);
    for (const chunk of chunks) expect(chunk.end.getTime() - chunk.start.getTime()).toBeLessThanOrEqual(179 * DAY_MS);
  });

  it('gives nothing for an empty range', () => {
    expect(chunkWindow(window('2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('splitWindow', () => {
  it('splits at whole seconds into parts that cover the window exactly', () => {
    const range = window('2026-01-01T00:00:00.250Z', '2026-01-11T00:00:00.750Z');
    const parts = splitWindow(range, 7);
    expect(parts).toHaveLength(7);
    expectExactCover(parts, range);
    for (const part of parts.slice(1)) expect(part.start.getUTCMilliseconds()).toBe(0);
  });

  it('does not split a window shorter than two seconds', () => {
    const short = window('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.999Z');
    expect(splitWindow(short, 2)).toEqual([short]);
  });

  it('makes fewer parts when the seconds run out', () => {
    const range = window('2026-01-01T00:00:00Z', '2026-01-01T00:00:03Z');
    const parts = splitWindow(range, 10);
    expect(parts.length).toBe(3);
    expectExactCover(parts, range);
  });
});

describe('requestBounds and contains', () => {
  it('asks a second wider on each side, in whole seconds', () => {
    expect(requestBounds(window('2026-01-01T00:00:00.500Z', '2026-01-02T00:00:00Z'))).toEqual({ since: '2025-12-31T23:59:59Z', until: '2026-01-02T00:00:01Z' });
  });

  it('is half-open: the start belongs to the window, the end to the next one', () => {
    const first = window('2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z');
    const second = window('2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z');
    expect(contains(first, '2026-01-01T00:00:00.000000Z')).toBe(true);
    expect(contains(first, '2026-01-02T00:00:00Z')).toBe(false);
    expect(contains(second, '2026-01-02T00:00:00Z')).toBe(true);
    expect(contains(first, '2026-01-01T23:59:59.999Z')).toBe(true);
  });
});
