#!/usr/bin/env node
// bellwether serve | migrate | compute [--all] | import FILE | report --month M | demo — one entry for every command.
import './lib/heap-growth.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase, type Db } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { seedDemo } from './demo/seed.js';
import { detectFormat, importText, kindFromFilename, parseKind } from './ingest/import-file.js';
import { runComputeJob } from './jobs/scheduler.js';
import { systemClock } from './lib/clock.js';
import { AppError, ConfigError } from './lib/errors.js';
import { consoleLogger } from './lib/logger.js';
import type { MonthlyReport, ReportComparison, ReportKpi } from './reports/monthly-report.js';
import { formatRelativeChange, formatValue } from './kpi/format.js';
import { renderReportPdf } from './reports/render-pdf.js';
import { readMonthlyReport, snapshotMonth } from './reports/snapshots.js';
import { prepareDatabase, serve } from './main.js';
import { runSync } from './sync/run-sync.js';
import { onlyRepository, SYNC_SOURCES, syncSource, type SyncSource } from './sync/sources.js';

const USAGE = `usage: bellwether <command>

  serve                         start the API and the scheduled compute job (default)
  migrate                       run database migrations
  compute [--all]               recompute dirty KPI cells (or every cell)
  sync SOURCE [--since DATE] [--repo OWNER/NAME]
                                pull from github, pagerduty or opsgenie (resumes from the last
                                sync; --since sets where a first sync starts; --repo: one repository)
  import FILE [--kind K] [--format ndjson|json|csv]
                                import records (deployment, commit, pull_request, incident)
  report --month YYYY-MM [--reissue --reason TEXT] [--pdf FILE]
                                print a month's report (the latest issued version, else live
                                and provisional); --reissue issues a finished month again as
                                its next version, with the reason shown beside it; --pdf also
                                writes it as a PDF (needs Chromium and a built dashboard)
  demo [--scale N] [--weeks N]  seed the demo organisation's data (needs no bellwether.yaml)

Environment: DATABASE_URL (unset: embedded PGlite in BELLWETHER_DATA_DIR, default ./data),
BELLWETHER_CONFIG (default ./bellwether.yaml), PORT (3000), HOST (127.0.0.1),
GITHUB_TOKEN (or GITHUB_APP_*), GITHUB_WEBHOOK_SECRET, PAGERDUTY_TOKEN, PAGERDUTY_WEBHOOK_SECRET,
OPSGENIE_API_KEY, OPSGENIE_WEBHOOK_SECRET.`;

/** --since: a date (midnight UTC) or an ISO 8601 timestamp with a zone. */
function parseSince(text: string): Date {
  const at = /^\d{4}-\d\d-\d\d$/.test(text) ? new Date(`${text}T00:00:00Z`) : /(Z|[+-]\d\d:\d\d)$/i.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw new AppError('usage', 2, `--since must be a date (YYYY-MM-DD) or an ISO 8601 timestamp with a zone, got ${JSON.stringify(text)}`);
  return at;
}

async function withDatabase<T>(config: Config, run: (db: Db) => Promise<T>): Promise<T> {
  const handle = await openDatabase({ databaseUrl: config.env.databaseUrl, dataDir: config.env.dataDir });
  try {
    await prepareDatabase(handle.db, config, consoleLogger);
    return await run(handle.db);
  } finally {
    await handle.close();
  }
}

/** A month-over-month cell of the report table: '+38 % from 44 h, worse', or '-' without data on either side. */
function comparisonText(kpi: ReportKpi, comparison: ReportComparison): string {
  if (comparison.delta === null || comparison.value === null) return '-';
  const from = formatValue(comparison.value, kpi.unit);
  if (comparison.trend === 'flat') return `same as ${comparison.period.label}`;
  const word = comparison.trend === 'improving' ? 'better' : 'worse';
  if (comparison.delta_pct === null) return `from ${from}, ${word}`;
  return `${comparison.delta > 0 ? '+' : '-'}${formatRelativeChange(comparison.delta_pct)} from ${from}, ${word}`;
}

