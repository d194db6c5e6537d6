// The `opsgenie:` section of bellwether.yaml and the severity rule it configures.
// Credentials are not here: OPSGENIE_API_KEY, OPSGENIE_API_URL and OPSGENIE_WEBHOOK_SECRET come from the environment.
import { Type, type Static } from 'typebox';

const ServiceId = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$', description: 'A service id from bellwether.yaml.' });
const Severity = Type.Union([Type.Literal('sev1'), Type.Literal('sev2'), Type.Literal('sev3'), Type.Literal('sev4'), Type.Literal('sev5')]);
const DateOrTimestamp = Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], {
  description: 'A date (midnight UTC) or an ISO 8601 timestamp with a zone.',
});

export const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
export type Priority = (typeof PRIORITIES)[number];
export type SeverityLevel = Static<typeof Severity>;

export const DEFAULT_OVERLAP_DAYS = 7;
export const DEFAULT_SERVICE_TAG_PREFIX = 'service:';

export const OpsgenieConfig = Type.Object(
  {
    incidents: Type.Optional(
      Type.Object(
        {
          services: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), ServiceId, {
            description:
              "Opsgenie service (its id, or its name exactly as Opsgenie shows it) → Bellwether service id. An incident belongs to the first of its impacted services found here; one with none is skipped.",
          }),
        },
        { additionalProperties: false },
      ),
    ),
    alerts: Type.Optional(
      Type.Object(
        {
          service_tag_prefix: Type.Optional(Type.String({
            minLength: 1, maxLength: 50,
            description: `An alert tagged <prefix><service id> belongs to that service; default '${DEFAULT_SERVICE_TAG_PREFIX}'.`,
          })),
          default_service: Type.Optional(ServiceId),
        },
        { additionalProperties: false },
      ),
    ),
    severity: Type.Optional(
      Type.Object(
        Object.fromEntries(PRIORITIES.map((priority) => [priority, Type.Optional(Severity)])) as Record<Priority, ReturnType<typeof Type.Optional<typeof Severity>>>,
        { additionalProperties: false, description: 'Opsgenie priority → Bellwether severity; unlisted priorities keep P1→sev1 … P5→sev5.' },
      ),
    ),
    since: Type.Optional(DateOrTimestamp),
    overlap_days: Type.Optional(Type.Integer({
      minimum: 0, maximum: 90,
      description: `Each sync re-reads the incidents created this many days before the newest one it has; default ${DEFAULT_OVERLAP_DAYS}.`,
    })),
  },
  { additionalProperties: false, title: 'Opsgenie' },
);
export type OpsgenieConfig = Static<typeof OpsgenieConfig>;
export type SeverityMap = NonNullable<OpsgenieConfig['severity']>;

/**
 * Opsgenie priority (`P3`, `p3`, `3` or the number 3, as alert webhooks send it) → sev1..sev5
 * through the configured map; null when the value is not a priority. Pure.
 */
export function normaliseSeverity(priority: unknown, map: SeverityMap = {}): SeverityLevel | null {
  const text = typeof priority === 'number' ? String(priority) : typeof priority === 'string' ? priority.trim() : '';
  const match = /^[Pp]?([1-5])$/.exec(text);
  if (!match) return null;
  const key = `P${match[1]}` as Priority;
  return map[key] ?? (`sev${match[1]}` as SeverityLevel);
}
