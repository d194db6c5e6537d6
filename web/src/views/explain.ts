// "Explain this number" (`/explain/:key`, issue #4 §3): the records behind one KPI value,
// read from the same population query that computed it (server/kpi/explain.ts), paged, with
// the useful columns per record kind, links to each record's source, and a CSV export.
import { downloadFile, explainCsvUrl, getExplain, getKpiRegistry, getOrg } from '../api.js';
import type { ExplainResponse, OrgResponse, ScopeType } from '../api-types.js';
import { emptyState, pageHead, parseDateParam, parsePeriodType, parseScopeType, partialBadge, scopeHref } from '../components.js';
import { h, href, icon, type Child } from '../dom.js';
import { addDays, formatCount, formatDateTime, formatPeriod, formatPeriodShort, formatValue, NO_DATA, shortSha } from '../format.js';
import type { RouteContext } from '../router.js';

const PAGE_SIZE = 50;

type RecordRow = Record<string, unknown>;

interface Column {
  label: string;
  numeric?: boolean;
  wrap?: boolean;
  cell: (record: RecordRow) => Child;
}

export async function explainView(context: RouteContext): Promise<void> {
  const { params, query, signal } = context;
  const key = params.key ?? '';
  const scopeType = parseScopeType(query.get('scope'));
  const id = scopeType === 'org' ? null : query.get('id');
  const period = parsePeriodType(query.get('period'));
  const at = parseDateParam(query.get('at'));
  const offset = Math.max(0, Math.floor(Number(query.get('offset')) || 0));
  const scopeQuery = { scope: scopeType, id, period, at };

  const [org, registry, data] = await Promise.all([
    getOrg(signal),
    getKpiRegistry(signal).catch(() => null), // names only: the page works without them
    getExplain(key, { ...scopeQuery, limit: PAGE_SIZE, offset }, signal),
  ]);
  const kpiName = registry?.kpis.find((k) => k.key === key)?.name ?? key.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
  const columns = columnsFor(data, org);
  const csvUrl = explainCsvUrl(key, { ...scopeQuery, at: at ?? data.period.start });
  const first = data.total === 0 ? 0 : data.offset + 1;
  const last = Math.min(data.offset + data.records.length, data.total);
  const pageHref = (nextOffset: number) =>
    href(`/explain/${encodeURIComponent(key)}`, { scope: scopeType, id, period, at: at ?? data.period.start, offset: nextOffset || null });
  const periodHref = (date: string) => href(`/explain/${encodeURIComponent(key)}`, { scope: scopeType, id, period, at: date });
  const scopeLabel = data.scope.type === 'org' ? data.scope.name : `${data.scope.name} (${data.scope.type})`;
  const scopePage = scopeType === 'org' ? href('/', { period: period === 'week' ? null : period, at }) : scopeHref({ type: data.scope.type as ScopeType, id: data.scope.id });

  const status = h('p', { class: 'muted small export-status', 'aria-live': 'polite' });
  const exportLink = h(
    'a',
    {
      class: 'button',
      href: csvUrl,
      download: `${key}-${data.scope.type}${data.scope.id ? `-${data.scope.id}` : ''}-${data.period.label}.csv`,
      'data-testid': 'export-csv',
      onclick: (event: Event) => {
        // The API may need a bearer token, which a plain link cannot send: fetch it instead.
        event.preventDefault();
        status.textContent = 'Preparing CSV…';
        downloadFile(csvUrl, (event.currentTarget as HTMLAnchorElement).download).then(
          () => (status.textContent = ''),
          (error: unknown) => (status.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      },
    },
    icon('download'),
    'Export CSV',
  );

  const page = h(
    'div',
    { class: 'page page--explain' },
    pageHead({
      crumbs: h(
        'nav',
        { 'aria-label': 'Breadcrumb' },
        h('ol', { class: 'crumbs' }, h('li', null, h('a', { href: scopePage }, data.scope.name)), h('li', null, h('span', { 'aria-current': 'page' }, `${kpiName}, ${formatPeriodShort(data.period)}`))),
      ),
      eyebrow: 'Explain this number',
      title: kpiName,
      sub: [
        h('span', { class: 'period-label' }, formatPeriod(data.period)),
        ' ',
        partialBadge(data.period),
        h('span', { class: 'sep' }, ' · '),
        scopeLabel,
        h('span', { class: 'sep' }, ' · '),
        `Times in ${org.time_zone}`,
      ],
      controls: [
        h(
          'nav',
          { class: 'stepper', 'aria-label': `Move by one ${period}` },
          h('a', { class: 'button button--icon', href: periodHref(addDays(data.period.start, -1)), title: `Previous ${period}`, 'aria-label': `Previous ${period}` }, icon('left')),
          data.period.partial
            ? h('span', { class: 'button button--icon', 'aria-disabled': 'true', title: `This is the current ${period}` }, icon('right'))
            : h('a', { class: 'button button--icon', href: periodHref(data.period.end), title: `Next ${period}`, 'aria-label': `Next ${period}` }, icon('right')),
        ),
        exportLink,
      ],
    }),
    summary(data, kpiName, scopeLabel),
    status,
    data.total === 0
      ? emptyState('No records', `Nothing was counted for ${kpiName} in ${formatPeriod(data.period)}, so there is no value (not zero).`)
      : h(
          'section',
          { class: 'panel', 'aria-labelledby': 'records-heading' },
          h(
            'div',
            { class: 'panel-head' },
            h('h2', { id: 'records-heading' }, recordsTitle(data)),
            h('p', null, `${orderNote(data)} · ${formatCount(first)}–${formatCount(last)} of ${formatCount(data.total)}`),
          ),
          h(
            'div',
            { class: 'table-scroll' },
            h(
              'table',
              { class: 'table records' },
              h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.numeric ? 'num' : null }, c.label)))),
              h(
                'tbody',
                null,
                data.records.map((record) =>
                  h(
                    'tr',
                    { 'data-testid': 'record', class: isFlagged(data.key, record) ? 'is-flagged' : null },
                    columns.map((c) => h('td', { class: [c.numeric ? 'num' : '', c.wrap ? 'wrap' : ''].join(' ').trim() || null }, c.cell(record))),
                  ),
                ),
              ),
            ),
          ),
          h(
            'div',
            { class: 'pager' },
            h('p', null, `Showing ${formatCount(first)}–${formatCount(last)} of `, h('span', { 'data-testid': 'explain-total' }, formatCount(data.total)), ` ${data.total === 1 ? 'record' : 'records'}`),
            h(
              'nav',
              { 'aria-label': 'Pages' },
              data.offset > 0
                ? h('a', { class: 'button', href: pageHref(Math.max(0, data.offset - PAGE_SIZE)), rel: 'prev' }, icon('left'), 'Previous')
                : h('span', { class: 'button', 'aria-disabled': 'true' }, icon('left'), 'Previous'),
              last < data.total
                ? h('a', { class: 'button', href: pageHref(data.offset + PAGE_SIZE), rel: 'next' }, 'Next', icon('right'))
                : h('span', { class: 'button', 'aria-disabled': 'true' }, 'Next', icon('right')),
            ),
          ),
        ),
    data.total === 0 ? h('span', { 'data-testid': 'explain-total', hidden: true }, '0') : null,
  );
  context.commit(page, `${kpiName} · ${data.scope.name} · ${formatPeriodShort(data.period)}`);
}

