// The weekly scorecard (`/`, the VP's page, issue #4 §1): every KPI with data for the scope,
// DORA keys first, each with value, n, target, RAG word, DORA band, change against the
// previous period and a 12-period sparkline; beside it, what went red this period.
import { getOrg, getRedItems, getScorecard, getSeries } from '../api.js';
import type { KpiEntry, OrgResponse, PeriodType, PeriodView, RedItem, RedItemsResponse, ScorecardResponse, SeriesResponse } from '../api-types.js';
import { describeSeries } from '../charts/describe.js';
import { sparkline } from '../charts/sparkline.js';
import {
  PERIOD_NAMES,
  PERIOD_TYPES,
  bandText,
  emptyState,
  explainHref,
  parseDateParam,
  parsePeriodType,
  parseScopeType,
  partialBadge,
  previousPeriodLabel,
  pageHead,
  scopeHref,
  segmented,
  sortKpis,
  statusBadge,
  trendText,
  valueLink,
} from '../components.js';
import { h, href, icon } from '../dom.js';
import { addDays, formatCount, formatDateTime, formatParts, formatPeriod, formatPeriodShort, formatTarget, formatValue } from '../format.js';
import type { RouteContext } from '../router.js';

const SPARK_PERIODS = 12;

export async function scorecardView(context: RouteContext): Promise<void> {
  const { query, signal } = context;
  const period = parsePeriodType(query.get('period'));
  const scopeType = parseScopeType(query.get('scope'));
  const id = scopeType === 'org' ? null : query.get('id');
  const at = parseDateParam(query.get('at'));
  const scopeQuery = { scope: scopeType, id, period, at };

  const [org, card, series, red] = await Promise.all([
    getOrg(signal),
    getScorecard(scopeQuery, signal),
    getSeries({ ...scopeQuery, periods: SPARK_PERIODS }, signal),
    // "What went red" is the organisation-wide list; a team's scorecard links to its page instead.
    scopeType === 'org' ? getRedItems({ period, at }, signal) : Promise.resolve(null),
  ]);

  const seriesByKey = new Map(series.kpis.map((s) => [s.key, s]));
  const hasData = (entry: KpiEntry) => entry.n > 0 || (seriesByKey.get(entry.key)?.points.some((p) => p.n > 0) ?? false);
  const kpis = sortKpis(card.kpis);
  const shown = kpis.filter(hasData);
  const hidden = kpis.filter((k) => !hasData(k));
  const previousLabel = previousPeriodLabel(card.period, series.periods);

  const cards = shown.map((entry) => kpiCard(entry, card, previousLabel, seriesByKey.get(entry.key)?.points ?? []));
  const page = h(
    'div',
    { class: 'page page--scorecard' },
    head(card, org, scopeType, id, period, at),
    h(
      'div',
      { class: scopeType === 'org' ? 'scorecard-layout' : 'scorecard-layout scorecard-layout--single' },
      h(
        'section',
        { class: 'scorecard-main', 'aria-labelledby': 'kpi-heading' },
        h('h2', { id: 'kpi-heading', class: 'visually-hidden' }, 'KPIs'),
        shown.length
          ? h('div', { class: 'card-grid' }, cards.map((c) => c.element))
          : emptyState('No data yet', `No KPI has records for ${card.scope.name} in the last ${SPARK_PERIODS} ${period}s. Connect a source or import records, then run a compute.`),
        hidden.length
          ? h('p', { class: 'muted small hidden-kpis' }, `No data in the last ${SPARK_PERIODS} ${period}s, so not shown: ${hidden.map((k) => k.name).join(', ')}.`)
          : null,
        shown.length ? numbersTable(shown, series) : null,
        scopeType === 'org' ? teamsPanel(org, period, at) : null,
      ),
      scopeType === 'org' ? redList(red, card.period, org) : null,
    ),
  );

  if (!context.commit(page, `${card.scope.name} · ${formatPeriodShort(card.period)}`)) return;
  for (const c of cards) c.draw();
}

