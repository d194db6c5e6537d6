// `npm run bench [-- --profile org-S|org-L]`: the scale benchmark of issue #7. Every phase is
// timed, every baseline is measured in the same run, and the results go to bench/results.json
// with a short table at the end. Runs on the Postgres server in DATABASE_URL, else on PGlite.
// The product's work (ingest, computes, API) runs in the service's own process over HTTP
// (bench/service.ts), so its peak RSS covers all of it; the baselines run in this one.
import { cpus, totalmem } from 'node:os';
import { writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { parseArgs } from 'node:util';
import type { NormalizedRecord } from '../connectors/contract.js';
import { parseOrgConfig } from '../server/config.js';
import type { IngestCounts } from '../server/ingest/ingest.js';
import { readCpuTicks, stealPercent } from './cpu-steal.js';
import { createBenchDatabase } from './database.js';
import { expectedCounts, generateBatches, generateExtraWeek, orgYaml, sampleRecords } from './generate.js';
import { measureApiLoad, measurePanel } from './api-load.js';
import { buildDashboard, measureFirstScreen } from './first-screen.js';
import { leadTimeCorrectness, loadFourKeysEvents, measureDashboardBaseline } from './four-keys.js';
import { measureIngestBaselines, ROUNDS } from './ingest-baseline.js';
import { PROFILES, type ProfileName } from './profiles.js';
import { pushNdjson, toNdjson } from './push.js';
import { buildService, startService, withoutScheduledCompute, type RunningService } from './service.js';

// A Monday 00:00 UTC: the 104 generated weeks end here and the extra week starts here.
const NOW = new Date('2026-11-16T00:00:00Z');
const WEEK_MS = 7 * 24 * 3600e3;
/** The dashboard panels compared with Four Keys: the API's longest series (weeks). */
const PANEL_WEEKS = 104;
const RESULTS = new URL('./results.json', import.meta.url);

interface Target {
  name: string;
  target: string;
  value: number | boolean | null;
  pass: boolean | null;
}

/** Whether `value` meets `limit`; null when nothing was measured or the target is for another profile. */
const meets = (value: number | null | undefined, check: (v: number) => boolean, applies = true) =>
  value === null || value === undefined || !applies ? null : check(value);

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  return { ms: Math.round(performance.now() - started), result };
}

function progress(label: string, done: number, total: number, started: number, service: RunningService): void {
  if (!process.stdout.isTTY) return;
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`\r  ${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} records, ${seconds.toFixed(0)} s, service rss ${service.rssMb()} MB   `);
}

/**
 * Pushes every batch to the service, one request at a time; the next batch is generated and
 * serialised while the service ingests the previous one, as a connector's pipeline would.
 */
