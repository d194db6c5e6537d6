import { describe, expect, it } from 'vitest';
import { emptyCursor, parseCursor, requestKey } from './cursor.js';
import { contains, createdQuery, windowFrom } from './windows.js';

describe('created windows', () => {
  it('asks for a closed window up to the second before its end, GitHub’s range being inclusive', () => {
    expect(createdQuery({ start: '2022-01-01T00:00:00.000Z', end: '2022-02-01T00:00:00.000Z' })).toBe('2022-01-01T00:00:00Z..2022-01-31T23:59:59Z');
  });
  it('asks for an open window from its start, rounded down to the second', () => {
    expect(createdQuery(windowFrom(new Date('2022-01-01T10:20:30.999Z')))).toBe('>=2022-01-01T10:20:30Z');
  });
  it.each([
    ['2021-12-31T23:59:59Z', false],
    ['2022-01-01T00:00:00Z', true],
    ['2022-01-31T23:59:59Z', true],
    ['2022-02-01T00:00:00Z', false],
  ])('contains %s: %s', (at, expected) => {
    expect(contains({ start: '2022-01-01T00:00:00.000Z', end: '2022-02-01T00:00:00.000Z' }, at)).toBe(expected);
  });
});

describe('cursor', () => {
  it('starts empty', () => {
    expect(parseCursor(undefined, 'a/b:commits')).toEqual(emptyCursor());
  });
  it('refuses a cursor it did not write rather than start over', () => {
    expect(() => parseCursor({ version: 2 }, 'a/b:commits')).toThrow('the stored github cursor of a/b:commits is not one this connector wrote');
  });
  it('keys a request by its path and sorted query', () => {
    expect(requestKey('/repos/a/b/pulls', { state: 'all', page: 1, sort: undefined })).toBe('/repos/a/b/pulls?page=1&state=all');
  });
});