/** The report as plain text: a KPI table, the red items with owners, and the narrative. */
function formatReportText(report: MonthlyReport): string {
  const issued = report.status === 'final'
    ? `final, version ${report.version} of ${report.versions.length}, issued ${report.issued_at} (${report.versions.find((v) => v.version === report.version)?.reason ?? ''})`
    : `provisional: ${report.period.partial ? 'the month is not over' : 'not issued yet'}, built ${report.generated_at}`;
  const rows = [
    ['KPI', 'Value', 'n', 'Target', 'Status', 'vs previous month', 'vs quarter ago'],
    ...report.kpis.map((k) => [
      k.name, k.value === null ? 'no data' : formatValue(k.value, k.unit), String(k.n),
      `${k.direction === 'lower_is_better' ? '<=' : '>='} ${formatValue(k.target, k.unit)}`,
      k.status + (k.confidence === 'low' ? ' (low confidence)' : ''),
      comparisonText(k, k.previous_month), comparisonText(k, k.quarter_ago),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  table.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const red = report.red_items.length
    ? report.red_items.map((item) => `  - ${item.scope.type} ${item.scope.name}: ${item.name} ${item.value === null ? 'no data' : formatValue(item.value, item.unit)} (target ${formatValue(item.target, item.unit)}, n = ${item.n}), owner ${item.owner_team?.name ?? 'unknown'}${item.newly_red ? ', newly red' : ''}`)
    : ['  (none)'];
  return [
    `${report.organisation}: monthly report ${report.month} (${report.period.start} to ${report.period.end}, ${report.time_zone})`,
    issued,
    '',
    ...table,
    '',
    'Red items:',
    ...red,
    '',
    'What changed:',
    ...report.narrative.map((s) => `  - ${s.text}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      kind: { type: 'string' },
      format: { type: 'string' },
      scale: { type: 'string', default: '1' },
      weeks: { type: 'string', default: '26' },
      month: { type: 'string' },
      reissue: { type: 'boolean', default: false },
      reason: { type: 'string' },
      pdf: { type: 'string' },
      since: { type: 'string' },
      repo: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config);
      return -1; // keep running
    case 'migrate': {
      const handle = await openDatabase({ databaseUrl: config.env.databaseUrl, dataDir: config.env.dataDir });
      const results = await migrateToLatest(handle.db);
      await handle.close();
      console.log(results.length ? results.map((r) => `${r.status}: ${r.migrationName}`).join('\n') : 'database is up to date');
      return 0;
    }
    case 'compute':
      return withDatabase(config, async (db) => {
        const started = performance.now();
        const outcome = await runComputeJob(db, config.org, systemClock, consoleLogger, { all: values.all });
        console.log(`compute${values.all ? ' --all' : ''}: ${outcome.status}, ${outcome.cells} cells in ${Math.round(performance.now() - started)} ms`);
        return outcome.status === 'failed' ? 1 : 0;
      });
    case 'sync': {
      const source = positionals[0];
      if (!source || !(SYNC_SOURCES as readonly string[]).includes(source)) throw new AppError('usage', 2, `sync needs a SOURCE: ${SYNC_SOURCES.join(' or ')}`);
      const since = values.since === undefined ? undefined : parseSince(values.since);
      const runnable = syncSource(source as SyncSource, config);
      if (!runnable.ready) throw new AppError('usage', 2, `cannot sync ${source}: ${runnable.reason}`);
      if (values.repo !== undefined && source !== 'github') throw new AppError('usage', 2, '--repo goes with sync github');
      const connector = values.repo === undefined ? runnable.connector : onlyRepository(runnable.connector, values.repo);
      if (!connector.streams(runnable.settings).length) throw new AppError('usage', 2, `${values.repo} is not a repository of any service in bellwether.yaml`);
      return withDatabase(config, async (db) => {
        const abort = new AbortController();
        process.once('SIGINT', () => abort.abort(new Error('interrupted')));
        const summary = await runSync(db, config.org, connector, runnable.settings, {
          now: systemClock(), log: consoleLogger, signal: abort.signal, ...(since ? { since } : {}),
          onProgress: (p) => process.stderr.write(`\r${source}: ${p.stream.stream}, ${p.batches} batches, ${p.records} records (${p.inserted} new, ${p.updated} updated), `
            + `${p.requests} requests${p.rateLimitRemaining !== undefined ? `, rate limit left ${p.rateLimitRemaining}` : ''}   `),
        });
        process.stderr.write('\n');
        if (summary.status === 'skipped') {
          console.log(`sync ${source}: skipped, another sync of ${source} is running`);
          return 0;
        }
        console.log(`sync ${source}: ${summary.status}, run ${summary.runId}: ${summary.records} records (${summary.inserted} new, ${summary.updated} updated, ${summary.rejected} rejected) in ${summary.batches} batches, ${summary.requests} requests (${summary.notModified} not modified)${summary.error ? `\nerror: ${summary.error}` : ''}`);
        return summary.status === 'succeeded' ? 0 : 1;
      });
    }
    case 'import': {
      const file = positionals[0];
      if (!file) throw new AppError('usage', 2, 'import needs a FILE');
      const format = (values.format as 'ndjson' | 'json' | 'csv' | undefined) ?? detectFormat(file);
      if (!format) throw new AppError('usage', 2, `cannot tell the format of ${file}: use --format ndjson|json|csv`);
      const kind = values.kind ? parseKind(values.kind) : kindFromFilename(file);
      if (values.kind && !kind) throw new AppError('usage', 2, `unknown --kind ${values.kind}`);
      return withDatabase(config, async (db) => {
        const counts = await importText(db, config.org, readFileSync(file, 'utf8'), format, kind);
        console.log(`imported ${file}: ${counts.received} records (${counts.inserted} new, ${counts.updated} updated, ${counts.unchanged} unchanged)`);
        return 0;
      });
    }
    case 'report': {
      const month = values.month;
      if (!month) throw new AppError('usage', 2, 'report needs --month YYYY-MM');
      if (values.reissue && !values.reason?.trim()) throw new AppError('usage', 2, 'report --reissue needs --reason TEXT (shown with the new version)');
      if (!values.reissue && values.reason !== undefined) throw new AppError('usage', 2, '--reason goes with --reissue');
      return withDatabase(config, async (db) => {
        const report = values.reissue
          ? await snapshotMonth(db, config.org, month, systemClock(), values.reason!)
          : await readMonthlyReport(db, config.org, month, systemClock());
        console.log(formatReportText(report));
        if (values.pdf) {
          // The same page the dashboard shows, printed by Chromium through the app in-process.
          const app = await buildApp({ config, db, clock: systemClock });
          try {
            const pdf = await renderReportPdf(app, {
              month: report.month, chromiumPath: config.env.chromiumPath, apiToken: config.env.apiToken,
              ...(report.version ? { version: report.version } : {}),
            });
            writeFileSync(values.pdf, pdf);
            console.log(`\nPDF written to ${values.pdf} (${Math.round(pdf.length / 1024)} KB)`);
          } finally {
            await app.close();
          }
        }
        return 0;
      });
    }
    case 'demo':
      return withDatabase(config, async (db) => {
        const result = await seedDemo(db, config, systemClock, { scale: Number(values.scale), weeks: Number(values.weeks) });
        console.log(`demo seeded: ${result.counts.received} records, ${result.cells} KPI cells`);
        return 0;
      });
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else if (error instanceof AppError) {
      console.error(`error: ${error.message}`);
      for (const problem of error.problems) {
        const where = problem.line !== undefined ? `line ${problem.line} ` : problem.index !== undefined ? `record ${problem.index} ` : '';
        console.error(`  ${where}${problem.path}: ${problem.message}`);
      }
      process.exitCode = error.statusCode === 2 ? 2 : 1;
      return;
    } else console.error(error);
    process.exitCode = 1;
  },
);