// ---- summary --------------------------------------------------------------------------------

function summary(data: ExplainResponse, kpiName: string, scopeLabel: string): HTMLElement {
  const item = (label: string, value: Child, attrs: Record<string, string> = {}, className = '') => h('div', null, h('dt', null, label), h('dd', { class: className || null, ...attrs }, value));
  const kind = recordKind(data);
  const nouns = kind === 'change' ? 'changes' : kind === 'incident' ? (data.key === 'on_call_pages' ? 'pages' : 'incidents') : kind === 'failed_deployment' ? 'failed deployments' : kind === 'bug' ? 'bugs' : kind === 'pull_request' ? 'pull requests' : kind === 'ci_run' ? 'runs' : 'deployments';
  const noun = data.n === 1 ? nouns.slice(0, -1) : nouns; // every plural here ends in one s
  return h(
    'dl',
    { class: 'explain-summary', 'aria-label': `${kpiName}: the value and what it is computed from` },
    item(valueLabel(data.unit), formatValue(data.value, data.unit), { 'data-testid': 'explain-value' }, 'big'),
    item('n', `${formatCount(data.n)} ${noun}`),
    item('Period', formatPeriodShort(data.period)),
    item('Scope', scopeLabel),
    detailItems(data).map((d) => item(d.label, d.value, {}, 'detail')),
  );
}

