// Read API over precomputed KPI values: the scorecard, "what went red", series over periods,
// and "explain this number" (the records behind one value, as JSON pages or one CSV).
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { OrgConfig } from '../../../config.js';
import type { KpiDefinition } from '../../../kpi/definition.js';
import { explainValue, loadExplain } from '../../../kpi/explain.js';
import type { PeriodType, ScopeType } from '../../../kpi/keys.js';
import { isPartial, localDate, periodOfLocalDate } from '../../../kpi/periods.js';
import { KPIS, kpiDefinition } from '../../../kpi/registry.js';
import { buildScorecard, buildSeries, cellsFingerprint, clockKey, findService, findTeam, loadScorecard, loadSeries, periodView, readRedCells } from '../../../kpi/scorecard.js';
import { InvalidInput, NotFound } from '../../../lib/errors.js';
import { isDemo } from '../../../org/settings.js';
import type { AppDeps } from '../../context.js';
import { dataVersionReader } from '../../data-version.js';
import { jsonSerializer, ResponseCache } from '../../response-cache.js';
import { ErrorResponse, KpiEntrySchema, KpiKeyParam, PeriodSchema, ScopeQuery, ScopeSchema } from '../../schemas/common.js';

interface ScopeParams {
  scope?: ScopeType;
  id?: string;
  period?: PeriodType;
  at?: string;
}

/** Validates scope and id against the organisation and names it. */
export function resolveScope(org: OrgConfig, params: ScopeParams): { type: ScopeType; id: string; name: string } {
  const type = params.scope ?? 'org';
  if (type === 'org') return { type, id: '', name: org.name };
  if (!params.id) throw new InvalidInput(`id is required for scope=${type}`, [{ path: '/querystring/id', message: 'is required' }]);
  const found = type === 'team' ? findTeam(org, params.id) : findService(org, params.id);
  if (!found) throw new NotFound(`unknown ${type} ${JSON.stringify(params.id)}`);
  return { type, id: found.id, name: found.name };
}

const ExplainPage = Type.Object({
  key: Type.String(),
  unit: Type.String(),
  record_kind: Type.String(),
  scope: ScopeSchema,
  period: PeriodSchema,
  value: Type.Union([Type.Number(), Type.Null()]),
  n: Type.Integer(),
  details: Type.Object({}, { additionalProperties: true }),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  records: Type.Array(Type.Object({}, { additionalProperties: true })),
});

/** A CSV export holds a whole population; this bounds one download (a KPI cell rarely nears it). */
const CSV_MAX_ROWS = 200_000;

/** Records as CSV: one column per field seen (first-seen order); arrays and objects as JSON. */
export function recordsToCsv(records: Record<string, unknown>[]): string {
  const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
  const cell = (value: unknown) =>
    value === null || value === undefined ? ''
    : value instanceof Date ? value.toISOString()
    : typeof value === 'object' ? JSON.stringify(value)
    : value;
  return stringify(records.map((r) => columns.map((c) => cell(r[c]))), { header: true, columns, cast: { boolean: String } });
}

/** A non-finite number, which JSON would write as null, keeps its own spelling in a cache key. */
const keyJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `\u0000${v}` : v));