function head(card: ScorecardResponse, org: OrgResponse, scopeType: string, id: string | null, period: PeriodType, at: string | null): HTMLElement {
  const base = { scope: scopeType === 'org' ? null : scopeType, id };
  const periodLinks = segmented(
    'Period length',
    PERIOD_TYPES.map((type) => ({ text: PERIOD_NAMES[type], href: href('/', { ...base, period: type === 'week' ? null : type, at }), current: type === period })),
  );
  const name = PERIOD_NAMES[period].toLowerCase();
  const previousAt = addDays(card.period.start, -1);
  const nextAt = card.period.end;
  const periodParam = period === 'week' ? null : period;
  const stepper = h(
    'nav',
    { class: 'stepper', 'aria-label': `Move by one ${name}` },
    h('a', { class: 'button button--icon', href: href('/', { ...base, period: periodParam, at: previousAt }), title: `Previous ${name}`, 'aria-label': `Previous ${name}`, 'data-keep-scroll': 'true' }, icon('left')),
    card.period.partial
      ? h('span', { class: 'button button--icon', 'aria-disabled': 'true', title: `This is the current ${name}` }, icon('right'))
      : h('a', { class: 'button button--icon', href: href('/', { ...base, period: periodParam, at: nextAt }), title: `Next ${name}`, 'aria-label': `Next ${name}`, 'data-keep-scroll': 'true' }, icon('right')),
    at && !card.period.partial ? h('a', { class: 'button', href: href('/', { ...base, period: periodParam }), 'data-keep-scroll': 'true' }, `This ${name}`) : null,
  );
  const scopeWord = scopeType === 'org' ? 'Scorecard' : scopeType === 'team' ? 'Team scorecard' : 'Service scorecard';
  const updated = latestComputed(card.kpis);
  return pageHead({
    eyebrow: [`${PERIOD_NAMES[period]}ly ${scopeWord.toLowerCase()}`.replace(/^./, (c) => c.toUpperCase())],
    title: card.scope.name,
    sub: [
      h('span', { class: 'period-label' }, formatPeriod(card.period)),
      ' ',
      partialBadge(card.period),
      h('span', { class: 'sep' }, ' · '),
      `Times in ${org.time_zone}`,
      updated ? [h('span', { class: 'sep' }, ' · '), `computed ${formatDateTime(updated, org.time_zone)}`] : null,
      scopeType !== 'org' && id ? [h('span', { class: 'sep' }, ' · '), h('a', { href: scopeHref({ type: card.scope.type, id: card.scope.id }) }, `Open ${scopeType} page`)] : null,
    ],
    controls: [periodLinks, stepper],
  });
}

function latestComputed(kpis: KpiEntry[]): string | null {
  let latest: string | null = null;
  for (const k of kpis) if (k.computed_at && (!latest || k.computed_at > latest)) latest = k.computed_at;
  return latest;
}

function kpiCard(entry: KpiEntry, card: ScorecardResponse, previousLabel: string, points: KpiEntry[]): { element: HTMLElement; draw: () => void } {
  const explain = explainHref(entry.key, card.scope, card.period);
  const band = bandText(entry);
  const labels = points.map((p) => formatPeriodShort(p.period));
  const values = points.map((p) => (p.n > 0 ? p.value : null));
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': describeSeries(`${entry.name}, last ${points.length} ${card.period.type}s`, labels, values, entry.unit),
  });
  const grey = entry.status === 'grey';
  const reason = grey ? (entry.status_reason ?? 'No data in this period') : null;
  const element = h(
    'article',
    { class: `card card--${entry.status}`, 'data-testid': `kpi-${entry.key}`, 'data-status': entry.status, title: reason },
    h(
      'header',
      { class: 'card-head' },
      h('h3', { class: 'card-title' }, entry.name),
      statusBadge(entry.status, entry.confidence, { 'data-testid': 'status' }),
    ),
    h('div', { class: 'card-main' }, valueLink(entry, explain, { 'data-testid': 'value' }), h('div', { class: 'spark' }, canvas)),
    reason ? h('p', { class: 'reason' }, reason.replace(/^./, (c) => c.toUpperCase())) : trendText(entry, previousLabel),
    h(
      'dl',
      { class: 'facts' },
      h('div', null, h('dt', null, 'Target'), h('dd', { 'data-testid': 'target' }, formatTarget(entry.target, entry.unit, entry.direction))),
      h('div', { title: 'Sample size: the records this value is computed from' }, h('dt', null, 'n'), h('dd', { 'data-testid': 'n' }, formatCount(entry.n))),
      h('div', { title: band.title }, h('dt', null, 'DORA band'), h('dd', { 'data-testid': 'band', class: entry.band ? `band band--${entry.band}` : 'band band--none' }, band.text)),
    ),
  );
  return { element, draw: () => sparkline(canvas, labels, values, entry.status) };
}

/** Where a director goes next: every team, nested, linking to its page (no extra requests). */
function teamsPanel(org: OrgResponse, period: PeriodType, at: string | null): HTMLElement | null {
  if (!org.teams.length) return null;
  const byId = new Map(org.teams.map((t) => [t.id, t]));
  const roots = org.teams.filter((t) => !t.parent || !byId.has(t.parent));
  const teamLink = (id: string) => {
    const team = byId.get(id);
    if (!team) return null;
    const services = team.services.length;
    return h(
      'li',
      null,
      h('a', { href: href(scopeHref({ type: 'team', id }), { at }) }, team.name),
      services ? h('span', { class: 'muted' }, ` · ${services} ${services === 1 ? 'service' : 'services'}`) : null,
    );
  };
  return h(
    'section',
    { class: 'panel teams-panel no-print', 'aria-labelledby': 'teams-heading' },
    h('div', { class: 'panel-head' }, h('h2', { id: 'teams-heading' }, 'Teams'), h('p', null, `Trends, sub-teams and services per team${period === 'week' ? '' : ' (weekly)'}`)),
    h(
      'div',
      { class: 'team-columns' },
      roots.map((root) =>
        h(
          'div',
          null,
          h('h3', null, h('a', { href: href(scopeHref({ type: 'team', id: root.id }), { at }) }, root.name)),
          root.children.length ? h('ul', { role: 'list' }, root.children.map(teamLink)) : h('p', { class: 'muted small' }, 'No sub-teams'),
        ),
      ),
    ),
  );
}