/** Names what the value is: time KPIs are medians (KPIS.md), rates are shares. */
function valueLabel(unit: string): string {
  if (unit === 'hours' || unit === 'minutes') return 'Median';
  if (unit === '%') return 'Rate';
  if (unit === 'deploys/day') return 'Per day';
  if (unit === 'pages/week') return 'Per week';
  if (unit === 'incidents') return 'Count';
  if (unit === 'weighted bugs') return 'Weighted';
  return 'Value';
}

/** The aggregate's breakdown (percentiles, failure reasons, …) in words. */
function detailItems(data: ExplainResponse): { label: string; value: string }[] {
  const d = data.details;
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const out: { label: string; value: string }[] = [];
  const percentiles = (['p75', 'p90'] as const).filter((p) => p in d).map((p) => `${p} ${formatValue(num(d[p]), data.unit)}`);
  if (percentiles.length) out.push({ label: 'Spread', value: percentiles.join(' · ') });
  const severe = d.sev1_2 as { n?: number; p50?: number | null } | undefined;
  if (severe && typeof severe === 'object') out.push({ label: 'Sev1–2', value: `${formatValue(severe.p50 ?? null, data.unit)} median · n ${formatCount(severe.n ?? 0)}` });
  if (typeof d.success === 'number') {
    // Build health: the runs the rate is made of, and how long they took.
    out.push({ label: 'Succeeded', value: `${formatCount(d.success)} of ${formatCount(num(d.runs) ?? 0)} · ${formatCount(num(d.failure) ?? 0)} failed` });
    out.push({ label: 'Run duration', value: `${formatValue(num(d.duration_p50_minutes), 'minutes')} median · p90 ${formatValue(num(d.duration_p90_minutes), 'minutes')}` });
  }
  if (typeof d.failed === 'number') out.push({ label: 'Failed', value: `${formatCount(d.failed)} of ${formatCount(num(d.deployments) ?? 0)}` });
  if (typeof d.rework === 'number') out.push({ label: 'Rework', value: `${formatCount(d.rework)} of ${formatCount(num(d.deployments) ?? 0)}` });
  if (typeof d.recurrent === 'number') out.push({ label: 'Recurrences', value: `${formatCount(d.recurrent)} of ${formatCount(num(d.incidents) ?? 0)}` });
  if (typeof d.pages === 'number') {
    // n is the number of pages; these say when they came and to how many teams.
    out.push({ label: 'Off hours', value: `${formatValue(num(d.off_hours_share), '%')} · ${formatCount(num(d.off_hours) ?? 0)} outside 09:00–18:00 weekdays` });
    if (typeof d.teams === 'number') out.push({ label: 'Teams paged', value: formatCount(d.teams) });
  }
  const severities = d.by_severity as Record<string, number> | undefined;
  if (severities && typeof severities === 'object') {
    out.push({ label: 'By severity', value: Object.entries(severities).map(([severity, n]) => `${severity} ${formatCount(n)}`).join(' · ') });
  }
  const reasons = d.by_reason as Record<string, number> | undefined;
  if (reasons && typeof reasons === 'object') {
    const text = Object.entries(reasons).filter(([, n]) => n > 0).map(([reason, n]) => `${reasonLabel(reason)} ${n}`).join(' · ');
    out.push({ label: 'By reason', value: text || 'none' });
  }
  if (typeof d.count === 'number') {
    // n already counts the deployments; deploy days per week is KPIS.md's second view of frequency.
    if (typeof d.deploy_days === 'number') {
      const perWeek = typeof d.deploy_days_per_week === 'number' ? ` · ${d.deploy_days_per_week.toFixed(1)} per week` : '';
      out.push({ label: 'Deploy days', value: `${formatCount(d.deploy_days)}${perWeek}` });
    }
    if (typeof d.mean_interval_hours === 'number') out.push({ label: 'Mean interval', value: formatValue(d.mean_interval_hours, 'hours') });
  }
  return out;
}

