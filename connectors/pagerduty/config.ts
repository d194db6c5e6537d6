// The `pagerduty:` section of bellwether.yaml, its defaults, and the severity rule: which
// PagerDuty services are Bellwether services, and how a priority or urgency becomes sev1..sev5.
import { Type, type Static } from 'typebox';
import { firstSyncStart } from '../first-sync.js';

const Severity = Type.Union(
  [Type.Literal('sev1'), Type.Literal('sev2'), Type.Literal('sev3'), Type.Literal('sev4'), Type.Literal('sev5')],
  { description: 'Bellwether severity; sev1 is the most severe.' },
);
export type Severity = Static<typeof Severity>;

export const PagerDutyConfig = Type.Object(
  {
    services: Type.Record(
      Type.String({ pattern: '^[A-Z0-9]{1,64}$' }),
      Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' }),
      {
        minProperties: 1,
        additionalProperties: false,
        description: 'PagerDuty service id (e.g. PIKL83L) → Bellwether service id. Only these services are read; incidents of others are skipped.',
      },
    ),
    severity: Type.Optional(
      Type.Object(
        {
          priorities: Type.Optional(
            Type.Record(Type.String({ minLength: 1 }), Severity, {
              description: 'Priority name (e.g. P1, "SEV-0") → severity. Default: P1..P5 → sev1..sev5.',
            }),
          ),
          urgency: Type.Optional(
            Type.Object(
              { high: Type.Optional(Severity), low: Type.Optional(Severity) },
              { additionalProperties: false, description: 'Severity of an incident without a (known) priority. Default: high → sev2, low → sev4.' },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    since: Type.Optional(
      Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })], {
        description: 'Backfill start of the first sync (default: two years before it). `bellwether sync --since` overrides it.',
      }),
    ),
    overlap_days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 90,
        description: 'An incremental sync re-reads incidents created this many days before the last one ended, to catch their later changes (default 7).',
      }),
    ),
  },
  { title: 'PagerDuty', additionalProperties: false },
);
export type PagerDutyConfig = Static<typeof PagerDutyConfig>;

export const DEFAULT_OVERLAP_DAYS = 7;
const DEFAULT_URGENCY_SEVERITY: Record<'high' | 'low', Severity> = { high: 'sev2', low: 'sev4' };

/** Where the first sync starts: `--since`, else `since` from the file, else two years before now. */
export const backfillStart = (config: PagerDutyConfig, now: Date, since?: Date): Date => firstSyncStart(config.since, now, since);

/** What severity is read from: the same fields on a REST incident and on a webhook's incident. */
export interface SeverityInput {
  priority?: { name?: string; summary?: string } | null;
  urgency?: string | null;
}

/**
 * The incident's severity (issue: "severity normalisation configurable per source"). A priority
 * wins when it is configured or named P1..P5; otherwise the urgency decides. An incident
 * without an urgency counts as high, PagerDuty's default urgency.
 */
export function normaliseSeverity(incident: SeverityInput, config: PagerDutyConfig): Severity {
  const priority = [incident.priority?.name, incident.priority?.summary].find((name): name is string => typeof name === 'string' && name.length > 0);
  if (priority) {
    const configured = config.severity?.priorities?.[priority];
    if (configured) return configured;
    const numbered = /^P([1-5])$/i.exec(priority.trim());
    if (numbered) return `sev${numbered[1]}` as Severity;
  }
  const urgency = incident.urgency === 'low' ? 'low' : 'high';
  return config.severity?.urgency?.[urgency] ?? DEFAULT_URGENCY_SEVERITY[urgency];
}
