// Compute jobs over HTTP: start the KPI engine now instead of at the next scheduled tick (after
// a bulk import, say), then follow the job's job_runs row. The work runs in this process, as the
// scheduler's ticks do; app.close() waits for it.
import type { FastifyInstance } from 'fastify';
import type { Selectable } from 'kysely';
import { Type } from 'typebox';
import type { JobRunsTable } from '../../../db/schema.js';
import { computeJobsIdle, startComputeJob } from '../../../jobs/scheduler.js';
import { isSettableClock } from '../../../lib/clock.js';
import { InvalidInput, NotFound } from '../../../lib/errors.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse, Nullable } from '../../schemas/common.js';

const JobRunSchema = Type.Object({
  id: Type.Integer(),
  job: Type.String({ description: 'compute (dirty cells only) or compute-all' }),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Nullable(Type.String({ format: 'date-time' })),
  status: Type.Union(['running', 'succeeded', 'failed', 'skipped'].map((s) => Type.Literal(s))),
  cells_recomputed: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
});

// Postgres integer: a larger id cannot exist, and would fail in the query rather than here.
const JobParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'job_runs id' }) });

const iso = (value: Date | string) => new Date(value).toISOString();
const view = (run: Selectable<JobRunsTable>) => ({
  id: run.id,
  job: run.job,
  started_at: iso(run.started_at),
  finished_at: run.finished_at === null ? null : iso(run.finished_at),
  status: run.status,
  cells_recomputed: run.cells_recomputed,
  error: run.error,
});

export async function jobRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { db, config, clock } = deps;
  // On shutdown (server/main.ts closes the app first) a started compute ends before the database closes.
  app.addHook('onClose', () => computeJobsIdle(db));

  app.post('/jobs/compute', {
    bodyLimit: 1024,
    schema: {
      tags: ['jobs'],
      summary: 'Starts a KPI compute job now; poll GET /jobs/{id} for its outcome',
      description:
        'Recomputes the dirty cells (what the scheduled job does), or every cell with `all`. Answers 202 with the ' +
        'job_runs row while the job runs in the service. The job ends as `skipped` (0 cells) when a compute is already ' +
        'running in this process, or another replica holds the compute lock; nothing is lost, the running one or the ' +
        'next tick takes the dirty cells. `now` is for a service on a fixed clock (BELLWETHER_NOW) only: it moves that ' +
        'clock forward to this instant before the job starts, so a demo or benchmark replays time; otherwise it is rejected.',
      body: Type.Object(
        {
          all: Type.Optional(Type.Boolean({ default: false, description: 'recompute every cell, not only the dirty ones' })),
          now: Type.Optional(Type.String({ format: 'date-time', description: 'fixed-clock services only: move the clock here first' })),
        },
        { additionalProperties: false },
      ),
      response: { 202: JobRunSchema, 400: ErrorResponse },
    },
    // No body at all is the default job, as `{}` is.
    preValidation: async (request) => {
      if (request.body === undefined) request.body = {};
    },
  }, async (request, reply) => {
    const body = request.body as { all?: boolean; now?: string };
    if (body.now !== undefined) {
      if (!isSettableClock(clock)) throw new InvalidInput('now is accepted only when the service runs on a fixed clock (BELLWETHER_NOW)', [{ path: 'body/now', message: 'the service clock cannot be moved' }]);
      const now = new Date(body.now);
      if (now < clock()) throw new InvalidInput(`the clock only moves forward: it is ${clock().toISOString()}`, [{ path: 'body/now', message: 'is before the service clock' }]);
      clock.set(now);
    }
    const started = await startComputeJob(db, config.org, clock, request.log, { all: body.all ?? false });
    return reply.code(202).header('location', `/api/v1/jobs/${started.run.id}`).send(view(started.run));
  });

  app.get('/jobs/:id', {
    schema: {
      tags: ['jobs'],
      summary: 'One job run: its job, start and end (service clock), status, cells recomputed and error',
      params: JobParams,
      response: { 200: JobRunSchema, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (request) => {
    const { id } = request.params as { id: number };
    const run = await db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
    if (!run) throw new NotFound(`no job run ${id}`);
    return view(run);
  });
}
