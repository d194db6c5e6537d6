// The executives' monthly report (issue #4): the list of issued months, one month's report
// (the latest issued version, or live and provisional until it is issued), and re-issue.
//
// The PDF, GET /reports/monthly/:month.pdf, lives in report-pdf.ts and is registered next to
// this plugin in app.ts: the router matches the static ".pdf" suffix before the bare :month
// param, and MONTH_PATTERN rejects "2026-10.pdf" here in any case.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { MAX_REASON_LENGTH, listSnapshots, readMonthlyReport, snapshotMonth } from '../../../reports/snapshots.js';
import { MONTH_PATTERN } from '../../../reports/monthly-report.js';
import type { AppDeps } from '../../context.js';
import { ErrorResponse, Nullable, PeriodSchema, ScopeSchema } from '../../schemas/common.js';

const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Status = literals(['green', 'amber', 'red', 'grey']);
const Confidence = literals(['ok', 'low', 'no_data']);

const ComparisonSchema = Type.Object({
  period: PeriodSchema,
  value: Nullable(Type.Number()),
  n: Type.Integer(),
  confidence: Confidence,
  status: Status,
  delta: Nullable(Type.Number({ description: 'this month − that month' })),
  delta_pct: Nullable(Type.Number({ description: 'delta as % of that month; null when that month is 0' })),
  trend: Nullable(literals(['improving', 'worsening', 'flat'])),
});

const ReportKpiSchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  direction: literals(['lower_is_better', 'higher_is_better']),
  value: Nullable(Type.Number()),
  n: Type.Integer(),
  confidence: Confidence,
  target: Type.Number(),
  status: Status,
  status_reason: Nullable(Type.String()),
  band: Nullable(literals(['elite', 'high', 'medium', 'low'])),
  band_year: Nullable(Type.Integer()),
  previous_month: ComparisonSchema,
  quarter_ago: ComparisonSchema,
  trend: Type.Array(Type.Object({
    label: Type.String(), start: Type.String({ format: 'date' }), value: Nullable(Type.Number()), n: Type.Integer(), confidence: Confidence,
  })),
});

const RedItemSchema = Type.Object({
  scope: ScopeSchema,
  owner_team: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  key: Type.String(),
  name: Type.String(),
  value: Nullable(Type.Number()),
  unit: Type.String(),
  target: Type.Number(),
  n: Type.Integer(),
  newly_red: Type.Boolean(),
});

const SentenceSchema = Type.Object({
  kpi: Type.String(),
  kind: literals(['turned_red', 'still_red', 'change', 'back_on_target', 'steady', 'no_previous', 'low_confidence', 'no_data']),
  text: Type.String(),
  numbers: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()]), { description: 'every figure the text shows, as shown' }),
});

const VersionSchema = Type.Object({ version: Type.Integer(), issued_at: Type.String({ format: 'date-time' }), reason: Type.String() });

const MonthlyReportSchema = Type.Object({
  month: Type.String(),
  organisation: Type.String(),
  time_zone: Type.String(),
  band_year: Type.Integer(),
  demo: Type.Boolean(),
  period: PeriodSchema,
  status: literals(['provisional', 'final']),
  version: Nullable(Type.Integer()),
  issued_at: Nullable(Type.String({ format: 'date-time' })),
  versions: Type.Array(VersionSchema),
  generated_at: Type.String({ format: 'date-time' }),
  kpis: Type.Array(ReportKpiSchema),
  red_items: Type.Array(RedItemSchema),
  narrative: Type.Array(SentenceSchema),
});

const MonthParams = Type.Object({ month: Type.String({ pattern: MONTH_PATTERN, description: 'YYYY-MM, a calendar month in the organisation time zone' }) });

export async function reportRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { db, config, clock } = deps;
  const org = config.org;

  app.get('/reports/monthly', {
    schema: {
      tags: ['reports'],
      summary: 'Every month with an issued report, newest first, and its versions',
      response: { 200: Type.Object({ months: Type.Array(Type.Object({ month: Type.String(), versions: Type.Array(VersionSchema) })) }) },
    },
  }, async () => listSnapshots(db));

  app.get('/reports/monthly/:month', {
    schema: {
      tags: ['reports'],
      summary: "One month's report: the latest issued version (final), or the live provisional report until the month is issued",
      params: MonthParams,
      querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1, description: 'an issued version (default: the latest)' })) }),
      response: { 200: MonthlyReportSchema, 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (request) => {
    const { month } = request.params as { month: string };
    const { version } = request.query as { version?: number };
    return readMonthlyReport(db, org, month, clock(), version);
  });

  app.post('/reports/monthly/:month/reissue', {
    schema: {
      tags: ['reports'],
      summary: "Re-issues a finished month's report from the current KPI values as its next version; earlier versions stay readable",
      params: MonthParams,
      body: Type.Object(
        { reason: Type.String({ minLength: 1, maxLength: MAX_REASON_LENGTH, pattern: '\\S', description: 'why it is re-issued; shown with the version' }) },
        { additionalProperties: false },
      ),
      response: { 201: MonthlyReportSchema, 400: ErrorResponse, 409: ErrorResponse },
    },
  }, async (request, reply) => {
    const { month } = request.params as { month: string };
    const { reason } = request.body as { reason: string };
    const report = await snapshotMonth(db, org, month, clock(), reason);
    return reply.code(201).send(report);
  });
}
