// The monthly report (`/reports/:month`, the executives' page, issue #4 §4): a one-page
// A4/Letter sheet from GET /reports/monthly/{month}: status and versions, the KPI table with
// month-over-month and quarter-ago comparisons, six-month trends, red items and the generated
// narrative. `/reports` opens the last complete month; `?print=1` shows the sheet alone (the
// PDF renderer prints that URL).
import { apiUrl, downloadFile, getOrg, getReport, getReportList, isMissingRoute, ApiError } from '../api.js';
import type { MonthlyReport, ReportComparison, ReportKpi, ReportListResponse, ReportRedItem } from '../api-types.js';
import { describeSeries } from '../charts/describe.js';
import { smallTrend } from '../charts/small-trend.js';
import { bandText, emptyState, explainHref, scopeHref, shortName, sortKpis } from '../components.js';
import { h, href, icon, type Child } from '../dom.js';
import {
  formatCount,
  formatDateTime,
  formatDelta,
  formatMonth,
  formatMonthShort,
  formatPercentChange,
  formatTarget,
  formatValue,
  statusIcon,
  statusWord,
  trendWord,
} from '../format.js';
import type { RouteContext } from '../router.js';

/** Printable height of the sheet in CSS px: US Letter (11 in × 96) is the shorter paper. */
const MAX_SHEET_HEIGHT = 1056;
const MONTHS_LISTED = 12;
const NO_BAND = '—';

function previousMonth(month: string, by = 1): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) - by;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

export async function reportView(context: RouteContext): Promise<void> {
  const { params, query, signal } = context;
  const org = await getOrg(signal);
  const currentMonth = org.today.slice(0, 7);
  if (params.month !== undefined && !/^\d{4}-(0[1-9]|1[0-2])$/.test(params.month)) {
    context.commit(h('div', { class: 'page' }, emptyState('Not a month', `“${params.month}” is not a month; use YYYY-MM, e.g. /reports/${previousMonth(currentMonth)}.`, h('a', { class: 'button', href: '/reports' }, 'Latest report'))), 'Not found');
    return;
  }
  // Without a month, the last complete month: the one executives review.
  const month = params.month ?? previousMonth(currentMonth);
  const versionParam = Number(query.get('version'));
  const version = Number.isInteger(versionParam) && versionParam > 0 ? versionParam : null;

  const [list, report] = await Promise.all([
    getReportList(signal).catch((error: unknown) => {
      if (isMissingRoute(error)) return null;
      throw error;
    }),
    getReport(month, version, signal).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return error;
      throw error;
    }),
  ]);

  const months = monthList(list, currentMonth);
  const picker = monthPicker(months, list, month, currentMonth);
  if (report instanceof ApiError) {
    const text = isMissingRoute(report) ? 'This Bellwether server does not serve monthly reports yet.' : report.message;
    context.commit(h('div', { class: 'page report-page' }, picker, h('div', { class: 'report-main' }, emptyState(`No report for ${formatMonth(month)}`, text))), `Report ${month}`);
    return;
  }

  const charts: (() => void)[] = [];
  const sheet = reportSheet(report, charts);
  const page = h(
    'div',
    { class: 'page report-page' },
    picker,
    h('div', { class: 'report-main' }, reportToolbar(report), sheet),
  );
  if (!context.commit(page, `${formatMonth(report.month)} report`)) return;
  charts.forEach((draw) => draw());
  fitToPage(sheet);
}

