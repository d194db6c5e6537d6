// Every migration, in order. Listed statically so the same code runs from TypeScript
// (tests, tsx) and from dist/ without a file-system scan. Append new ones; never edit.
import type { Migration } from 'kysely';
import * as coreTables from './2026_11_22_0001_core_tables.js';
import * as reportSnapshots from './2026_11_22_0002_report_snapshots.js';
import * as kpiValuesOneIndex from './2026_11_30_0003_kpi_values_one_index.js';
import * as derivationQueue from './2026_11_30_0004_derivation_queue.js';
import * as kpiValuesDetailsJson from './2026_11_30_0005_kpi_values_details_json.js';
import * as incidentSources from './2026_11_30_0006_incident_sources.js';
import * as ciRuns from './2026_11_30_0007_ci_runs.js';
import * as bugs from './2026_11_30_0008_bugs.js';
import * as pullRequestsMerged from './2026_11_30_0009_pull_requests_merged.js';
import * as derivationIndexes from './2026_11_30_0010_derivation_indexes.js';
import * as kpiValuesContentHash from './2026_11_30_0011_kpi_values_content_hash.js';
import * as kpiValuesFillfactor from './2026_11_30_0012_kpi_values_fillfactor.js';

export const migrations: Record<string, Migration> = {
  '2026_11_22_0001_core_tables': coreTables,
  '2026_11_22_0002_report_snapshots': reportSnapshots,
  '2026_11_30_0003_kpi_values_one_index': kpiValuesOneIndex,
  '2026_11_30_0004_derivation_queue': derivationQueue,
  '2026_11_30_0005_kpi_values_details_json': kpiValuesDetailsJson,
  '2026_11_30_0006_incident_sources': incidentSources,
  '2026_11_30_0007_ci_runs': ciRuns,
  '2026_11_30_0008_bugs': bugs,
  '2026_11_30_0009_pull_requests_merged': pullRequestsMerged,
  '2026_11_30_0010_derivation_indexes': derivationIndexes,
  '2026_11_30_0011_kpi_values_content_hash': kpiValuesContentHash,
  '2026_11_30_0012_kpi_values_fillfactor': kpiValuesFillfactor,
};
