// Small pieces shared by the views: status badges (icon + word, never colour alone), KPI
// values that open "explain this number", trend lines, pickers and page states.
import type { KpiEntry, PeriodType, PeriodView, Scope, ScopeType, Status } from './api-types.js';
import { h, href, icon, type Child } from './dom.js';
import {
  formatBand,
  formatDelta,
  formatParts,
  formatPercentChange,
  formatPeriodShort,
  statusIcon,
  statusWord,
  trendWord,
} from './format.js';

export const PERIOD_TYPES: readonly PeriodType[] = ['week', 'month', 'quarter'];
export const PERIOD_NAMES: Record<PeriodType, string> = { week: 'Week', month: 'Month', quarter: 'Quarter' };

/** DORA's keys lead every KPI list (issue #4); the rest follow in registry order. Time to restore's sev1–2 view stays beside it. */
export const DORA_KEYS = [
  'deployment_frequency', 'lead_time_for_changes', 'change_failure_rate', 'failed_deployment_recovery_time', 'time_to_restore', 'time_to_restore_sev1_2', 'rework_rate',
];

/** Short column headers for wide tables (the full name is the header's title). */
const SHORT_NAMES: Record<string, string> = {
  deployment_frequency: 'Deploy frequency',
  lead_time_for_changes: 'Lead time',
  change_failure_rate: 'Change failure',
  failed_deployment_recovery_time: 'Failed deploy recovery',
  time_to_restore: 'Time to restore',
  time_to_restore_sev1_2: 'Restore, sev1–2',
  rework_rate: 'Rework rate',
  time_to_acknowledge: 'Time to ack',
  incident_recurrence_rate: 'Recurrence',
  on_call_pages: 'On-call pages',
  incident_count: 'Incidents',
  escaped_defects: 'Escaped defects',
  pr_cycle_time: 'PR cycle time',
  build_success_rate: 'Build success',
};
export const shortName = (kpi: { key: string; name: string }): string => SHORT_NAMES[kpi.key] ?? kpi.name;

export function sortKpis<T extends { key: string }>(kpis: T[]): T[] {
  const rank = (key: string) => {
    const i = DORA_KEYS.indexOf(key);
    return i === -1 ? DORA_KEYS.length : i;
  };
  return kpis.map((k, i) => ({ k, i })).sort((a, b) => rank(a.k.key) - rank(b.k.key) || a.i - b.i).map((x) => x.k);
}

export function parsePeriodType(value: string | null): PeriodType {
  return value === 'month' || value === 'quarter' ? value : 'week';
}

export function parseScopeType(value: string | null): ScopeType {
  return value === 'team' || value === 'service' ? value : 'org';
}

export function parseDateParam(value: string | null): string | null {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : null;
}

export function scopeHref(scope: Pick<Scope, 'type' | 'id'>): string {
  if (scope.type === 'team') return `/teams/${encodeURIComponent(scope.id)}`;
  if (scope.type === 'service') return `/services/${encodeURIComponent(scope.id)}`;
  return '/';
}

/** The drill-down of one value: the same scope and period, by a date inside the period. */
export function explainHref(key: string, scope: Pick<Scope, 'type' | 'id'>, period: Pick<PeriodView, 'type' | 'start'>): string {
  return href(`/explain/${encodeURIComponent(key)}`, {
    scope: scope.type,
    id: scope.type === 'org' ? null : scope.id,
    period: period.type,
    at: period.start,
  });
}

export function statusBadge(status: Status, confidence?: KpiEntry['confidence'], attrs: Record<string, string> = {}): HTMLElement {
  return h('span', { class: `status status--${status}`, ...attrs }, icon(statusIcon(status)), statusWord(status, confidence));
}

/** A KPI value as a link to its records; textContent equals formatValue(value, unit). */
export function valueLink(entry: Pick<KpiEntry, 'key' | 'value' | 'unit' | 'name'>, target: string, attrs: Record<string, string> = {}): HTMLElement {
  const parts = formatParts(entry.value, entry.unit);
  const label = entry.value === null ? `${entry.name}: no data — show the records` : `${entry.name}: show the records behind this number`;
  return h(
    'a',
    { class: `value${entry.value === null ? ' value--none' : ''}`, href: target, title: label, ...attrs },
    h('span', { class: 'num' }, parts.number),
    parts.unit ? [' ', h('span', { class: 'unit' }, parts.unit)] : null,
  );
}

/** "↓ −3.3 h (−13 %) vs W46 · improving": arrow for the value's movement, word for its meaning. */
export function trendText(entry: Pick<KpiEntry, 'trend' | 'unit' | 'previous' | 'value'>, previousLabel: string): HTMLElement {
  const trend = entry.trend;
  if (!trend) {
    return h('p', { class: 'trend trend--none' }, icon('dash'), `No comparison with ${previousLabel}`);
  }
  const arrow = trend.delta > 0 ? 'up' : trend.delta < 0 ? 'down' : 'flat';
  const pct = formatPercentChange(trend.delta_pct);
  return h(
    'p',
    { class: `trend trend--${trend.direction}` },
    icon(arrow),
    h('span', { class: 'trend-delta' }, formatDelta(trend.delta, entry.unit, { compact: true, scaleOf: entry.value }), pct ? ` (${pct})` : ''),
    h('span', { class: 'trend-word' }, trendWord(trend.direction)),
    h('span', { class: 'trend-vs' }, `vs ${previousLabel}`),
  );
}

export function bandText(entry: Pick<KpiEntry, 'band' | 'band_year' | 'confidence'>): { text: string; title: string } {
  const text = formatBand(entry.band, entry.band_year);
  const title =
    entry.band_year === null ? 'DORA publishes no performance band for this KPI'
    : entry.band === null ? 'No band: too few records for a reliable median or rate'
    : `DORA ${entry.band_year} performance band (a survey cluster, not a target)`;
  return { text, title };
}

/** The label of the period before `period`, for "vs …" text. */
export function previousPeriodLabel(period: PeriodView, periods: PeriodView[]): string {
  const index = periods.findIndex((p) => p.start === period.start);
  const previous = index > 0 ? periods[index - 1] : undefined;
  if (previous) return formatPeriodShort(previous);
  return `previous ${period.type}`;
}

/** A segmented control of links (real <a href>, so each choice is a URL). */
export function segmented(label: string, options: { text: string; href: string; current: boolean; title?: string }[]): HTMLElement {
  return h(
    'nav',
    { class: 'segmented', 'aria-label': label },
    options.map((o) => h('a', { href: o.href, 'aria-current': o.current ? 'true' : null, title: o.title ?? null, 'data-keep-scroll': 'true' }, o.text)),
  );
}

export function pageHead(options: { eyebrow: Child; title: string; sub?: Child; controls?: Child; crumbs?: Child }): HTMLElement {
  return h(
    'div',
    { class: 'page-head' },
    h(
      'div',
      { class: 'page-title' },
      options.crumbs ?? null,
      h('p', { class: 'eyebrow' }, options.eyebrow),
      h('h1', { tabindex: '-1' }, options.title),
      options.sub ? h('p', { class: 'sub' }, options.sub) : null,
    ),
    options.controls ? h('div', { class: 'controls no-print' }, options.controls) : null,
  );
}

export function emptyState(title: string, text: Child, ...actions: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, h('h2', null, title), h('p', null, text), actions.length ? h('p', { class: 'empty-actions' }, actions) : null);
}

export function partialBadge(period: PeriodView): HTMLElement | null {
  return period.partial
    ? h('span', { class: 'badge badge--partial', title: 'The current, unfinished period: values cover the days so far' }, 'In progress')
    : null;
}
