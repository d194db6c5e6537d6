// The incidents stream's cursor and the plan of a run it gives. Pure.
//
// - `read_until`: every incident created before it has been read. The run in progress moves it
//   forward window by window, so a run stopped between batches resumes at the next window.
// - `run_until`: the end of the run in progress (its `now`); null once the run completed.
// - `open`: incidents last seen unresolved. Incidents change after creation (they resolve
//   later), so an incremental run re-reads the last `overlap_days` of creations; the open ones
//   created before that are re-checked by id. Their last status change and first
//   acknowledgement are kept so an unchanged one costs no log request.
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { IncidentRecord } from '../contract.js';
import type { TimeWindow } from './windows.js';

const OpenIncident = Type.Object({
  id: Type.String({ minLength: 1 }),
  created_at: Type.String(),
  status_changed_at: Type.Union([Type.String(), Type.Null()]),
  acknowledged_at: Type.Union([Type.String(), Type.Null()]),
});
export type OpenIncident = Static<typeof OpenIncident>;

export const PagerDutyCursor = Type.Object({
  version: Type.Literal(1),
  read_until: Type.String(),
  run_until: Type.Union([Type.String(), Type.Null()]),
  open: Type.Array(OpenIncident),
});
export type PagerDutyCursor = Static<typeof PagerDutyCursor>;

export function parseCursor(value: unknown): PagerDutyCursor {
  if (!Value.Check(PagerDutyCursor, value) || Number.isNaN(Date.parse(value.read_until)) || (value.run_until !== null && Number.isNaN(Date.parse(value.run_until)))) {
    // Starting over silently would re-read two years; the operator decides instead.
    throw new Error(`the stored pagerduty/incidents cursor is not one this connector wrote: ${JSON.stringify(value).slice(0, 300)}`);
  }
  return value;
}

export interface RunPlan {
  /** Incidents created in this range are listed. */
  range: TimeWindow;
  /** When set, open incidents created before it are re-checked first (a new incremental run). */
  recheckBefore: Date | null;
  open: OpenIncident[];
}

/** What a pull does: a first sync, the rest of an interrupted run, or a new incremental run. */
export function planRun(cursor: PagerDutyCursor | undefined, now: Date, backfillStart: Date, overlapMs: number): RunPlan {
  if (!cursor) return { range: { start: backfillStart, end: now }, recheckBefore: null, open: [] };
  const readUntil = new Date(cursor.read_until);
  if (cursor.run_until !== null) return { range: { start: readUntil, end: new Date(cursor.run_until) }, recheckBefore: null, open: cursor.open };
  const start = new Date(readUntil.getTime() - overlapMs);
  return { range: { start, end: now }, recheckBefore: start, open: cursor.open };
}

/** Open incidents by id, kept up to date as records are made. */
export class OpenIncidents {
  private readonly byId: Map<string, OpenIncident>;

  constructor(open: readonly OpenIncident[]) {
    this.byId = new Map(open.map((incident) => [incident.id, incident]));
  }

  get(id: string): OpenIncident | undefined {
    return this.byId.get(id);
  }

  createdBefore(at: Date): OpenIncident[] {
    return [...this.byId.values()].filter((incident) => Date.parse(incident.created_at) < at.getTime());
  }

  note(record: IncidentRecord): void {
    if (record.resolved_at) this.byId.delete(record.external_id);
    else {
      this.byId.set(record.external_id, {
        id: record.external_id, created_at: record.created_at, status_changed_at: record.status_changed_at ?? null, acknowledged_at: record.acknowledged_at ?? null,
      });
    }
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  /** Oldest first, so cursors read well and compare equal. */
  list(): OpenIncident[] {
    return [...this.byId.values()].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id.localeCompare(b.id));
  }
}

export function cursorAt(readUntil: Date, runUntil: Date | null, open: OpenIncidents): PagerDutyCursor {
  return { version: 1, read_until: readUntil.toISOString(), run_until: runUntil ? runUntil.toISOString() : null, open: open.list() };
}
