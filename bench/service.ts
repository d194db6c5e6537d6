// The real service for the benchmark (issue #7): `bellwether serve` in its own process, which
// ingests, computes and serves, so all of it is measured over HTTP and its peak RSS (VmHWM)
// is the service's alone. It runs on a fixed clock (BELLWETHER_NOW), the bench's `now`.
//
// Ready means: listening, and its boot compute job has finished (server/jobs/scheduler.ts runs
// one at start). A preloaded OpenTelemetry tracer (the hook server/lib/tracing.ts offers to
// operators) reports the end of every `bellwether.compute` span on fd 3, with its job_runs id:
// that is how long a compute took (the job's own started_at and finished_at come from the
// fixed clock, so they are equal). After the boot compute, the job's tail (its job_runs
// update and a possible monthly-report snapshot) is waited out as quiescence.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { requestJson } from './push.js';

export interface ServiceOptions {
  /** The benchmark's server database (BenchDatabase.url); give this or `dataDir`. */
  databaseUrl?: string;
  /** The benchmark's PGlite folder (BenchDatabase.dataDir), lent to the service (BenchDatabase.lend). */
  dataDir?: string;
  /** bellwether.yaml text (bench/generate.ts orgYaml). */
  orgYaml: string;
  /** A built dashboard (bench/first-screen.ts buildDashboard); without it `/` answers 503. */
  webDir?: string;
  /**
   * A compiled server/cli.js (buildService): what production runs. Default: the TypeScript
   * sources through tsx, which needs no build but adds its loader's memory (about 80 MB of RSS).
   */
  entry?: string;
  /** Default 0: the kernel picks a free port and the service prints it. */
  port?: number;
  /** Boot (migrations, org sync, boot compute) must end within this; default 10 minutes. */
  readyTimeoutMs?: number;
  /** BELLWETHER_NOW: the service's clock stands here; compute({ now }) moves it. Default: the system clock. */
  now?: Date;
}

/** A compute job the service ran (RunningService.compute). */
export interface ComputeRun {
  id: number;
  job: string;
  status: 'succeeded' | 'failed' | 'skipped';
  cells: number;
  /** The job's `bellwether.compute` span: the compute itself, as the service timed it. */
  ms: number;
  /** From POST to the polled final status, in this process (polling every 100 ms). */
  wall_ms: number;
}

export interface RunningService {
  /** e.g. http://127.0.0.1:41234, without a trailing slash. */
  url: string;
  /** The node process running the service (no wrapper in between). */
  pid: number;
  /** Milliseconds from spawn to listening and to ready, and the boot compute span's own duration. */
  boot: { listening_ms: number; compute_ms: number; ready_ms: number };
  /** VmHWM of the service process so far, in MB (after stop: its value just before SIGTERM). */
  peakRssMb(): number;
  /** VmRSS of the service process now, in MB (0 once it exited). */
  rssMb(): number;
  /** Starts a compute job (POST /api/v1/jobs/compute) and waits for its end; throws unless it succeeded. */
  compute(options?: { all?: boolean; now?: Date }): Promise<ComputeRun>;
  /** Every compute span that ended so far, the boot compute's first. */
  computeSpans(): readonly ComputeSpan[];
  stop(): Promise<void>;
}

export interface ComputeSpan {
  ms: number;
  failed: boolean;
  /** The job_runs id of the job that ran it. */
  jobRun: number | null;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STOP_TIMEOUT_MS = 20_000; // close-with-grace waits up to 10 s (server/main.ts)
// Cleared from the bench's environment, so the service runs with the settings given here only.
const SETTINGS = ['DATABASE_URL', 'BELLWETHER_DATA_DIR', 'BELLWETHER_CONFIG', 'BELLWETHER_WEB_DIR', 'BELLWETHER_API_TOKEN', 'BELLWETHER_NOW', 'PORT', 'HOST', 'LOG_LEVEL', 'NODE_OPTIONS'];
/**
 * A compute schedule for leap days only (node-cron refuses impossible dates): no tick between
 * the bench's own jobs. The default, every 5 minutes, would fire during an ingest and take
 * its dirty cells away from the incremental recompute being measured.
 */
const NO_SCHEDULED_COMPUTE = '0 0 29 2 *';
/** How long a finished job's span line may take to arrive on fd 3 after its row is final. */
const SPAN_TIMEOUT_MS = 10_000;

/**
 * Loaded with --import before the service: a tracer that records nothing but writes one JSON
 * line to fd 3 when a `bellwether.compute` span ends, with the span's job_run attribute. It
 * registers through the repository's @opentelemetry/api (the CommonJS build; the service
 * loads the ES one): both builds share one global provider, by the API's design.
 */
function tracerProbe(): string {
  const api = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('@opentelemetry/api')).href;
  return `import { writeSync } from 'node:fs';
import api from ${JSON.stringify(api)};
const INVALID = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 };
function span(name, options) {
  const started = performance.now();
  const jobRun = options?.attributes?.job_run ?? null;
  let failed = false;
  const self = {
    end() { if (name === 'bellwether.compute') writeSync(3, JSON.stringify({ span: name, ms: performance.now() - started, failed, jobRun }) + '\\n'); },
    setStatus(status) { failed = status.code === api.SpanStatusCode.ERROR; return self; },
    recordException() { return self; }, setAttribute() { return self; }, setAttributes() { return self; },
    addEvent() { return self; }, addLink() { return self; }, addLinks() { return self; }, updateName() { return self; },
    isRecording() { return false; }, spanContext() { return INVALID; },
  };
  return self;
}
const tracer = {
  startSpan: (name, options) => span(name, options),
  startActiveSpan: (name, ...rest) => rest[rest.length - 1](span(name, rest.length > 1 ? rest[0] : undefined)),
};
api.trace.setGlobalTracerProvider({ getTracer: () => tracer });
`;
}