const REASONS: Record<string, string> = {
  incident_link: 'Linked incident',
  rollback: 'Rolled back',
  implicit_incident: 'Incident after deploy',
  incident_fix_link: 'Fix for a linked incident',
  resolved_incident: 'Resolved an open incident',
  hotfix_rule: 'Hotfix rule',
};
const reasonLabel = (reason: string) => REASONS[reason] ?? reason.replace(/_/g, ' ');

/**
 * The server also sends 'failed_deployment' (failed deployment recovery time), which the
 * contract's union does not list yet; treat the kind as an open string.
 */
const recordKind = (data: ExplainResponse): string => data.record_kind;

function recordsTitle(data: ExplainResponse): string {
  switch (recordKind(data)) {
    case 'change':
      return 'Changes shipped';
    case 'incident':
      return data.key === 'on_call_pages' ? 'Pages'
        : data.key === 'time_to_acknowledge' ? 'Incidents acknowledged'
        : data.key === 'incident_recurrence_rate' || data.key === 'incident_count' ? 'Incidents created'
        : 'Incidents resolved';
    case 'failed_deployment':
      return 'Failed deployments recovered';
    case 'bug':
      return 'Bugs found in production';
    case 'pull_request':
      return 'Pull requests merged';
    case 'ci_run':
      return 'Default-branch CI runs finished';
    default:
      return 'Production deployments';
  }
}

function orderNote(data: ExplainResponse): string {
  switch (data.key) {
    case 'change_failure_rate':
      return 'Failed deployments first, then newest first';
    case 'rework_rate':
      return 'Rework first, then newest first';
    case 'lead_time_for_changes':
      return 'Longest lead time first';
    case 'time_to_restore':
    case 'time_to_restore_sev1_2':
    case 'failed_deployment_recovery_time':
      return 'Longest first';
    case 'time_to_acknowledge':
      return 'Slowest first';
    case 'incident_recurrence_rate':
      return 'Recurrences first, then newest first';
    case 'escaped_defects':
      return 'Heaviest first, then newest first';
    case 'pr_cycle_time':
      return 'Longest first';
    case 'build_success_rate':
      return 'Failures first, then newest first';
    default:
      return 'Newest first';
  }
}

function isFlagged(key: string, record: RecordRow): boolean {
  return (key === 'change_failure_rate' && record.is_failed === true) || (key === 'rework_rate' && record.is_rework === true)
    || (key === 'incident_recurrence_rate' && record.is_recurrence === true) || (key === 'on_call_pages' && record.off_hours === true)
    || (key === 'build_success_rate' && record.status === 'failure');
}

// ---- columns per record kind --------------------------------------------------------------

