// How a validated record becomes its raw table's row. One description per table serves both
// ways a row is made: ingest's upsert reads the columns out of the record's JSON in SQL, as the
// database parses it (ingest.ts: each record travels once, as the payload it is stored as), and
// rowOf makes the very same row in TypeScript (the bench loads it by COPY and row by row).
import type { RecordKind } from '../../connectors/contract.js';

export type RawTable = 'commits' | 'pull_requests' | 'deployments' | 'incidents' | 'ci_runs' | 'bugs';

/** Where a column's value comes from: the record's field of the same name, unless said otherwise. */
export interface ColumnSource {
  /** The record's field, when its name is not the column's (a text field). */
  field?: string;
  /** The value when the record leaves the field out or sets it to null. */
  default?: string | boolean | [];
  /** The one value kept: any other is stored as null. */
  only?: string;
}

export interface RawTableRows {
  table: RawTable;
  /** The natural key the upsert matches on: fields of the record under the columns' own names. */
  keys: string[];
  /** Every column written from the record, in order; `payload` (the record itself) comes last. */
  columns: Record<string, ColumnSource>;
}

const same: ColumnSource = {};
const emptyArray: ColumnSource = { default: [] };

export const RAW_ROWS: Record<RecordKind, RawTableRows> = {
  commit: {
    table: 'commits',
    keys: ['repository', 'sha'],
    columns: {
      source: { default: 'api' }, repository: same, sha: same, parents: same, authored_at: same, committed_at: same, author: same, message: same,
    },
  },
  pull_request: {
    table: 'pull_requests',
    keys: ['repository', 'number'],
    columns: {
      source: { default: 'api' }, repository: same, number: same, title: same, author: same, opened_at: same, first_review_at: same,
      merged_at: same, merge_commit_sha: same, commit_shas: emptyArray, url: same,
    },
  },
  deployment: {
    table: 'deployments',
    keys: ['source', 'external_id'],
    columns: {
      source: same, external_id: same, service_id: { field: 'service' }, environment: same, status: same, started_at: same, finished_at: same,
      commit_sha: same, ref: same, labels: emptyArray, url: same,
      // Not the record's: ingest derives it from the service's production rule as the row is written.
      is_production: { default: false },
    },
  },
  incident: {
    table: 'incidents',
    keys: ['source', 'external_id'],
    columns: {
      source: same, external_id: same, service_id: { field: 'service' }, severity: same, title: same, created_at: same, started_at: same,
      acknowledged_at: same, resolved_at: same, deployment_external_id: same, cause_commit_sha: same, resolved_by_deployment_external_id: same,
      root_cause_key: same, url: same, urgency: same, dedup_key: same, status_changed_at: same, cause_pull_request: same,
      // Not part of the published record: set by the incident cause API (routes/v1/incidents.ts).
      cause_set_via: { only: 'api' },
    },
  },
  ci_run: {
    table: 'ci_runs',
    keys: ['source', 'external_id'],
    columns: {
      source: same, external_id: same, repository: same, workflow: same, branch: same, event: same, commit_sha: same, status: same,
      started_at: same, finished_at: same, url: same,
    },
  },
  bug: {
    table: 'bugs',
    keys: ['source', 'external_id'],
    columns: {
      source: same, external_id: same, service_id: { field: 'service' }, repository: same, title: same, severity: same, created_at: same,
      closed_at: same, found_in_production: same, url: same, labels: emptyArray,
    },
  },
};

/** The row `record` is stored as (its columns, then `payload`, the record as JSON). */
export function rowOf(kind: RecordKind, record: object): Record<string, unknown> {
  const fields = record as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const [column, source] of Object.entries(RAW_ROWS[kind].columns)) {
    const value = fields[source.field ?? column] ?? source.default ?? null;
    row[column] = source.only === undefined || value === source.only ? value : null;
  }
  row.payload = JSON.stringify(record);
  return row;
}