/** Scales the sheet down when it would overflow one printed page (?print=1 and real printing). */
function fitToPage(sheet: HTMLElement): void {
  const fit = () => {
    sheet.style.removeProperty('zoom');
    // Text reflows slightly under zoom, so measure again after each step.
    let zoom = 1;
    for (let i = 0; i < 4; i++) {
      const height = sheet.getBoundingClientRect().height;
      if (height <= MAX_SHEET_HEIGHT) break;
      zoom = Math.floor(zoom * (MAX_SHEET_HEIGHT / height) * 0.99 * 1000) / 1000;
      sheet.style.setProperty('zoom', String(zoom));
    }
  };
  if (document.body.classList.contains('print-mode')) fit();
  window.addEventListener('beforeprint', fit, { once: true });
  window.addEventListener('afterprint', () => {
    if (!document.body.classList.contains('print-mode')) sheet.style.removeProperty('zoom');
  }, { once: true });
}

// ---- month list ----------------------------------------------------------------------------

interface MonthEntry {
  month: string;
  versions: ReportListResponse['months'][number]['versions'];
}

/** Issued months from the server plus the recent ones that can be built live (provisional). */
function monthList(list: ReportListResponse | null, currentMonth: string): MonthEntry[] {
  const byMonth = new Map<string, MonthEntry>();
  for (let i = 0; i < MONTHS_LISTED; i++) {
    const month = previousMonth(currentMonth, i);
    byMonth.set(month, { month, versions: [] });
  }
  for (const entry of list?.months ?? []) byMonth.set(entry.month, { month: entry.month, versions: entry.versions });
  return [...byMonth.values()].sort((a, b) => b.month.localeCompare(a.month));
}

function monthPicker(months: MonthEntry[], list: ReportListResponse | null, selected: string, currentMonth: string): HTMLElement {
  const lastComplete = previousMonth(currentMonth);
  return h(
    'nav',
    { class: 'report-months no-print', 'aria-label': 'Report months' },
    h('h2', null, 'Monthly reports'),
    h(
      'ul',
      { role: 'list' },
      months.map((m) => {
        const latest = m.versions[m.versions.length - 1];
        const state = latest ? `final v${latest.version}` : m.month === currentMonth ? 'in progress' : 'provisional';
        return h(
          'li',
          null,
          h(
            'a',
            { href: `/reports/${m.month}`, 'aria-current': m.month === selected ? 'page' : null, 'data-testid': 'report-month', 'data-month': m.month },
            h('span', null, formatMonth(m.month)),
            h('span', { class: `month-state${latest ? ' month-state--final' : ''}` }, state),
          ),
        );
      }),
    ),
    h('p', { class: 'muted small' }, list ? `Last complete month: ${formatMonthShort(lastComplete)}.` : 'Months are listed from the calendar.'),
  );
}

function reportToolbar(report: MonthlyReport): HTMLElement {
  const pdfUrl = apiUrl(`/reports/monthly/${report.month}.pdf`, { version: report.version && report.status === 'final' ? report.version : null });
  const status = h('span', { class: 'muted small', 'aria-live': 'polite' });
  return h(
    'div',
    { class: 'report-toolbar no-print' },
    h('a', { class: 'button', href: href(`/reports/${report.month}`, { version: report.status === 'final' ? report.version : null, print: 1 }) }, 'Print view'),
    h('button', { class: 'button', type: 'button', onclick: () => window.print() }, 'Print…'),
    h(
      'a',
      {
        class: 'button button--primary',
        href: pdfUrl,
        download: `bellwether-report-${report.month}.pdf`,
        onclick: (event: Event) => {
          // Fetched rather than followed: the API may need the bearer token.
          event.preventDefault();
          status.textContent = 'Rendering PDF…';
          downloadFile(pdfUrl, `bellwether-report-${report.month}.pdf`).then(
            () => (status.textContent = ''),
            (error: unknown) => (status.textContent = `PDF failed: ${error instanceof Error ? error.message : String(error)}`),
          );
        },
      },
      icon('download'),
      'Download PDF',
    ),
    status,
  );
}

// ---- the sheet -----------------------------------------------------------------------------

