// Reads an import file (NDJSON, JSON or CSV) into kind-tagged items for validation.
// Each item remembers its line (NDJSON, CSV) or index (JSON) for the per-record report.
import { parse as parseCsv } from 'csv-parse/sync';
import { RECORD_KINDS, type RecordKind } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { InvalidInput, type FieldProblem } from '../lib/errors.js';
import { validateAndIngest, type IngestCounts } from './ingest.js';

export type FileFormat = 'ndjson' | 'json' | 'csv';

export interface ImportItem {
  kind: RecordKind;
  value: unknown;
  where: { line?: number; index?: number };
}

/** From a content type (`text/csv; charset=utf-8`) or a file name (`deploys.ndjson`). */
export function detectFormat(hint: string): FileFormat | null {
  const value = hint.toLowerCase();
  if (/(x-ndjson|jsonl|ndjson|\.jsonl$)/.test(value)) return 'ndjson';
  if (/(text\/csv|\.csv$)/.test(value)) return 'csv';
  if (/(application\/json|\.json$)/.test(value)) return 'json';
  return null;
}

const KIND_ALIASES: Record<string, RecordKind> = {
  deployment: 'deployment', deployments: 'deployment',
  commit: 'commit', commits: 'commit',
  pull_request: 'pull_request', pull_requests: 'pull_request', 'pull-request': 'pull_request', 'pull-requests': 'pull_request',
  incident: 'incident', incidents: 'incident',
  ci_run: 'ci_run', ci_runs: 'ci_run', 'ci-run': 'ci_run', 'ci-runs': 'ci_run',
  bug: 'bug', bugs: 'bug',
};

export function parseKind(value: string | undefined): RecordKind | undefined {
  return value === undefined ? undefined : KIND_ALIASES[value.toLowerCase()];
}

/** A file named e.g. `deployments.csv` holds deployments unless its rows say otherwise. */
export function kindFromFilename(name: string): RecordKind | undefined {
  const stem = name.split('/').pop()!.split('.')[0]!.toLowerCase();
  return Object.entries(KIND_ALIASES).find(([alias]) => stem === alias || stem.endsWith(`-${alias}`) || stem.endsWith(`_${alias}`))?.[1];
}

const ARRAY_FIELDS = new Set(['parents', 'commit_shas', 'labels']);
const INTEGER_FIELDS = new Set(['number']);
const BOOLEAN_FIELDS = new Set(['found_in_production']);

export function parseImportFile(text: string, format: FileFormat, defaultKind?: RecordKind): { items: ImportItem[]; problems: FieldProblem[] } {
  const items: ImportItem[] = [];
  const problems: FieldProblem[] = [];
  const take = (raw: unknown, where: ImportItem['where']) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ ...where, path: '/', message: 'must be an object' });
      return;
    }
    const { kind: rawKind, ...value } = raw as Record<string, unknown>;
    const kind = typeof rawKind === 'string' ? parseKind(rawKind) : defaultKind;
    if (!kind) {
      problems.push({
        ...where,
        path: '/kind',
        message: rawKind === undefined
          ? `record kind unknown: add a "kind" field (${RECORD_KINDS.join(', ')}) or pass kind for the whole file`
          : `unknown kind ${JSON.stringify(rawKind)} (expected ${RECORD_KINDS.join(', ')})`,
      });
      return;
    }
    items.push({ kind, value, where });
  };

  if (format === 'ndjson') {
    text.split(/\r?\n/).forEach((line, i) => {
      if (!line.trim()) return;
      try {
        take(JSON.parse(line), { line: i + 1 });
      } catch (error) {
        problems.push({ line: i + 1, path: '/', message: `not valid JSON: ${(error as Error).message}` });
      }
    });
  } else if (format === 'json') {
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (error) {
      problems.push({ path: '/', message: `not valid JSON: ${(error as Error).message}` });
      return { items, problems };
    }
    if (Array.isArray(document)) {
      document.forEach((raw, index) => take(raw, { index }));
    } else if (document && typeof document === 'object') {
      // { "deployments": [...], "commits": [...] } or { "records": [...] }
      for (const [key, list] of Object.entries(document)) {
        const kind = key === 'records' ? defaultKind : parseKind(key);
        if (!Array.isArray(list) || (key !== 'records' && !kind)) {
          problems.push({ path: `/${key}`, message: `expected an array under records or a record kind (${RECORD_KINDS.join(', ')})` });
          continue;
        }
        list.forEach((raw, index) => take(kind && key !== 'records' ? { kind, ...(raw as object) } : raw, { index }));
      }
    } else {
      problems.push({ path: '/', message: 'expected an array of records or an object of arrays' });
    }
  } else {
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, bom: true });
    } catch (error) {
      problems.push({ path: '/', message: `not valid CSV: ${(error as Error).message}` });
      return { items, problems };
    }
    rows.forEach((row, i) => {
      const value: Record<string, unknown> = {};
      for (const [field, cell] of Object.entries(row)) {
        if (ARRAY_FIELDS.has(field)) value[field] = cell.split(/[\s;|]+/).filter(Boolean); // empty cell = []
        else if (cell === '') continue; // empty cell = field absent
        else if (INTEGER_FIELDS.has(field) && /^-?\d+$/.test(cell)) value[field] = Number(cell);
        else if (BOOLEAN_FIELDS.has(field) && /^(true|false)$/i.test(cell)) value[field] = cell.toLowerCase() === 'true';
        else value[field] = cell;
      }
      take(value, { line: i + 2 }); // line 1 is the header
    });
  }
  return { items, problems };
}

/** Reads, validates and ingests one file in one transaction (the API's /import and `bellwether import`). */
export async function importText(db: Db, org: OrgConfig, text: string, format: FileFormat, kind: RecordKind | undefined): Promise<IngestCounts> {
  const { items, problems } = parseImportFile(text, format, kind);
  if (problems.length) throw new InvalidInput(`${new Set(problems.map((p) => p.line ?? p.index)).size} record(s) could not be read; nothing was written`, problems);
  if (!items.length) throw new InvalidInput('the file holds no records', [{ path: '/', message: 'empty' }]);
  return validateAndIngest(db, org, items, (i) => items[i]!.where);
}