async function ingestStream(label: string, service: RunningService, batches: Iterable<NormalizedRecord[]>, total: number) {
  const started = performance.now();
  const counts = { received: 0, inserted: 0, updated: 0, unchanged: 0 };
  const add = (written: IngestCounts) => {
    counts.received += written.received;
    counts.inserted += written.inserted;
    counts.updated += written.updated;
    counts.unchanged += written.unchanged;
    progress(label, counts.received, total, started, service);
  };
  let pending: Promise<IngestCounts> | null = null;
  for (const batch of batches) {
    const body = toNdjson(batch);
    if (pending) add(await pending);
    pending = pushNdjson(service.url, body);
  }
  if (pending) add(await pending);
  if (process.stdout.isTTY) process.stdout.write('\n');
  return counts;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { profile: { type: 'string', default: 'org-S' }, keep: { type: 'boolean', default: false } } });
  const profileName = values.profile as ProfileName;
  const profile = PROFILES[profileName];
  if (!profile) {
    console.error(`unknown profile ${values.profile}: use ${Object.keys(PROFILES).join(' or ')}`);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const org = parseOrgConfig(orgYaml(profile), `${profileName}.yaml`);
  const serviceYaml = withoutScheduledCompute(orgYaml(profile));
  const database = await createBenchDatabase(databaseUrl, profileName.replace('-', '_'), { keep: values.keep });
  console.log(`bench ${profileName} on ${database.kind} (${database.version.split(',')[0]}), ${cpus().length} cores`);
  if (values.keep && database.name) console.log(`  --keep: the data stays in database ${database.name}`);

  const ticksAtStart = readCpuTicks();
  /** CPU steal (cpu-steal.ts) per phase, in percent of the machine's CPU time. */
  const steal: Record<string, number | null> = {};
  const measuringSteal = async <T>(phase: string, run: () => Promise<T>): Promise<T> => {
    const before = readCpuTicks();
    try {
      return await run();
    } finally {
      steal[phase] = stealPercent(before, readCpuTicks());
    }
  };

  try {
    const expected = expectedCounts(profile);
    const total = Object.values(expected.history).reduce((a, b) => a + b, 0);
    const extraTotal = Object.values(expected.extraWeek).reduce((a, b) => a + b, 0);
    const weekLater = new Date(NOW.getTime() + WEEK_MS);
    const at = NOW.toISOString().slice(0, 10); // the extra week: the last one with data

    // The service, compiled as production runs it, does the ingest, the computes and the API
    // load, on the bench's `now` (its boot compute runs on the still empty database).
    const [entry, web] = await Promise.all([buildService(), buildDashboard()]);
    const serviceOptions = { databaseUrl: database.url, dataDir: database.dataDir, orgYaml: serviceYaml, webDir: web.dir, entry, now: NOW };
    const boots: RunningService['boot'][] = [];
    const serviceRssAfter: Record<string, number> = {};
    const serviceProcessesMb: number[] = [];
    const rssAfter: Record<string, number> = {};
    const unexpectedComputes: number[] = [];
    const benchJobs = new Set<number>();
    const withService = async <T>(use: (service: RunningService) => Promise<T>): Promise<T> => {
      const service = await startService(serviceOptions);
      boots.push(service.boot);
      try {
        return await use(service);
      } finally {
        await service.stop();
        serviceProcessesMb.push(service.peakRssMb());
        // The boot compute and the bench's own jobs only: a scheduled tick would have disturbed the timings.
        unexpectedComputes.push(service.computeSpans().filter((span, i) => i > 0 && !benchJobs.has(span.jobRun ?? -1)).length);
      }
    };

    const ingestPhase = async (service: RunningService) => {
      console.log(`1. generate + ingest ${total.toLocaleString('en-US')} records (${profile.weeks} weeks) through the push API`);
      const ingest = await timed(() => ingestStream('ingest', service, generateBatches(profile, { now: NOW }), total));
      serviceRssAfter.generate_ingest = service.peakRssMb();
      rssAfter.generate_ingest = peakRssMb();
      return ingest;
    };
    // Planner statistics as autovacuum would leave them after a bulk load (some servers, this
    // machine's among them, run with autovacuum off; PGlite has none). From this process,
    // timed apart from every phase.
    const analyzePhase = () => timed(() => sql`analyze`.execute(database.db));
    // Ingest only queues the services it touched for derivation (server/derive/queue.ts): the
    // first compute after the load derives every service's history and rolls up the cells.
    const firstComputePhase = async (service: RunningService) => {
      console.log('1b. first compute after the load: derive every service\'s facts, roll up (a compute job of the service)');
      const first = await service.compute();
      benchJobs.add(first.id);
      serviceRssAfter.first_compute = service.peakRssMb();
      return first;
    };
    const computeAndLoadPhases = async (service: RunningService) => {
      console.log('2. full recompute of every KPI (a compute job of the service)');
      const full = await measuringSteal('full_recompute', () => service.compute({ all: true }));
      benchJobs.add(full.id);
      serviceRssAfter.full_recompute = service.peakRssMb();

      console.log(`3. one more week (${extraTotal.toLocaleString('en-US')} records), then the incremental recompute a week later`);
      const extraIngest = await timed(() => ingestStream('extra week', service, generateExtraWeek(profile, { now: NOW }), extraTotal));
      const incremental = await measuringSteal('incremental_recompute', () => service.compute({ now: weekLater }));
      benchJobs.add(incremental.id);
      serviceRssAfter.extra_week = service.peakRssMb();
      rssAfter.extra_week = peakRssMb();

      // In this process, on databases of their own: the service idles meanwhile.
      console.log(`4. ingest baselines: row-by-row upsert and COPY of the same 20k-record sample (ours and COPY: median of ${ROUNDS} alternating rounds)`);
      const baseline = await measureIngestBaselines(databaseUrl, org, sampleRecords(profile, { now: NOW }));
      rssAfter.ingest_baselines = peakRssMb();

      console.log('5. the service: API load (autocannon), the same dashboard panels, first-screen bytes');
      // Our answer to Four Keys' two panels: the organisation's weekly series over the same weeks.
      const panel = await measurePanel(`${service.url}/api/v1/series?scope=org&period=week&periods=${PANEL_WEEKS}&at=${at}`, 20);
      const api = await measuringSteal('api_load', () => measureApiLoad(service.url, { team: 'area-1', kpi: 'lead_time_for_changes', at, explainPeriod: 'month' }));
      const firstScreen = await measureFirstScreen(service.url, undefined, { at });
      serviceRssAfter.api_load = service.peakRssMb();
      return { full, extraIngest, incremental, baseline, panel, api, firstScreen };
    };

    let ingest: Awaited<ReturnType<typeof ingestPhase>>;
    let analyze: Awaited<ReturnType<typeof analyzePhase>>;
    let firstCompute: Awaited<ReturnType<typeof firstComputePhase>>;
    let served: Awaited<ReturnType<typeof computeAndLoadPhases>>;
    if (database.kind === 'pglite') {
      // PGlite opens a folder in one process at a time, and the ANALYZE runs here: the service
      // is stopped for it and started again, and its peak is the larger of the two processes'.
      // PGlite has no autovacuum: the first compute runs on the load's statistics, as a user's would.
      [ingest, firstCompute] = await database.lend(() => withService(async (service) => [await ingestPhase(service), await firstComputePhase(service)] as const));
      analyze = await analyzePhase();
      served = await database.lend(() => withService(computeAndLoadPhases));
    } else {
      [ingest, analyze, firstCompute, served] = await database.lend(() => withService(async (service) => {
        const loaded = await ingestPhase(service);
        const analyzed = await analyzePhase();
        return [loaded, analyzed, await firstComputePhase(service), await computeAndLoadPhases(service)] as const;
      }));
    }
    web.remove();
    const { full, extraIngest, incremental, baseline } = served;
    if (unexpectedComputes.some((n) => n > 0)) console.warn(`  warning: the service ran ${unexpectedComputes.join(' + ')} compute(s) besides its boot compute and the bench's jobs`);

    // The same deployments and commits as Four Keys keeps them, in the same database, after the
    // service is done with it (on PGlite this process could not open it before).
    console.log('6. Four Keys-style baseline: raw events, views computed per request; lead-time correctness gate');
    const range = { from: new Date(NOW.getTime() - profile.weeks * WEEK_MS), to: weekLater };
    const events = await timed(() => loadFourKeysEvents(database, profile, { now: NOW, extraWeek: true }));
    const correctness = await timed(() => leadTimeCorrectness(database, range));
    // The panels cover the API's longest series: the last 104 weeks, the extra week included.
    const panelRange = { from: new Date(weekLater.getTime() - PANEL_WEEKS * WEEK_MS), to: weekLater };
    const fourKeys = await timed(() => measureDashboardBaseline(database, { ...panelRange, repeats: profileName === 'org-L' ? 3 : 5 }));
    rssAfter.four_keys = peakRssMb();

    const ratios = {
      ...baseline.ratios,
      incremental_speedup: full.ms / Math.max(incremental.ms, 1),
      dashboard_speedup: fourKeys.result.ms.median / served.panel.median_ms,
    };
    const firstScreenKb = served.firstScreen.result ? served.firstScreen.result.bytes_compressed / 1024 : null;
    // The service's VmHWM over the whole run: ingest, computes and load (on PGlite, the larger of its two processes').
    const peakRss = Math.max(...serviceProcessesMb);
    const benchRss = peakRssMb();
    const isL = profileName === 'org-L';
    // The timing targets are for a Postgres server; PGlite (WASM Postgres in one process) is
    // held to twice each. Ratios compare with baselines on the same database: no slack.
    const slack = database.kind === 'pglite' ? 2 : 1;
    const onPglite = (limit: string) => (slack === 1 ? '' : ` (PGlite: ${limit})`);
    const targets: Target[] = [
      { name: 'ingest efficiency, new rows', target: '>= 0.4 x COPY', value: ratios.ingest_efficiency_new, pass: ratios.ingest_efficiency_new >= 0.4 },
      { name: 'ingest efficiency, unchanged re-sync', target: '>= 0.8 x COPY', value: ratios.ingest_efficiency_unchanged, pass: ratios.ingest_efficiency_unchanged >= 0.8 },
      { name: 'full recompute', target: `<= 10 s at org-L${onPglite('20 s')}`, value: full.ms, pass: meets(full.ms, (v) => v <= 10_000 * slack, isL) },
      { name: 'incremental week', target: `<= 1 s at org-L${onPglite('2 s')}`, value: incremental.ms, pass: meets(incremental.ms, (v) => v <= 1_000 * slack, isL) },
      { name: 'scorecard API p95', target: `<= 25 ms${onPglite('50 ms')}`, value: served.api.scorecard.p95_ms, pass: meets(served.api.scorecard.p95_ms, (v) => v <= 25 * slack) },
      { name: 'scorecard API throughput', target: `>= 1,000 req/s at 20 connections${onPglite('500')}`, value: served.api.scorecard.rps, pass: meets(served.api.scorecard.rps, (v) => v >= 1_000 / slack) },
      { name: '52-week team trend p95', target: `<= 50 ms${onPglite('100 ms')}`, value: served.api.trend.p95_ms, pass: meets(served.api.trend.p95_ms, (v) => v <= 50 * slack) },
      { name: '500-row explain list p95', target: `<= 50 ms${onPglite('100 ms')}`, value: served.api.explain.p95_ms, pass: meets(served.api.explain.p95_ms, (v) => v <= 50 * slack) },
      { name: 'dashboard vs Four Keys-style baseline', target: '>= 100x faster', value: ratios.dashboard_speedup, pass: ratios.dashboard_speedup >= 100 },
      { name: 'first screen', target: '<= 150 KB compressed', value: firstScreenKb, pass: meets(firstScreenKb, (v) => v <= 150) },
      { name: 'peak RSS of the service', target: '<= 512 MB at org-L on server Postgres', value: peakRss, pass: meets(peakRss, (v) => v <= 512, isL && database.kind === 'postgres') },
      { name: 'lead time matches the baseline', target: 'every day equal', value: correctness.result.matches, pass: correctness.result.matches },
    ];
    const results = {
      profile: profileName,
      machine: {
        cores: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        memory_gb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        database: database.kind === 'postgres' ? 'server' : 'pglite',
        postgres_version: database.version,
        // Of the machine's CPU time, the percentage the hypervisor gave to other guests: the
        // whole run and the timed phases (null where /proc/stat is not to be had).
        cpu_steal_pct: { whole_run: stealPercent(ticksAtStart, readCpuTicks()), ...steal },
      },
      generated_at: new Date().toISOString(),
      counts: { history: expected.history, extra_week: expected.extraWeek, ingested: ingest.result, extra_week_ingested: extraIngest.result, four_keys_events: events.result.events },
      timings_ms: {
        generate_ingest: ingest.ms,
        analyze: analyze.ms,
        first_compute: firstCompute.ms,
        full_recompute: full.ms,
        extra_week_ingest: extraIngest.ms,
        incremental_recompute: incremental.ms,
        ingest_baselines: { ...baseline.timings_ms, rounds: baseline.rounds },
        four_keys_load: events.ms,
        correctness_check: correctness.ms,
        dashboard: { four_keys_request: fourKeys.result.ms, ours_request: served.panel },
        service_boot: boots[0],
        ...(boots.length > 1 ? { service_boot_after_analyze: boots[1] } : {}),
      },
      // The computes' timings above are their `bellwether.compute` spans; wall_ms adds the polling.
      compute_jobs: { first_compute: firstCompute, full_recompute: full, incremental_recompute: incremental },
      cells: { first_compute: firstCompute.cells, full_recompute: full.cells, incremental_recompute: incremental.cells },
      ratios,
      correctness: { lead_time_matches_baseline: correctness.result.matches, lead_time: correctness.result },
      api: served.api,
      first_screen: served.firstScreen.result ?? { not_measured: served.firstScreen.reason },
      // The service process ingests, computes and serves: peak_rss_mb is its VmHWM at the end
      // (service_process_mb_after: after each phase). The bench process (generator, HTTP
      // client, baselines, autocannon) is reported apart, without a target.
      memory: {
        peak_rss_mb: peakRss,
        service_processes_mb: serviceProcessesMb,
        service_process_mb_after: serviceRssAfter,
        bench_process_mb: benchRss,
        bench_process_mb_after: rssAfter,
      },
      targets,
    };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

    const ms = (value: number) => `${Number(value.toFixed(1))} ms`;
    const rows: [string, string][] = [
      ['generate + ingest', `${(ingest.ms / 1000).toFixed(1)} s (${Math.round(total / (ingest.ms / 1000)).toLocaleString('en-US')} records/s)`],
      ['first compute (derive history)', `${(firstCompute.ms / 1000).toFixed(2)} s (${firstCompute.cells.toLocaleString('en-US')} cells)`],
      ['full recompute', `${(full.ms / 1000).toFixed(2)} s (${full.cells.toLocaleString('en-US')} cells)`],
      ['extra week ingest', `${(extraIngest.ms / 1000).toFixed(2)} s`],
      ['incremental recompute', `${incremental.ms} ms (${incremental.cells.toLocaleString('en-US')} cells)`],
      ['ingest speed-up vs row-by-row', `${ratios.ingest_speedup.toFixed(1)}x`],
      ['ingest efficiency, new / unchanged', `${ratios.ingest_efficiency_new.toFixed(2)} / ${ratios.ingest_efficiency_unchanged.toFixed(2)} of COPY`],
      ['incremental speed-up', `${ratios.incremental_speedup.toFixed(1)}x`],
      ['scorecard p50 / p95, req/s', `${ms(served.api.scorecard.p50_ms)} / ${ms(served.api.scorecard.p95_ms)}, ${Math.round(served.api.scorecard.rps)}`],
      ['52-week trend p50 / p95', `${ms(served.api.trend.p50_ms)} / ${ms(served.api.trend.p95_ms)}`],
      ['500-row explain p50 / p95', `${ms(served.api.explain.p50_ms)} / ${ms(served.api.explain.p95_ms)}`],
      ['dashboard: Four Keys / ours', `${ms(fourKeys.result.ms.median)} / ${ms(served.panel.median_ms)} (${ratios.dashboard_speedup.toFixed(0)}x)`],
      ['lead time = baseline', `${correctness.result.matches} (${correctness.result.days} days, ${correctness.result.changes.ours.toLocaleString('en-US')} changes)`],
      ['first screen', firstScreenKb === null ? `not measured: ${served.firstScreen.reason}` : `${firstScreenKb.toFixed(1)} KB compressed`],
      ['peak RSS: service / bench process', `${peakRss} / ${benchRss} MB`],
      ['CPU steal: run / full / incr. / API', [results.machine.cpu_steal_pct.whole_run, steal.full_recompute, steal.incremental_recompute, steal.api_load]
        .map((pct) => (pct === null || pct === undefined ? 'n/a' : `${pct} %`)).join(' / ')],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}`);
    for (const t of targets) console.log(`  ${t.pass === null ? '  -  ' : t.pass ? ' pass' : ' MISS'}  ${t.name} (${t.target}): ${typeof t.value === 'number' ? Number(t.value.toFixed(2)) : t.value}`);
    console.log(`\nresults: ${RESULTS.pathname}`);
    if (!correctness.result.matches) {
      console.error('FAIL: our daily median lead time differs from the Four Keys-style baseline:', correctness.result.mismatches);
      return 1;
    }
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