function reportSheet(report: MonthlyReport, charts: (() => void)[]): HTMLElement {
  const kpis = sortKpis(report.kpis);
  const counts = { green: 0, amber: 0, red: 0, grey: 0 };
  for (const k of kpis) counts[k.status]++;
  const prevLabel = kpis[0] ? formatMonthShort(kpis[0].previous_month.period.label) : 'previous month';
  const quarterLabel = kpis[0] ? formatMonthShort(kpis[0].quarter_ago.period.label) : 'a quarter ago';

  return h(
    'article',
    { class: 'report-sheet', 'aria-labelledby': 'report-title', 'data-testid': 'report', 'data-status': report.status },
    h(
      'header',
      { class: 'report-head' },
      h(
        'div',
        null,
        h('p', { class: 'eyebrow' }, 'Monthly engineering report'),
        // The organisation's name exactly as configured: the PDF is searched and quoted by it.
        h('h1', { id: 'report-title', tabindex: '-1' }, `${report.organisation} · ${formatMonth(report.month)}`),
        h(
          'p',
          { class: 'sub' },
          report.demo && !/demo/i.test(report.organisation) ? [h('span', { class: 'badge badge--demo' }, 'Demo data'), ' '] : null,
          `${formatMonth(report.month)}, whole organisation · times in ${report.time_zone}`,
        ),
      ),
      statusBlock(report),
    ),
    h(
      'p',
      { class: 'report-tally' },
      tally(counts.green, 'on target', 'green'),
      tally(counts.amber, 'at risk', 'amber'),
      tally(counts.red, 'off target', 'red'),
      counts.grey ? tally(counts.grey, 'without enough data', 'grey') : null,
      h('span', { class: 'tally-sep' }, '·'),
      h('span', null, `${report.red_items.length} red ${report.red_items.length === 1 ? 'item' : 'items'} in teams and services`),
    ),
    report.narrative.length
      ? h(
          'section',
          { class: 'report-section', 'aria-labelledby': 'narrative-heading' },
          h('h2', { id: 'narrative-heading' }, 'What changed'),
          h('ul', { class: 'narrative' }, report.narrative.map((s) => h('li', { 'data-testid': 'sentence', 'data-kpi': s.kpi }, s.text))),
        )
      : null,
    h(
      'section',
      { class: 'report-section', 'aria-labelledby': 'kpi-table-heading' },
      h('h2', { id: 'kpi-table-heading' }, 'KPIs'),
      h(
        'table',
        { class: 'table report-table report-kpis' },
        // Fixed column widths keep the table inside the A4 sheet whatever the values.
        h('colgroup', null, [19, 15, 14, 12, 15, 15, 10].map((pct) => h('col', { style: `width:${pct}%` }))),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'KPI (n)'),
            h('th', { scope: 'col', class: 'num' }, 'Value'),
            h('th', { scope: 'col', class: 'num' }, 'Target'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, `vs ${prevLabel}`),
            h('th', { scope: 'col' }, `vs ${quarterLabel}`),
            h('th', { scope: 'col', title: `DORA performance band, ${report.band_year} report` }, `DORA ${report.band_year}`),
          ),
        ),
        h('tbody', null, kpis.map((k) => kpiRow(k, report))),
      ),
    ),
    h(
      'section',
      { class: 'report-section', 'aria-labelledby': 'trends-heading' },
      h('h2', { id: 'trends-heading' }, 'Six-month trends'),
      h('div', { class: 'report-trends' }, kpis.map((k) => trendTile(k, charts))),
    ),
    h(
      'section',
      { class: 'report-section', 'aria-labelledby': 'red-heading' },
      h('h2', { id: 'red-heading' }, `Red in ${formatMonthShort(report.month)}`, h('span', { class: 'muted' }, ` · ${report.red_items.length}`)),
      report.red_items.length ? redTable(report.red_items, report) : h('p', { class: 'all-clear' }, icon('check'), 'No team or service was red this month.'),
    ),
    h(
      'footer',
      { class: 'report-foot' },
      h('span', null, `Generated ${formatDateTime(report.generated_at, report.time_zone, true)}`),
      h('span', null, `Times are medians · grey: too few records · DORA ${report.band_year} bands are survey clusters, not targets`),
    ),
  );
}

