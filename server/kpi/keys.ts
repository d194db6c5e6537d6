// Stable KPI keys (snake_case forms of the KPIS.md names). Outside tools rely on them.
export const KPI_KEYS = [
  'deployment_frequency',
  'lead_time_for_changes',
  'change_failure_rate',
  'time_to_restore',
  'failed_deployment_recovery_time',
  'rework_rate',
  'time_to_restore_sev1_2',
  'time_to_acknowledge',
  'incident_recurrence_rate',
  'on_call_pages',
  'incident_count',
  'escaped_defects',
  'pr_cycle_time',
  'build_success_rate',
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

export const SCOPE_TYPES = ['org', 'team', 'service'] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

export const PERIOD_TYPES = ['week', 'month', 'quarter'] as const;
export type PeriodType = (typeof PERIOD_TYPES)[number];