export async function kpiRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const { db, config, clock } = deps;
  const org = config.org;
  const today = () => localDate(clock(), org.timeZone);
  // Scorecards, series and explain pages are read once per data version and built once per
  // clock key (response-cache.ts); the organisation is fixed for this app's lifetime.
  const dataVersion = dataVersionReader(db);
  const cache = new ResponseCache();

  /** Every KPI (or one) over consecutive periods: /series and /kpis/:key/series. */
  const sendSeries = async (
    request: FastifyRequest,
    reply: FastifyReply,
    kpis: readonly KpiDefinition[],
    query: ScopeParams & { periods?: number },
    respond: (scope: ReturnType<typeof resolveScope>, built: ReturnType<typeof buildSeries>) => unknown,
  ) => {
    const scope = resolveScope(org, query);
    const periodType = query.period ?? 'week';
    const period = periodOfLocalDate(periodType, query.at ?? today(), org.timeZone);
    const count = query.periods ?? 12;
    const key = `series|${kpis.map((k) => k.key).join(',')}|${scope.type}|${scope.id}|${periodType}|${period.start}|${count}`;
    const entry = cache.data(key, await dataVersion(), () => loadSeries(db, org, kpis, scope, periodType, period.start, count));
    const data = await entry.data;
    const now = clock();
    return cache.send(request, reply, {
      key, entry, data, nowKey: clockKey(org, kpis, scope, data.shown, now),
      build: () => respond(scope, buildSeries(org, kpis, scope, data, now)),
      serialize: jsonSerializer(reply),
      content: (loaded) => cellsFingerprint(loaded.cells),
    });
  };

  app.get('/kpis', {
    schema: {
      tags: ['kpis'],
      summary: 'The KPI registry: keys, units, directions, default targets and minimum samples',
      response: {
        200: Type.Object({
          kpis: Type.Array(Type.Object({
            key: Type.String(), name: Type.String(), unit: Type.String(), direction: Type.String(),
            default_target: Type.Number(), minimum_sample: Type.Integer(), description: Type.String(), record_kind: Type.String(),
          })),
        }),
      },
    },
  }, async () => ({
    kpis: KPIS.map((k) => ({
      key: k.key, name: k.name, unit: k.unit, direction: k.direction, default_target: k.defaultTarget,
      minimum_sample: k.minimumSample, description: k.description, record_kind: k.recordKind,
    })),
  }));

  app.get('/scorecard', {
    schema: {
      tags: ['kpis'],
      summary: 'Every KPI for one scope and period, with target, RAG, DORA band and trend',
      querystring: Type.Object(ScopeQuery),
      response: {
        200: Type.Object({
          organisation: Type.String(),
          demo: Type.Boolean(),
          time_zone: Type.String(),
          band_year: Type.Integer(),
          scope: ScopeSchema,
          period: PeriodSchema,
          kpis: Type.Array(KpiEntrySchema),
        }),
        400: ErrorResponse,
        404: ErrorResponse,
      },
    },
  }, async (request, reply) => {
    const query = request.query as ScopeParams;
    const scope = resolveScope(org, query);
    const periodType = query.period ?? 'week';
    const period = periodOfLocalDate(periodType, query.at ?? today(), org.timeZone);
    const key = `scorecard|${scope.type}|${scope.id}|${periodType}|${period.start}`;
    const entry = cache.data(key, await dataVersion(), async () => {
      const [data, demo] = await Promise.all([loadScorecard(db, org, scope, periodType, period.start), isDemo(db)]);
      return { data, demo };
    });
    const loaded = await entry.data;
    const { data, demo } = loaded;
    const now = clock();
    return cache.send(request, reply, {
      key, entry, data: loaded, nowKey: clockKey(org, KPIS, scope, [data.period], now),
      build: () => {
        const card = buildScorecard(org, scope, data, now);
        return {
          organisation: org.name, demo, time_zone: org.timeZone, band_year: org.doraBandYear,
          scope, period: card.period, kpis: card.kpis,
        };
      },
      serialize: jsonSerializer(reply),
      content: (read) => `${read.demo}\u0000${cellsFingerprint(read.data.cells)}`,
    });
  });

  app.get('/kpis/:key/series', {
    schema: {
      tags: ['kpis'],
      summary: "One KPI over consecutive periods ending with the one containing `at` (for trend charts)",
      params: KpiKeyParam,
      querystring: Type.Object({ ...ScopeQuery, periods: Type.Optional(Type.Integer({ minimum: 1, maximum: 104, default: 12 })) }),
      response: { 200: Type.Object({ key: Type.String(), scope: ScopeSchema, points: Type.Array(KpiEntrySchema) }), 400: ErrorResponse, 404: ErrorResponse },
    },
  }, async (request, reply) => {
    const { key } = request.params as { key: string };
    const kpi = kpiDefinition(key)!;
    return sendSeries(request, reply, [kpi], request.query as ScopeParams & { periods?: number },
      (scope, { series }) => ({ key, scope, points: series[0]!.points }));
  });

  app.get('/series', {
    schema: {
      tags: ['kpis'],
      summary: 'Every KPI over consecutive periods ending with the one containing `at` (a team page in one request)',
      querystring: Type.Object({ ...ScopeQuery, periods: Type.Optional(Type.Integer({ minimum: 1, maximum: 104, default: 12 })) }),
      response: {
        200: Type.Object({
          scope: ScopeSchema,
          periods: Type.Array(PeriodSchema),
          kpis: Type.Array(Type.Object({
            key: Type.String(), name: Type.String(), unit: Type.String(), direction: Type.String(), points: Type.Array(KpiEntrySchema),
          })),
        }),
        400: ErrorResponse,
        404: ErrorResponse,
      },
    },
  }, async (request, reply) =>
    sendSeries(request, reply, KPIS, request.query as ScopeParams & { periods?: number }, (scope, { periods, series }) => ({
      scope,
      periods,
      kpis: series.map(({ kpi, points }) => ({ key: kpi.key, name: kpi.name, unit: kpi.unit, direction: kpi.direction, points })),
    })));

  app.get('/scorecard/red', {
    schema: {
      tags: ['kpis'],
      summary: 'Every red KPI of every team and service in one period ("what went red this week"), with the owning team',
      querystring: Type.Object({ period: ScopeQuery.period, at: ScopeQuery.at }),
      response: {
        200: Type.Object({
          period: PeriodSchema,
          items: Type.Array(Type.Object({
            scope: ScopeSchema,
            owner_team: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
            kpi: KpiEntrySchema,
            newly_red: Type.Boolean(),
          })),
        }),
        400: ErrorResponse,
      },
    },
  }, async (request) => {
    const query = request.query as { period?: PeriodType; at?: string };
    const { period, cells } = await readRedCells(db, org, query.period ?? 'week', query.at ?? today(), clock());
    return { period, items: cells.map((c) => ({ scope: c.scope, owner_team: c.ownerTeam, kpi: c.entry, newly_red: c.newlyRed })) };
  });

  app.get('/kpis/:key/explain', {
    schema: {
      tags: ['kpis'],
      summary: 'The records behind one KPI value, from the same population query that computes it',
      params: KpiKeyParam,
      querystring: Type.Object({
        ...ScopeQuery,
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 100 })),
        offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], {
          default: 'json',
          description: 'csv: every record of the population (limit and offset ignored) as one CSV download',
        })),
      }),
      response: {
        200: {
          description: 'One page of records (JSON), or every record as CSV with format=csv',
          content: {
            'application/json': {
              schema: ExplainPage,
            },
            'text/csv': { schema: Type.String() },
          },
        },
        400: ErrorResponse,
        404: ErrorResponse,
      },
    },
  }, async (request, reply) => {
    const { key } = request.params as { key: string };
    const query = request.query as ScopeParams & { limit?: number; offset?: number; format?: 'json' | 'csv' };
    const kpi = kpiDefinition(key)!;
    const scope = resolveScope(org, query);
    const periodType = query.period ?? 'week';
    const at = query.at ?? today();
    if (query.format === 'csv') {
      // A whole population (up to CSV_MAX_ROWS records): read for each download, never kept.
      const result = await loadExplain(db, org, kpi, scope, periodType, at, { limit: CSV_MAX_ROWS, offset: 0 });
      const period = periodView(result.period, clock());
      const filename = [key, scope.type, scope.id, period.label].filter(Boolean).join('_').replace(/[^\w.-]+/g, '-');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}.csv"`)
        .send(recordsToCsv(result.records));
    }
    const page = { limit: query.limit ?? 100, offset: query.offset ?? 0 };
    const period = periodOfLocalDate(periodType, at, org.timeZone);
    const cacheKey = `explain|${key}|${scope.type}|${scope.id}|${periodType}|${period.start}|${page.limit}|${page.offset}`;
    const entry = cache.data(cacheKey, await dataVersion(), () => loadExplain(db, org, kpi, scope, periodType, period.start, page));
    const data = await entry.data;
    const now = clock();
    // The clock enters the answer through the partial flag and the value's elapsed hours.
    const computed = explainValue(kpi, data, now);
    const partial = isPartial(data.period, now);
    // Its data is a whole population's aggregate and a page of records: no content key (as
    // dear as the read), so its bodies live as long as its data version.
    return cache.send(request, reply, {
      key: cacheKey, entry, data, nowKey: keyJson([partial, computed]),
      build: () => ({
        key, unit: kpi.unit, record_kind: kpi.recordKind, scope,
        period: periodView(data.period, now),
        value: computed.value, n: computed.n, details: computed.details, total: computed.n, ...page, records: data.records,
      }),
      serialize: jsonSerializer(reply, 'application/json'),
    });
  });
}