function statusBlock(report: MonthlyReport): HTMLElement {
  const final = report.status === 'final';
  const word = final ? `Final · v${report.version ?? '?'}` : 'Provisional';
  const detail = final
    ? `Issued ${formatDateTime(report.issued_at, report.time_zone, true)}`
    : report.period.partial
      ? 'The month is not over: figures will change'
      : 'Built live: not yet issued';
  return h(
    'div',
    { class: 'report-status' },
    h('span', { class: `badge badge--${report.status}`, 'data-testid': 'report-status' }, word),
    h('p', null, detail),
    report.versions.length
      ? h(
          'ol',
          { class: 'versions', 'aria-label': 'Versions' },
          report.versions.map((v) =>
            h(
              'li',
              { 'aria-current': v.version === report.version ? 'true' : null },
              h('a', { href: href(`/reports/${report.month}`, { version: v.version }) }, `v${v.version}`),
              ` ${formatDateTime(v.issued_at, report.time_zone)} · ${v.reason}`,
            ),
          ),
        )
      : null,
  );
}

function tally(count: number, label: string, status: 'green' | 'amber' | 'red' | 'grey'): HTMLElement {
  return h('span', { class: `tally tally--${status}` }, h('strong', null, String(count)), ` ${label}`);
}

function kpiRow(k: ReportKpi, report: MonthlyReport): HTMLElement {
  const band = bandText({ band: k.band, band_year: k.band_year, confidence: k.status === 'grey' ? 'low' : 'ok' });
  const org = { type: 'org' as const, id: '' };
  return h(
    'tr',
    { 'data-testid': `report-kpi-${k.key}`, 'data-status': k.status },
    h('th', { scope: 'row' }, k.name, h('span', { class: 'kpi-n', 'data-testid': 'n' }, `n = ${formatCount(k.n)}`)),
    h(
      'td',
      { class: 'num' },
      h('a', { href: explainHref(k.key, org, report.period), 'data-testid': 'value', class: 'report-value', title: 'Show the records behind this number' }, formatValue(k.value, k.unit)),
    ),
    h('td', { class: 'num', 'data-testid': 'target' }, formatTarget(k.target, k.unit, k.direction)),
    h(
      'td',
      { title: k.status_reason },
      h('span', { class: `mark mark--${k.status}`, 'data-testid': 'status' }, icon(statusIcon(k.status)), statusWord(k.status, k.status === 'grey' && k.n > 0 ? 'low' : 'no_data')),
    ),
    h('td', null, comparison(k.previous_month, k.unit, k.value)),
    h('td', null, comparison(k.quarter_ago, k.unit, k.value)),
    // The header names the report year ("DORA 2023"), so the cell carries the band alone.
    h('td', { title: `${band.text}: ${band.title}`, class: k.band ? 'band-cell' : 'band-cell muted', 'data-testid': 'band' }, k.band ? band.text.split(' · ')[0] : k.band_year === null ? 'n/a' : NO_BAND),
  );
}

/** "↓ −0.8 h (−4 %)" then the meaning by the KPI's direction: improving / worsening. */
function comparison(c: ReportComparison, unit: string, current: number | null): Child {
  if (c.value === null || c.delta === null || c.trend === null) {
    return h('span', { class: 'muted' }, c.value === null ? 'no data then' : 'no comparison');
  }
  const arrow = c.delta > 0 ? 'up' : c.delta < 0 ? 'down' : 'flat';
  const pct = formatPercentChange(c.delta_pct);
  return h(
    'span',
    { class: `cmp trend--${c.trend}`, title: `Then: ${formatValue(c.value, unit)} (n ${c.n})` },
    h('span', { class: 'cmp-delta' }, icon(arrow), formatDelta(c.delta, unit, { compact: true, scaleOf: current })),
    h('span', null, pct ? h('span', { class: 'cmp-pct' }, `${pct} · `) : null, h('span', { class: 'trend-word' }, trendWord(c.trend))),
  );
}