function columnsFor(data: ExplainResponse, org: OrgResponse): Column[] {
  const tz = org.time_zone;
  const when = (field: string): Column['cell'] => (r) => h('span', { class: 'nowrap', title: typeof r[field] === 'string' ? String(r[field]) : null }, formatDateTime(r[field] as string | null, tz));
  const service: Column = { label: 'Service', cell: (r) => serviceLink(r.service_id, org) };
  switch (recordKind(data)) {
    case 'deployment':
      return [
        { label: 'Finished', cell: when('finished_at') },
        service,
        { label: 'Deployment', cell: (r) => link(r.external_id, r.url) },
        { label: 'Commit', cell: (r) => h('span', { class: 'mono nowrap', title: `${String(r.commit_sha ?? '')}${r.ref ? ` (${String(r.ref)})` : ''}` }, shortSha(r.commit_sha), r.ref ? h('span', { class: 'muted ref' }, ` ${String(r.ref)}`) : null) },
        { label: 'Changes', cell: (r) => shippedCommits(r) },
        { label: 'Outcome', wrap: true, cell: (r) => outcome(r) },
      ];
    case 'change':
      return [
        { label: 'Deployed', cell: when('deployed_at') },
        service,
        { label: 'Commit', cell: (r) => h('span', { class: 'mono', title: `${String(r.repository ?? '')}@${String(r.sha ?? '')}` }, shortSha(r.sha), h('span', { class: 'muted' }, ` ${String(r.repository ?? '')}`)) },
        { label: 'Author', cell: (r) => text(r.author) },
        { label: 'Authored', cell: when('authored_at') },
        { label: 'Lead time', numeric: true, cell: (r) => h('strong', null, formatValue(num(r.lead_time_hours), 'hours')) },
        { label: 'Pull request', cell: (r) => (r.pull_request_number ? link(`#${String(r.pull_request_number)}`, r.pull_request_url) : h('span', { class: 'muted' }, 'direct push')) },
        { label: 'Deployment', cell: (r) => link(r.deployment_external_id, r.deployment_url) },
      ];
    case 'incident':
      return incidentColumns(data.key, when, service);
    case 'failed_deployment':
      return [
        { label: 'Recovered', cell: when('recovered_at') },
        service,
        { label: 'Deployment', cell: (r) => link(r.external_id, r.url) },
        { label: 'Finished', cell: when('finished_at') },
        { label: 'Why it failed', cell: (r) => failureTag(r) },
        { label: 'Incidents', wrap: true, cell: (r) => incidents(r.incidents) },
        { label: 'Recovery time', numeric: true, cell: (r) => h('strong', null, formatValue(num(r.duration_minutes), 'minutes')) },
      ];
    case 'bug':
      return [
        { label: 'Created', cell: when('created_at') },
        service,
        { label: 'Bug', cell: (r) => link(r.external_id, r.url) },
        { label: 'Title', wrap: true, cell: (r) => text(r.title) },
        { label: 'Severity', cell: (r) => (r.severity ? h('span', { class: `sev sev--${String(r.severity)}` }, String(r.severity)) : NO_DATA) },
        { label: 'Closed', cell: (r) => (r.closed_at ? when('closed_at')(r) : h('span', { class: 'muted' }, 'still open')) },
        { label: 'Weight', numeric: true, cell: (r) => h('strong', null, formatCount(num(r.weight) ?? 0)) },
      ];
    case 'pull_request':
      return [
        { label: 'Merged', cell: when('merged_at') },
        service,
        { label: 'Pull request', cell: (r) => h('span', { class: 'nowrap' }, link(`#${String(r.number)}`, r.url), h('span', { class: 'muted' }, ` ${String(r.repository ?? '')}`)) },
        { label: 'Title', wrap: true, cell: (r) => text(r.title) },
        { label: 'Author', cell: (r) => text(r.author) },
        { label: 'Opened', cell: when('opened_at') },
        { label: 'Cycle time', numeric: true, cell: (r) => h('strong', null, formatValue(num(r.cycle_time_hours), 'hours')) },
      ];
    case 'ci_run':
      return [
        { label: 'Finished', cell: when('finished_at') },
        service,
        { label: 'Run', cell: (r) => link(r.external_id, r.url) },
        { label: 'Workflow', cell: (r) => text(r.workflow) },
        { label: 'Branch', cell: (r) => h('span', { class: 'mono nowrap', title: String(r.commit_sha ?? '') }, String(r.branch ?? ''), r.event ? h('span', { class: 'muted' }, ` ${String(r.event)}`) : null) },
        { label: 'Outcome', cell: (r) => (r.status === 'failure' ? h('span', { class: 'reason-tag' }, icon('alert'), 'Failed') : h('span', { class: 'ok-tag' }, 'Succeeded')) },
        { label: 'Duration', numeric: true, cell: (r) => (num(r.duration_minutes) === null ? h('span', { class: 'muted' }, NO_DATA) : formatValue(num(r.duration_minutes), 'minutes')) },
      ];
    default:
      return genericColumns(data.records, tz);
  }
}