/** The sparkline numbers as a table: the text alternative to the charts. */
function numbersTable(kpis: KpiEntry[], series: SeriesResponse): HTMLElement {
  const byKey = new Map(series.kpis.map((s) => [s.key, s]));
  return h(
    'details',
    { class: 'numbers no-print' },
    h('summary', null, `Numbers behind the sparklines (last ${series.periods.length} ${series.periods[0]?.type ?? 'week'}s)`),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'table table--numbers' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'KPI'), series.periods.map((p) => h('th', { scope: 'col', class: 'num' }, formatPeriodShort(p), p.partial ? '*' : '')))),
        h(
          'tbody',
          null,
          kpis.map((k) => {
            const points = byKey.get(k.key)?.points ?? [];
            return h(
              'tr',
              null,
              h('th', { scope: 'row' }, k.name, h('span', { class: 'muted' }, ` (${formatParts(1, k.unit).unit || k.unit})`)),
              points.map((p) => h('td', { class: `num${p.status === 'grey' ? ' muted' : ''}`, title: p.status_reason }, p.n > 0 ? formatParts(p.value, p.unit).number : '—')),
            );
          }),
        ),
      ),
    ),
    series.periods.some((p) => p.partial) ? h('p', { class: 'muted small' }, '* in progress') : null,
  );
}

function redList(red: RedItemsResponse | null, period: PeriodView, org: OrgResponse): HTMLElement | null {
  if (!red) return null;
  const when = period.partial ? `this ${period.type}` : `in ${formatPeriodShort(period)}`;
  const heading = h('h2', { id: 'red-heading' }, `What went red ${when}`);
  const teams = red.items.filter((i) => i.scope.type === 'team');
  const services = red.items.filter((i) => i.scope.type !== 'team');
  const newly = red.items.filter((i) => i.newly_red).length;
  return h(
    'aside',
    { class: 'red-list', 'aria-labelledby': 'red-heading' },
    h('div', { class: 'red-head' }, heading, red.items.length ? h('p', { class: 'count' }, `${red.items.length} red ${red.items.length === 1 ? 'item' : 'items'}${newly ? `, ${newly} newly red` : ''}`) : null),
    red.items.length === 0
      ? h('p', { class: 'all-clear' }, icon('check'), `Nothing is red ${when}.`)
      : [group('Teams', teams, period, org), group('Services', services, period, org)],
  );
}

function group(title: string, items: RedItem[], period: PeriodView, org: OrgResponse): HTMLElement | null {
  if (!items.length) return null;
  return h('section', { class: 'red-group' }, h('h3', null, title), h('ul', { role: 'list' }, items.map((item) => redItem(item, period, org))));
}

function redItem(item: RedItem, period: PeriodView, org: OrgResponse): HTMLElement {
  const owner = item.scope.type === 'service' ? (item.owner_team?.name ?? org.teams.find((t) => t.services.includes(item.scope.id))?.name ?? null) : null;
  return h(
    'li',
    { class: 'red-item', 'data-testid': 'red-item', 'data-scope-id': item.scope.id, 'data-kpi': item.kpi.key },
    h(
      'div',
      { class: 'red-line' },
      h('a', { class: 'red-scope', href: scopeHref(item.scope) }, item.scope.name),
      owner ? h('span', { class: 'muted' }, ` · ${owner}`) : null,
      item.newly_red ? h('span', { class: 'badge badge--new', title: 'Not red in the previous period' }, 'New') : null,
    ),
    h(
      'div',
      { class: 'red-kpi' },
      h('span', { class: 'status-dot', 'aria-hidden': 'true' }, icon('cross')),
      h('a', { href: explainHref(item.kpi.key, item.scope, period), title: `${item.kpi.name} for ${item.scope.name}: show the records` }, item.kpi.name),
      h(
        'span',
        { class: 'red-figures' },
        h('span', { class: 'red-value' }, formatValue(item.kpi.value, item.kpi.unit)),
        h('span', { class: 'red-target' }, `target ${formatTarget(item.kpi.target, item.kpi.unit, item.kpi.direction)}`),
      ),
    ),
  );
}