/** bellwether.yaml text (one without a `compute:` key, as orgYaml's) with no scheduled compute during a run. */
export function withoutScheduledCompute(orgYaml: string): string {
  return `${orgYaml.trimEnd()}\ncompute:\n  schedule: '${NO_SCHEDULED_COMPUTE}'\n`;
}

/**
 * Compiles the service as `npm run build` does (tsc -p tsconfig.build.json), into
 * node_modules/.cache so its imports resolve, and returns its cli.js: the same process the
 * Dockerfile runs (node dist/server/cli.js). Incremental: unchanged sources take seconds.
 */
export async function buildService(): Promise<string> {
  const outDir = join(ROOT, 'node_modules', '.cache', 'bellwether-bench', 'build');
  const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit code ${code}):\n${output.slice(-4000)}`);
  return join(outDir, 'server', 'cli.js');
}

function readStatusMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Math.round(Number(match[1]) / 1024);
}

/** utime + stime (clock ticks) and the scheduler state of a process. */
function readCpu(pid: number): { ticks: number; state: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces
  return { ticks: Number(fields[11]) + Number(fields[12]), state: fields[0]! };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function lines(stream: Readable, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine);
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  if (!options.databaseUrl === !options.dataDir) throw new Error('startService needs exactly one of databaseUrl (Postgres) and dataDir (PGlite)');
  const work = mkdtempSync(join(tmpdir(), 'bellwether-bench-service-'));
  const configPath = join(work, 'bellwether.yaml');
  const probePath = join(work, 'trace-compute.mjs');
  writeFileSync(configPath, options.orgYaml);
  writeFileSync(probePath, tracerProbe());

  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SETTINGS) delete env[key];
  Object.assign(env, {
    BELLWETHER_CONFIG: configPath,
    PORT: String(options.port ?? 0),
    HOST: '127.0.0.1',
    // warn: at info, fastify logs two lines per request, and the load would measure pino.
    LOG_LEVEL: 'warn',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { BELLWETHER_DATA_DIR: options.dataDir }),
    ...(options.webDir ? { BELLWETHER_WEB_DIR: options.webDir } : {}),
    ...(options.now ? { BELLWETHER_NOW: options.now.toISOString() } : {}),
  });
  const started = performance.now();
  // node itself, not npx or a shell: child.pid is then the service's pid, so VmHWM is the service's.
  const probe = ['--import', pathToFileURL(probePath).href];
  const args = options.entry ? [...probe, options.entry] : ['--import', 'tsx', ...probe, join(ROOT, 'server', 'cli.ts')];
  const child: ChildProcess = spawn(process.execPath, [...args, 'serve'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the service');

  let stderrTail = '';
  let listening: { url: string; ms: number } | null = null;
  const computes: (ComputeSpan & { at: number })[] = [];
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = new Promise<void>((resolve) => child.once('exit', (code, signal) => {
    exited = { code, signal };
    resolve();
  }));
  lines(child.stdout!, (line) => {
    const match = /Bellwether is running: open (http:\/\/\S+?)\/\s/.exec(line);
    if (match && !listening) listening = { url: match[1]!, ms: performance.now() - started };
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
  });
  lines(child.stdio[3] as Readable, (line) => {
    try {
      const { ms, failed, jobRun } = JSON.parse(line) as ComputeSpan;
      computes.push({ ms, failed, jobRun, at: performance.now() });
    } catch {
      // Only the probe writes to fd 3; a torn line is not worth crashing the bench over.
    }
  });

  let hwm = 0;
  const peakRssMb = () => {
    try {
      if (!exited) hwm = readStatusMb(pid, 'VmHWM');
    } catch {
      // Exited, its exit event not handled yet: the last reading stands.
    }
    return hwm;
  };
  const rssMb = () => {
    try {
      return exited ? 0 : readStatusMb(pid, 'VmRSS');
    } catch {
      return 0;
    }
  };
  const stop = async () => {
    if (!exited) {
      peakRssMb();
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(killer);
    }
    rmSync(work, { recursive: true, force: true });
  };
  const failure = (why: string) => new Error(`service ${why}${exited ? ` (exit code ${exited.code}, signal ${exited.signal})` : ''}\n${stderrTail}`);

  const readyBy = started + (options.readyTimeoutMs ?? 600_000);
  const waitFor = async <T>(what: string, check: () => T | null | Promise<T | null>, everyMs = 50, deadline = readyBy): Promise<T> => {
    for (;;) {
      if (exited) throw failure(`exited before ${what}`);
      if (performance.now() > deadline) throw failure(`not ${what} in time`);
      const value = await check();
      if (value !== null) return value;
      await sleep(everyMs);
    }
  };

  try {
    const { url, ms: listeningMs } = await waitFor('listening', () => listening);
    const bootCompute = await waitFor('done with its boot compute', () => computes[0] ?? null);
    if (bootCompute.failed) throw failure('boot compute failed');
    await waitUntilQuiet(pid, options.databaseUrl, (what, check) => waitFor(what, check, 100));
    const ready = await fetch(`${url}/readyz`);
    if (ready.status !== 200) throw failure(`answered /readyz with ${ready.status}`);
    const compute = async (job: { all?: boolean; now?: Date } = {}): Promise<ComputeRun> => {
      const posted = performance.now();
      const body = JSON.stringify({ all: job.all ?? false, ...(job.now ? { now: job.now.toISOString() } : {}) });
      const start = await requestJson(`${url}/api/v1/jobs/compute`, { method: 'POST', body });
      if (start.status !== 202) throw failure(`answered POST /api/v1/jobs/compute with ${start.status}: ${JSON.stringify(start.body)}`);
      let run = start.body as { id: number; job: string; status: ComputeRun['status'] | 'running'; cells_recomputed: number | null; error: string | null };
      while (run.status === 'running') {
        if (exited) throw failure(`exited during compute job ${run.id}`);
        await sleep(100);
        const polled = await requestJson(`${url}/api/v1/jobs/${run.id}`);
        if (polled.status !== 200) throw failure(`answered GET /api/v1/jobs/${run.id} with ${polled.status}`);
        run = polled.body as typeof run;
      }
      const wallMs = Math.round(performance.now() - posted);
      if (run.status !== 'succeeded') throw failure(`compute job ${run.id} (${run.job}) ${run.status}${run.error ? `: ${run.error}` : ''}`);
      // The span ends before the job's row is final, but its line may still be on its way.
      const id = run.id;
      const span = await waitFor(`reporting the span of compute job ${id}`, () => computes.find((c) => c.jobRun === id) ?? null, 20, performance.now() + SPAN_TIMEOUT_MS);
      return { id, job: run.job, status: run.status, cells: run.cells_recomputed ?? 0, ms: Math.round(span.ms), wall_ms: wallMs };
    };
    return {
      url,
      pid,
      boot: { listening_ms: Math.round(listeningMs), compute_ms: Math.round(bootCompute.ms), ready_ms: Math.round(performance.now() - started) },
      peakRssMb,
      rssMb,
      compute,
      computeSpans: () => computes.map(({ ms, failed, jobRun }) => ({ ms, failed, jobRun })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * After the compute span, the job still writes its job_runs row and may snapshot last
 * month's report. Quiet = for half a second the process used at most one clock tick per
 * 100 ms and was never runnable, and (on a server) no other session of its database was busy.
 */
async function waitUntilQuiet(pid: number, databaseUrl: string | undefined, waitFor: <T>(what: string, check: () => Promise<T | null>) => Promise<T>): Promise<void> {
  const client = databaseUrl ? new pg.Client({ connectionString: databaseUrl }) : null;
  await client?.connect();
  try {
    let previous = readCpu(pid).ticks;
    let quietSamples = 0;
    await waitFor('quiet after its boot compute', async () => {
      const cpu = readCpu(pid);
      let quiet = cpu.ticks - previous <= 1 && cpu.state !== 'R';
      previous = cpu.ticks;
      if (quiet && client) {
        const { rows } = await client.query<{ busy: number }>(
          // Client sessions only: autovacuum after a large ingest may run for minutes and is not the service's.
          `select count(*)::int as busy from pg_stat_activity
           where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and state <> 'idle'`,
        );
        quiet = rows[0]!.busy === 0;
      }
      quietSamples = quiet ? quietSamples + 1 : 0;
      return quietSamples >= 5 ? true : null;
    });
  } finally {
    await client?.end();
  }
}
