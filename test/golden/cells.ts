// Test helper for the golden tests of one KPI at a time: a cell as the scorecard serves it,
// and the records the explain API lists behind it, read through the HTTP API.
import { expect } from 'vitest';
import type { Harness } from '../harness.js';

/** A scorecard entry, as much of it as the golden tests check. */
export interface Entry {
  key: string;
  value: number | null;
  n: number;
  status: string;
  confidence: string;
  details: Record<string, unknown>;
}
export type Scope = 'org' | 'team' | 'service';
export type PeriodType = 'week' | 'month' | 'quarter';

/** What a hand-worked cell should hold (status and details only where given). */
export interface Expected {
  value: number | null;
  n: number;
  status?: string;
  details?: Record<string, unknown>;
}

const scopeQuery = (scope: Scope, id: string, period: PeriodType, at: string) => `scope=${scope}${scope === 'org' ? '' : `&id=${id}`}&period=${period}&at=${at}`;

/** The scorecard's entries of one scope and period, by KPI key. */
export async function scorecard(h: Harness, scope: Scope, id: string, period: PeriodType, at: string): Promise<Map<string, Entry>> {
  const url = `/api/v1/scorecard?${scopeQuery(scope, id, period, at)}`;
  const res = await h.app.inject({ method: 'GET', url });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return new Map((res.json() as { kpis: Entry[] }).kpis.map((k) => [k.key, k]));
}

/** One KPI's scorecard entry; fails the test when the scorecard lacks it. */
export async function entry(h: Harness, key: string, scope: Scope, id: string, period: PeriodType, at: string): Promise<Entry> {
  const found = (await scorecard(h, scope, id, period, at)).get(key);
  expect(found, `${key} ${scope}:${id} ${period} ${at}`).toBeDefined();
  return found!;
}

/** The first 100 records behind one KPI value. */
export async function explain(h: Harness, key: string, scope: Scope, id: string, period: PeriodType, at: string) {
  const url = `/api/v1/kpis/${key}/explain?${scopeQuery(scope, id, period, at)}&limit=100`;
  const res = await h.app.inject({ method: 'GET', url });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json() as { value: number | null; n: number; total: number; details: Record<string, unknown>; records: Record<string, unknown>[] };
}
