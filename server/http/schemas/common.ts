// Shared TypeBox schemas for the HTTP API (request validation and OpenAPI).
import { Type } from 'typebox';
import { KPI_KEYS, PERIOD_TYPES, SCOPE_TYPES } from '../../kpi/keys.js';

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      problems: Type.Optional(
        Type.Array(
          Type.Object({
            path: Type.String(),
            message: Type.String(),
            index: Type.Optional(Type.Integer()),
            line: Type.Optional(Type.Integer()),
          }),
        ),
      ),
    }),
  },
  { $id: 'ErrorResponse' },
);

export const ScopeQuery = {
  scope: Type.Optional(Type.Union(SCOPE_TYPES.map((s) => Type.Literal(s)), { default: 'org', description: 'org, team or service' })),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'team or service id (not for org)' })),
  period: Type.Optional(Type.Union(PERIOD_TYPES.map((p) => Type.Literal(p)), { default: 'week', description: 'week (ISO), month or quarter in the org time zone' })),
  at: Type.Optional(Type.String({ format: 'date', description: 'a local date inside the wanted period (default: today)' })),
};

export const KpiKeyParam = Type.Object({ key: Type.Union(KPI_KEYS.map((k) => Type.Literal(k))) });

export const PeriodSchema = Type.Object({
  type: Type.String(),
  start: Type.String({ format: 'date' }),
  end: Type.String({ format: 'date' }),
  label: Type.String(),
  partial: Type.Boolean(),
});

/** The schema, or null. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const KpiEntrySchema = Type.Object({
  key: Type.String(),
  name: Type.String(),
  value: Nullable(Type.Number()),
  unit: Type.String(),
  n: Type.Integer(),
  status: Type.Union(['green', 'amber', 'red', 'grey'].map((s) => Type.Literal(s))),
  confidence: Type.Union(['ok', 'low', 'no_data'].map((s) => Type.Literal(s))),
  status_reason: Type.Union([Type.String(), Type.Null()]),
  target: Type.Number(),
  direction: Type.String(),
  band: Type.Union([Type.String(), Type.Null()]),
  band_year: Type.Union([Type.Integer(), Type.Null()]),
  previous: Nullable(Type.Number()),
  trend: Type.Union([
    Type.Object({ direction: Type.String(), delta: Type.Number(), delta_pct: Nullable(Type.Number()) }),
    Type.Null(),
  ]),
  period: PeriodSchema,
  computed_at: Type.Union([Type.String(), Type.Null()], {
    description: 'When the compute that wrote this value ran; a later compute that finds the same value leaves it. Null: no value stored.',
  }),
  details: Type.Object({}, { additionalProperties: true }),
});

export const ScopeSchema = Type.Object({ type: Type.String(), id: Type.String(), name: Type.String() });
