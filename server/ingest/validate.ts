// Validates incoming records against the published JSON Schemas (connectors/contract.ts)
// and the organisation (known services and repositories, no negative durations).
// Every problem is collected with its path; nothing is written when any exists.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { recordSchemas, type NormalizedRecord, type RecordKind } from '../../connectors/contract.js';
import type { FieldProblem } from '../lib/errors.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
const validators = Object.fromEntries(
  Object.entries(recordSchemas).map(([kind, schema]) => [kind, ajv.compile(schema)]),
) as Record<RecordKind, ValidateFunction>;

export interface Catalog {
  services: ReadonlySet<string>;
  /** Whether a repository belongs to a service (by name or by pattern). */
  repositories: { has(repository: string): boolean };
}

export interface ValidationOutcome {
  records: NormalizedRecord[];
  problems: FieldProblem[];
}

/** `where` locates each item for the report: an index in a batch or a line in a file. */
export type Locator = (position: number) => { index?: number; line?: number };

export function validateRecords(items: { kind: RecordKind; value: unknown }[], catalog: Catalog, locate: Locator): ValidationOutcome {
  const records: NormalizedRecord[] = [];
  const problems: FieldProblem[] = [];
  items.forEach(({ kind, value }, position) => {
    const where = locate(position);
    const validate = validators[kind];
    const valid = validate(value);
    if (!valid) for (const error of validate.errors ?? []) problems.push({ ...where, ...describe(error) });
    // Checks against the organisation run on every object too, so one pass reports everything.
    const found = value && typeof value === 'object' ? semanticProblems(kind, value as Record<string, unknown>, catalog) : [];
    for (const problem of found) problems.push({ ...where, ...problem });
    if (valid && !found.length) records.push(normalise(kind, value as Record<string, unknown>));
  });
  return { records, problems };
}

function describe(error: ErrorObject): { path: string; message: string } {
  if (error.keyword === 'required') {
    const field = (error.params as { missingProperty: string }).missingProperty;
    return { path: `${error.instancePath}/${field}`, message: 'is required' };
  }
  if (error.keyword === 'format' && (error.params as { format: string }).format === 'date-time') {
    return { path: error.instancePath, message: 'must be an ISO 8601 timestamp with a zone (Z or ±hh:mm)' };
  }
  return { path: error.instancePath || '/', message: error.message ?? 'is invalid' };
}

const time = (value: unknown) => (typeof value === 'string' ? Date.parse(value) : Number.NaN);

/** `later` must not be before `earlier` when both are present. */
function order(record: Record<string, unknown>, earlier: string, later: string): FieldProblem[] {
  const a = time(record[earlier]);
  const b = time(record[later]);
  return Number.isFinite(a) && Number.isFinite(b) && b < a ? [{ path: `/${later}`, message: `must not be before ${earlier} (negative duration)` }] : [];
}

function semanticProblems(kind: RecordKind, record: Record<string, unknown>, catalog: Catalog): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (kind === 'deployment' || kind === 'incident' || kind === 'bug') {
    if (typeof record.service === 'string' && !catalog.services.has(record.service)) {
      problems.push({ path: '/service', message: `unknown service ${JSON.stringify(record.service)} (not in bellwether.yaml)` });
    }
  }
  if (kind === 'commit' || kind === 'pull_request' || kind === 'ci_run') {
    if (typeof record.repository === 'string' && !catalog.repositories.has(record.repository)) {
      problems.push({ path: '/repository', message: `repository ${JSON.stringify(record.repository)} is not listed under any service in bellwether.yaml (by name or pattern)` });
    }
  }
  if (kind === 'deployment' || kind === 'ci_run') problems.push(...order(record, 'started_at', 'finished_at'));
  if (kind === 'commit') problems.push(...order(record, 'authored_at', 'committed_at'));
  if (kind === 'pull_request') {
    problems.push(...order(record, 'opened_at', 'merged_at'), ...order(record, 'opened_at', 'first_review_at'));
    if (record.merge_commit_sha && !record.merged_at) problems.push({ path: '/merged_at', message: 'is required when merge_commit_sha is given' });
  }
  if (kind === 'incident') {
    const start = record.started_at ? 'started_at' : 'created_at';
    problems.push(...order(record, start, 'resolved_at'), ...order(record, 'created_at', 'acknowledged_at'));
    if (record.started_at) problems.push(...order(record, 'started_at', 'created_at').map((p) => ({ ...p, message: 'must not be before started_at' })));
  }
  if (kind === 'bug') problems.push(...order(record, 'created_at', 'closed_at'));
  return problems;
}

/** Canonical forms: lower-case shas, sev1..sev5. */
function normalise(kind: RecordKind, value: Record<string, unknown>): NormalizedRecord {
  const record = { ...value };
  for (const field of ['sha', 'commit_sha', 'merge_commit_sha', 'cause_commit_sha']) {
    if (typeof record[field] === 'string') record[field] = (record[field] as string).toLowerCase();
  }
  for (const field of ['parents', 'commit_shas']) {
    if (Array.isArray(record[field])) record[field] = (record[field] as string[]).map((sha) => sha.toLowerCase());
  }
  if (kind === 'incident' || kind === 'bug') record.severity = `sev${String(record.severity).slice(-1)}`;
  return { kind, record } as NormalizedRecord;
}