/** Incident columns for each incident KPI: its anchor first, then what its value is made of. */
function incidentColumns(key: string, when: (field: string) => Column['cell'], service: Column): Column[] {
  const incident: Column = { label: 'Incident', cell: (r) => link(r.external_id, r.url) };
  const title: Column = { label: 'Title', wrap: true, cell: (r) => text(r.title) };
  const severity: Column = { label: 'Severity', cell: (r) => (r.severity ? h('span', { class: `sev sev--${String(r.severity)}` }, String(r.severity)) : NO_DATA) };
  switch (key) {
    case 'time_to_acknowledge':
      return [
        { label: 'Acknowledged', cell: when('acknowledged_at') },
        service, incident, title, severity,
        { label: 'Created', cell: when('created_at') },
        { label: 'Time to acknowledge', numeric: true, cell: (r) => h('strong', null, formatValue(num(r.acknowledge_minutes), 'minutes')) },
      ];
    case 'incident_recurrence_rate':
      return [{ label: 'Created', cell: when('created_at') }, service, incident, title, severity, { label: 'Recurrence', wrap: true, cell: (r) => recurrenceTag(r, when) }];
    case 'on_call_pages':
      return [
        { label: 'Created', cell: when('created_at') },
        service, incident, title, severity,
        { label: 'Urgency', cell: (r) => text(r.urgency) },
        { label: 'Owner\'s local time', cell: (r) => h('span', { class: 'nowrap', title: String(r.local_time_zone ?? '') }, text(r.local_created_at), h('span', { class: 'muted' }, ` ${String(r.local_time_zone ?? '')}`)) },
        { label: 'Hours', cell: (r) => (r.off_hours === true ? h('span', { class: 'reason-tag', title: 'Outside 09:00–18:00 Monday–Friday in the owning team\'s time zone' }, icon('alert'), 'Off hours') : h('span', { class: 'ok-tag' }, 'Working hours')) },
      ];
    case 'incident_count':
      return [
        { label: 'Created', cell: when('created_at') },
        service, incident, title, severity,
        { label: 'Resolved', cell: (r) => (r.resolved_at ? when('resolved_at')(r) : h('span', { class: 'muted' }, 'still open')) },
      ];
    default: // time to restore, overall and sev1–2
      return [
        { label: 'Resolved', cell: when('resolved_at') },
        service, incident, title, severity,
        { label: 'Started', cell: (r) => when(r.started_at ? 'started_at' : 'created_at')(r) },
        { label: 'Time to restore', numeric: true, cell: (r) => h('strong', null, formatValue(num(r.duration_minutes), 'minutes')) },
        { label: 'Caused by', cell: (r) => (r.deployment_external_id ? text(r.deployment_external_id) : h('span', { class: 'muted' }, NO_DATA)) },
      ];
  }
}

/** "Recurs INC-3 (Oct 20, 02:30)" with a link to it, or "First" when no earlier incident matches. */
function recurrenceTag(record: RecordRow, when: (field: string) => Column['cell']): Child {
  const earlier = record.recurs as RecordRow | null | undefined;
  if (record.is_recurrence !== true || !earlier) return h('span', { class: 'ok-tag', title: 'No earlier incident with the same root cause within the recurrence window' }, 'First');
  return h(
    'div',
    { class: 'outcome' },
    h('span', { class: 'reason-tag', title: 'Same root-cause key, grouping key or service and normalised title as an earlier incident (docs/kpis.md)' }, icon('alert'), 'Recurs'),
    h('div', { class: 'incident-line' }, link(earlier.external_id, earlier.url), h('span', { class: 'muted' }, ' '), when('created_at')(earlier), h('span', { class: 'muted' }, ` ${String(earlier.title ?? '')}`)),
  );
}

