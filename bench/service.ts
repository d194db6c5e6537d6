// The real service for the benchmark's load phases (issue #7): `bellwether serve` in its own
// process, so the API is measured over HTTP and its peak RSS (VmHWM) is the service's alone.
//
// Ready means: listening, and its boot compute job has finished (server/jobs/scheduler.ts runs
// one at start). A preloaded OpenTelemetry tracer (the hook server/lib/tracing.ts offers to
// operators) reports the end of the `bellwether.compute` span on fd 3; the job's tail (its
// job_runs update and a possible monthly-report snapshot) is then waited out as quiescence.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

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
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const STOP_TIMEOUT_MS = 20_000; // close-with-grace waits up to 10 s (server/main.ts)
// Cleared from the bench's environment, so the service runs with the settings given here only.
const SETTINGS = ['DATABASE_URL', 'BELLWETHER_DATA_DIR', 'BELLWETHER_CONFIG', 'BELLWETHER_WEB_DIR', 'BELLWETHER_API_TOKEN', 'PORT', 'HOST', 'LOG_LEVEL', 'NODE_OPTIONS'];

/**
 * Loaded with --import before the service: a tracer that records nothing but writes one JSON
 * line to fd 3 when a `bellwether.compute` span ends. It registers through the repository's
 * @opentelemetry/api (the CommonJS build; the service loads the ES one): both builds share one
 * global provider, by the API's design.
 */
function tracerProbe(): string {
  const api = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('@opentelemetry/api')).href;
  return `import { writeSync } from 'node:fs';
import api from ${JSON.stringify(api)};
const INVALID = { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 };
function span(name) {
  const started = performance.now();
  let failed = false;
  const self = {
    end() { if (name === 'bellwether.compute') writeSync(3, JSON.stringify({ span: name, ms: performance.now() - started, failed }) + '\\n'); },
    setStatus(status) { failed = status.code === api.SpanStatusCode.ERROR; return self; },
    recordException() { return self; }, setAttribute() { return self; }, setAttributes() { return self; },
    addEvent() { return self; }, addLink() { return self; }, addLinks() { return self; }, updateName() { return self; },
    isRecording() { return false; }, spanContext() { return INVALID; },
  };
  return self;
}
const tracer = {
  startSpan: (name) => span(name),
  startActiveSpan: (name, ...rest) => rest[rest.length - 1](span(name)),
};
api.trace.setGlobalTracerProvider({ getTracer: () => tracer });
`;
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

function readVmHwmMb(pid: number): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
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
  const computes: { ms: number; failed: boolean; at: number }[] = [];
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
      computes.push({ ...(JSON.parse(line) as { ms: number; failed: boolean }), at: performance.now() });
    } catch {
      // Only the probe writes to fd 3; a torn line is not worth crashing the bench over.
    }
  });

  let hwm = 0;
  const peakRssMb = () => {
    try {
      if (!exited) hwm = readVmHwmMb(pid);
    } catch {
      // Exited, its exit event not handled yet: the last reading stands.
    }
    return hwm;
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

  const deadline = started + (options.readyTimeoutMs ?? 600_000);
  const waitFor = async <T>(what: string, check: () => T | null | Promise<T | null>, everyMs = 50): Promise<T> => {
    for (;;) {
      if (exited) throw failure(`exited before ${what}`);
      if (performance.now() > deadline) throw failure(`not ${what} within ${options.readyTimeoutMs ?? 600_000} ms`);
      const value = await check();
      if (value !== null) return value;
      await sleep(everyMs);
    }
  };

  try {
    const { url, ms: listeningMs } = await waitFor('listening', () => listening);
    const compute = await waitFor('done with its boot compute', () => computes[0] ?? null);
    if (compute.failed) throw failure('boot compute failed');
    await waitUntilQuiet(pid, options.databaseUrl, (what, check) => waitFor(what, check, 100));
    const ready = await fetch(`${url}/readyz`);
    if (ready.status !== 200) throw failure(`answered /readyz with ${ready.status}`);
    return {
      url,
      pid,
      boot: { listening_ms: Math.round(listeningMs), compute_ms: Math.round(compute.ms), ready_ms: Math.round(performance.now() - started) },
      peakRssMb,
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