function trendTile(k: ReportKpi, charts: (() => void)[]): HTMLElement {
  const labels = k.trend.map((t) => formatMonthShort(t.label).replace(/ \d{4}$/, ''));
  const values = k.trend.map((t) => (t.n > 0 ? t.value : null));
  const canvas = h('canvas', { role: 'img', 'aria-label': describeSeries(`${k.name}, last six months`, k.trend.map((t) => formatMonthShort(t.label)), values, k.unit, formatTarget(k.target, k.unit, k.direction)) });
  charts.push(() => smallTrend(canvas, { labels, values, target: k.target, unit: k.unit, name: k.name }));
  return h(
    'figure',
    { class: 'trend-tile', 'data-testid': `report-trend-${k.key}` },
    h('figcaption', null, h('span', { class: 'trend-name', title: k.name }, shortName(k)), h('span', { class: 'trend-last' }, formatValue(values[values.length - 1] ?? null, k.unit))),
    h('div', { class: 'trend-box' }, canvas),
    // The numbers behind the chart, for screen readers (and a print fallback if canvas fails).
    h('table', { class: 'visually-hidden' }, h('caption', null, `${k.name}, last six months`), h('tbody', null, k.trend.map((t, i) => h('tr', null, h('th', { scope: 'row' }, formatMonthShort(t.label)), h('td', null, formatValue(values[i] ?? null, k.unit)))))),
  );
}

/** Rows beyond this are left off the printed page (with a count), so the sheet stays one page. */
const PRINT_RED_ROWS = 16;

function redTable(items: ReportRedItem[], report: MonthlyReport): HTMLElement {
  // Red items carry no direction; the report's KPI rows do (same keys).
  const directionOf = (key: string) => report.kpis.find((k) => k.key === key)?.direction ?? 'lower_is_better';
  const hiddenInPrint = Math.max(0, items.length - PRINT_RED_ROWS);
  return h(
    'table',
    { class: 'table report-table report-red' },
    h(
      'thead',
      null,
      h('tr', null, h('th', { scope: 'col' }, 'Team or service (owner)'), h('th', { scope: 'col' }, 'KPI'), h('th', { scope: 'col', class: 'num' }, 'Value'), h('th', { scope: 'col', class: 'num' }, 'Target'), h('th', { scope: 'col', class: 'num' }, 'n')),
    ),
    h(
      'tbody',
      null,
      items.map((item, i) =>
        h(
          'tr',
          { 'data-testid': 'report-red-item', 'data-scope-id': item.scope.id, 'data-kpi': item.key, class: i >= PRINT_RED_ROWS ? 'screen-only' : null },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: scopeHref(item.scope) }, item.scope.name),
            item.scope.type === 'service' ? h('span', { class: 'muted' }, item.owner_team ? ` (${item.owner_team.name})` : ' (no owner)') : h('span', { class: 'muted' }, ' (team)'),
          ),
          h('td', null, h('a', { class: 'red-what', href: explainHref(item.key, item.scope, report.period) }, item.name)),
          h('td', { class: 'num red-value' }, formatValue(item.value, item.unit)),
          h('td', { class: 'num muted' }, formatTarget(item.target, item.unit, directionOf(item.key))),
          h('td', { class: 'num muted' }, String(item.n)),
        ),
      ),
      hiddenInPrint
        ? h('tr', { class: 'print-only' }, h('td', { colspan: '5', class: 'muted' }, `… and ${hiddenInPrint} more red ${hiddenInPrint === 1 ? 'item' : 'items'}: see the dashboard's red list for ${formatMonthShort(report.month)}.`))
        : null,
    ),
  );
}