/** Unknown record kinds: every scalar field, with *_url fields linked. */
function genericColumns(records: RecordRow[], tz: string): Column[] {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'url' && !k.endsWith('_url') && records.some((r) => r[k] === null || typeof r[k] !== 'object'));
  const columns: Column[] = keys.map((k) => ({
    label: k.replace(/_/g, ' '),
    cell: (r) => {
      const v = r[k];
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return formatDateTime(v, tz);
      return v === null || v === undefined ? NO_DATA : String(v);
    },
  }));
  const urls = [...new Set(records.flatMap((r) => Object.keys(r)))].filter((k) => k === 'url' || k.endsWith('_url'));
  for (const k of urls) columns.push({ label: k === 'url' ? 'Source' : k.replace(/_url$/, '').replace(/_/g, ' '), cell: (r) => link('open', r[k]) });
  return columns;
}

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
const text = (v: unknown): Child => (v === null || v === undefined || v === '' ? h('span', { class: 'muted' }, NO_DATA) : String(v));

function link(label: unknown, url: unknown): Child {
  const name = label === null || label === undefined ? 'source' : String(label);
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return name;
  return h('a', { class: 'ext nowrap', href: url, target: '_blank', rel: 'noopener noreferrer', title: url }, name, icon('external'));
}

function serviceLink(id: unknown, org: OrgResponse): Child {
  if (typeof id !== 'string') return NO_DATA;
  const service = org.services.find((s) => s.id === id);
  return h('a', { href: scopeHref({ type: 'service', id }) }, service?.name ?? id);
}

function shippedCommits(record: RecordRow): Child {
  const count = num(record.change_count) ?? 0;
  const commits = Array.isArray(record.shipped_commits) ? (record.shipped_commits as RecordRow[]) : [];
  if (!commits.length) return h('span', { class: 'muted' }, count ? `${count} commits` : 'none');
  return h(
    'details',
    null,
    h('summary', null, `${formatCount(count)} ${count === 1 ? 'commit' : 'commits'}`),
    h(
      'ul',
      { class: 'sublist' },
      commits.map((c) =>
        h(
          'li',
          null,
          h('span', { class: 'mono' }, shortSha(c.sha)),
          h('span', null, text(c.author)),
          h('span', { class: 'muted' }, `lead time ${formatValue(num(c.lead_time_hours), 'hours')}`),
          c.pull_request_number ? h('span', { class: 'muted' }, `PR #${String(c.pull_request_number)}`) : null,
        ),
      ),
      count > commits.length ? h('li', { class: 'muted' }, `… and ${count - commits.length} more (all in the CSV)`) : null,
    ),
  );
}

function failureTag(record: RecordRow): Child {
  const reason = typeof record.failure_reason === 'string' ? record.failure_reason : null;
  if (!reason) return h('span', { class: 'ok-tag' }, 'Not failed');
  const rolledBackBy = typeof record.rolled_back_by === 'string' ? ` by ${record.rolled_back_by}` : '';
  return h('span', { class: 'reason-tag', title: 'Why this deployment counts as failed (KPIS.md)' }, icon('cross'), `Failed: ${reasonLabel(reason).toLowerCase()}${reason === 'rollback' ? rolledBackBy : ''}`);
}

function outcome(record: RecordRow): Child {
  const parts: Child[] = [];
  if (record.is_failed === true) parts.push(failureTag(record));
  if (record.is_rework === true) {
    const reason = typeof record.rework_reason === 'string' ? reasonLabel(record.rework_reason).toLowerCase() : 'unplanned fix';
    parts.push(h('span', { class: 'reason-tag reason-tag--rework', title: 'An unplanned fix for a production incident (DORA rework)' }, icon('alert'), `Rework: ${reason}`));
  }
  if (!parts.length) return h('span', { class: 'ok-tag' }, 'Succeeded');
  const list = incidents(record.incidents);
  return h('div', { class: 'outcome' }, parts.map((p) => h('div', null, p)), list ? h('div', null, list) : null);
}

function incidents(value: unknown): Child {
  if (!Array.isArray(value) || value.length === 0) return null;
  return h(
    'ul',
    { class: 'sublist' },
    (value as RecordRow[]).map((i) =>
      h('li', { class: 'incident-line' }, link(i.external_id, i.url), i.severity ? h('span', { class: `sev sev--${String(i.severity)}` }, String(i.severity)) : null, h('span', { class: 'muted' }, text(i.title))),
    ),
  );
}
