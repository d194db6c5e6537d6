// The team view (`/teams/:id`, the director's page, issue #4 §2): the team's place in the
// hierarchy, every KPI over 12–52 weeks against its target, sub-teams side by side, and the
// team's services in a sortable table. `/services/:id` reuses the trend part for one service.
import { getOrg, getScorecard, getSeries } from '../api.js';
import type { KpiEntry, OrgResponse, OrgService, OrgTeam, ScorecardResponse, SeriesResponse, Status } from '../api-types.js';
import { compareLines, seriesColor, seriesDash } from '../charts/compare.js';
import { describeSeries } from '../charts/describe.js';
import { lineWithTarget } from '../charts/line-with-target.js';
import {
  bandText,
  emptyState,
  explainHref,
  pageHead,
  parseDateParam,
  partialBadge,
  scopeHref,
  segmented,
  shortName,
  sortKpis,
  statusBadge,
  valueLink,
} from '../components.js';
import { h, href, icon } from '../dom.js';
import { formatCount, formatPeriod, formatPeriodShort, formatTarget, formatValue, statusIcon, statusWord } from '../format.js';
import { navigate, type RouteContext } from '../router.js';

const RANGES = [12, 26, 52] as const;
type SeriesKpi = SeriesResponse['kpis'][number];

function parseRange(value: string | null): number {
  const n = Number(value);
  return (RANGES as readonly number[]).includes(n) ? n : 12;
}

/** Every team below `team` (children, grandchildren, …), depth first. */
function descendants(org: OrgResponse, team: OrgTeam): OrgTeam[] {
  const byId = new Map(org.teams.map((t) => [t.id, t]));
  const out: OrgTeam[] = [];
  const seen = new Set<string>([team.id]);
  const walk = (t: OrgTeam) => {
    for (const childId of t.children) {
      const child = byId.get(childId);
      if (!child || seen.has(child.id)) continue;
      seen.add(child.id);
      out.push(child);
      walk(child);
    }
  };
  walk(team);
  return out;
}

function ancestors(org: OrgResponse, teamId: string | null): OrgTeam[] {
  const chain: OrgTeam[] = [];
  const seen = new Set<string>();
  let current = teamId ? org.teams.find((t) => t.id === teamId) : undefined;
  while (current && !seen.has(current.id)) {
    seen.add(current.id);
    chain.unshift(current);
    current = current.parent ? org.teams.find((t) => t.id === current!.parent) : undefined;
  }
  return chain;
}

function crumbs(org: OrgResponse, chain: { name: string; href: string }[], currentName: string): HTMLElement {
  return h(
    'nav',
    { 'aria-label': 'Breadcrumb' },
    h(
      'ol',
      { class: 'crumbs' },
      h('li', null, h('a', { href: '/' }, org.name)),
      chain.map((c) => h('li', null, h('a', { href: c.href }, c.name))),
      h('li', null, h('span', { 'aria-current': 'page' }, currentName)),
    ),
  );
}

function rangeControl(path: string, query: URLSearchParams, range: number): HTMLElement {
  return h(
    'div',
    { class: 'controls' },
    h('span', { class: 'control-label', id: 'range-label' }, 'Range'),
    segmented(
      'Range in weeks',
      RANGES.map((r) => ({ text: `${r} weeks`, href: withQuery(path, query, { range: r === 12 ? null : String(r) }), current: r === range })),
    ),
  );
}

/** The current URL's query with some keys changed (null removes the key). */
function withQuery(path: string, query: URLSearchParams, changes: Record<string, string | null>): string {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) next.delete(key);
    else next.set(key, value);
  }
  const text = next.toString();
  return text ? `${path}?${text}` : path;
}

// ---- /teams/:id ----------------------------------------------------------------------

export async function teamView(context: RouteContext): Promise<void> {
  const { params, query, signal } = context;
  const id = params.id ?? '';
  const range = parseRange(query.get('range'));
  const at = parseDateParam(query.get('at'));
  const org = await getOrg(signal);
  const team = org.teams.find((t) => t.id === id);
  if (!team) {
    context.commit(h('div', { class: 'page' }, emptyState('Team not found', `There is no team “${id}” in ${org.name}.`, h('a', { class: 'button', href: '/' }, 'Go to the scorecard'))), 'Team not found');
    return;
  }
  const byId = new Map(org.teams.map((t) => [t.id, t]));
  const children = team.children.map((c) => byId.get(c)).filter((t): t is OrgTeam => !!t);
  // The team's services include those of its sub-teams: a parent team's numbers are computed
  // from their union (KPIS.md), so its service list should show the same population.
  const teams = [team, ...descendants(org, team)];
  const services = teams.flatMap((t) => t.services.map((sid) => org.services.find((s) => s.id === sid)).filter((s): s is OrgService => !!s).map((s) => ({ service: s, team: t })));

  const common = { period: 'week' as const, at };
  const [series, childSeries, serviceCards] = await Promise.all([
    getSeries({ scope: 'team', id, ...common, periods: range }, signal),
    Promise.all(children.map((c) => getSeries({ scope: 'team', id: c.id, ...common, periods: range }, signal))),
    Promise.all(services.map((s) => getScorecard({ scope: 'service', id: s.service.id, ...common }, signal))),
  ]);

  const lastPeriod = series.periods[series.periods.length - 1];
  const parent = team.parent ? byId.get(team.parent) : undefined;
  const path = `/teams/${encodeURIComponent(id)}`;
  const trends = trendSection(series, range);
  const compare = children.length ? compareSection(children, childSeries, series, range) : null;

  const page = h(
    'div',
    { class: 'page page--team' },
    pageHead({
      crumbs: crumbs(org, ancestors(org, team.parent).map((t) => ({ name: t.name, href: scopeHref({ type: 'team', id: t.id }) })), team.name),
      eyebrow: 'Team',
      title: team.name,
      sub: [
        lastPeriod ? [h('span', { class: 'period-label' }, `Last ${range} weeks, to ${formatPeriod(lastPeriod)}`), ' ', partialBadge(lastPeriod)] : null,
        h('span', { class: 'sep' }, ' · '),
        h('a', { href: href('/', { scope: 'team', id, at }) }, 'Scorecard for this team'),
      ],
      controls: rangeControl(path, query, range),
    }),
    h(
      'div',
      { class: 'hierarchy' },
      h('span', null, 'Parent:'),
      parent ? h('a', { class: 'chip', href: scopeHref({ type: 'team', id: parent.id }), 'data-testid': 'parent-link' }, parent.name) : h('span', { class: 'chip' }, org.name),
      h('span', { class: 'sep' }, ' · '),
      h('span', null, children.length ? 'Sub-teams:' : 'No sub-teams'),
      children.map((c) => h('a', { class: 'chip', href: scopeHref({ type: 'team', id: c.id }), 'data-testid': 'subteam-link' }, c.name)),
      h('span', { class: 'sep' }, ' · '),
      h('span', null, `${services.length} ${services.length === 1 ? 'service' : 'services'}`),
    ),
    trends.element,
    compare?.element ?? null,
    servicesSection(services, serviceCards, query, path, teams.length > 1),
  );

  if (!context.commit(page, team.name)) return;
  trends.draw();
  compare?.draw();
}

// ---- /services/:id -------------------------------------------------------------------

export async function serviceView(context: RouteContext): Promise<void> {
  const { params, query, signal } = context;
  const id = params.id ?? '';
  const range = parseRange(query.get('range'));
  const at = parseDateParam(query.get('at'));
  const org = await getOrg(signal);
  const service = org.services.find((s) => s.id === id);
  if (!service) {
    context.commit(h('div', { class: 'page' }, emptyState('Service not found', `There is no service “${id}” in ${org.name}.`, h('a', { class: 'button', href: '/' }, 'Go to the scorecard'))), 'Service not found');
    return;
  }
  const series = await getSeries({ scope: 'service', id, period: 'week', at, periods: range }, signal);
  const owner = service.owner ? org.teams.find((t) => t.id === service.owner) : undefined;
  const lastPeriod = series.periods[series.periods.length - 1];
  const trends = trendSection(series, range);
  const page = h(
    'div',
    { class: 'page page--service' },
    pageHead({
      crumbs: crumbs(org, ancestors(org, service.owner).map((t) => ({ name: t.name, href: scopeHref({ type: 'team', id: t.id }) })), service.name),
      eyebrow: 'Service',
      title: service.name,
      sub: [
        lastPeriod ? [h('span', { class: 'period-label' }, `Last ${range} weeks, to ${formatPeriod(lastPeriod)}`), ' ', partialBadge(lastPeriod)] : null,
        h('span', { class: 'sep' }, ' · '),
        owner ? ['Owned by ', h('a', { href: scopeHref({ type: 'team', id: owner.id }) }, owner.name)] : 'No owner',
        service.repositories.length ? [h('span', { class: 'sep' }, ' · '), service.repositories.map((r, i) => [i ? ', ' : '', h('span', { class: 'mono' }, r)])] : null,
      ],
      controls: rangeControl(`/services/${encodeURIComponent(id)}`, query, range),
    }),
    trends.element,
  );
  if (!context.commit(page, service.name)) return;
  trends.draw();
}

// ---- KPI trends -----------------------------------------------------------------------

function trendSection(series: SeriesResponse, range: number): { element: HTMLElement; draw: () => void } {
  const labels = series.periods.map((p) => formatPeriodShort(p));
  const kpis = sortKpis(series.kpis);
  const cards = kpis.map((kpi) => trendCard(kpi, series, labels));
  const element = h(
    'section',
    { class: 'section', 'aria-labelledby': 'trends-heading' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'trends-heading' }, `Every KPI, last ${range} weeks`),
      h('p', null, 'Dashed line: target · hollow point: low confidence · gap: no data'),
    ),
    h('div', { class: 'chart-grid' }, cards.map((c) => c.element)),
  );
  return { element, draw: () => cards.forEach((c) => c.draw()) };
}

function trendCard(kpi: SeriesKpi, series: SeriesResponse, labels: string[]): { element: HTMLElement; draw: () => void } {
  const points = kpi.points;
  const latest = points[points.length - 1];
  const values = points.map((p) => (p.n > 0 ? p.value : null));
  const target = latest ? formatTarget(latest.target, kpi.unit, kpi.direction) : undefined;
  const canvas = h('canvas', { role: 'img', 'aria-label': describeSeries(kpi.name, labels, values, kpi.unit, target) });
  const element = h(
    'article',
    { class: 'chart-card', 'data-testid': `chart-${kpi.key}` },
    h(
      'header',
      { class: 'chart-card-head' },
      h(
        'div',
        null,
        h('h3', null, kpi.name),
        latest
          ? h(
              'div',
              { class: 'latest' },
              valueLink(latest, explainHref(kpi.key, series.scope, latest.period), { 'data-testid': 'value' }),
              h('span', { class: 'latest-meta' }, `${formatPeriodShort(latest.period)} · n ${formatCount(latest.n)} · target ${target}`),
            )
          : null,
      ),
      latest ? statusBadge(latest.status, latest.confidence, { title: latest.status_reason ?? statusWord(latest.status) }) : null,
    ),
    h('div', { class: 'chart-box' }, canvas),
    numbersTable(
      ['Week', 'Value', 'n', 'Target', 'Status', 'DORA band'].map((c, i) => h('th', { scope: 'col', class: i > 0 && i < 4 ? 'num' : null }, c)),
      [...points].reverse().map((p) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, h('a', { href: explainHref(kpi.key, series.scope, p.period) }, formatPeriodShort(p.period)), p.period.partial ? h('span', { class: 'muted' }, ' (in progress)') : null),
          h('td', { class: 'num' }, formatValue(p.n > 0 ? p.value : null, p.unit)),
          h('td', { class: 'num' }, formatCount(p.n)),
          h('td', { class: 'num' }, formatTarget(p.target, p.unit, p.direction)),
          h('td', { title: p.status_reason }, statusMark(p.status, p.confidence)),
          h('td', null, p.band_year === null ? h('span', { class: 'muted' }, '—') : bandText(p).text),
        ),
      ),
    ),
  );
  return {
    element,
    draw: () =>
      lineWithTarget(canvas, {
        labels,
        name: kpi.name,
        unit: kpi.unit,
        points: points.map((p) => ({ value: p.n > 0 ? p.value : null, target: p.target, lowConfidence: p.confidence === 'low' })),
        // A click on a week opens the records behind it (the table below has the same links for keyboards).
        onSelect: (index) => {
          const point = points[index];
          if (point && point.n > 0) navigate(explainHref(kpi.key, series.scope, point.period));
        },
      }),
  };
}

/** The numbers behind a chart, as a table folded under it (its text alternative, and for print). */
function numbersTable(headCells: HTMLElement[], rows: HTMLElement[]): HTMLElement {
  return h(
    'details',
    { class: 'no-print' },
    h('summary', null, 'Show the numbers'),
    h('div', { class: 'table-scroll' }, h('table', { class: 'table' }, h('thead', null, h('tr', null, headCells)), h('tbody', null, rows))),
  );
}

/** A status as icon + word in table cells. */
function statusMark(status: Status, confidence?: KpiEntry['confidence']): HTMLElement {
  return h('span', { class: `mark mark--${status}` }, icon(statusIcon(status)), statusWord(status, confidence));
}

// ---- sub-teams ------------------------------------------------------------------------

function compareSection(children: OrgTeam[], childSeries: SeriesResponse[], own: SeriesResponse, range: number): { element: HTMLElement; draw: () => void } {
  const labels = own.periods.map((p) => formatPeriodShort(p));
  const kpis = sortKpis(own.kpis);
  const byChild = childSeries.map((s) => new Map(s.kpis.map((k) => [k.key, k])));
  const charts = kpis.map((kpi) => {
    const lines = children.map((c, i) => ({ name: c.name, values: (byChild[i]?.get(kpi.key)?.points ?? []).map((p) => (p.n > 0 ? p.value : null)) }));
    const target = kpi.points.map((p) => p.target);
    const canvas = h('canvas', {
      role: 'img',
      'aria-label': `${kpi.name} by sub-team, last ${range} weeks. ` + lines.map((l) => describeSeries(l.name, labels, l.values, kpi.unit)).join(' '),
    });
    const element = h(
      'article',
      { class: 'chart-card', 'data-testid': `compare-${kpi.key}` },
      h('header', { class: 'chart-card-head' }, h('h3', null, kpi.name)),
      legend(children.map((c) => c.name)),
      h('div', { class: 'chart-box' }, canvas),
      numbersTable(
        [h('th', { scope: 'col' }, 'Week'), ...children.map((c) => h('th', { scope: 'col', class: 'num' }, c.name))],
        labels
          .map((label, w) => h('tr', null, h('th', { scope: 'row' }, label), lines.map((l) => h('td', { class: 'num' }, formatValue(l.values[w] ?? null, kpi.unit)))))
          .reverse(),
      ),
    );
    return { element, draw: () => compareLines(canvas, { labels, series: lines, target, unit: kpi.unit }) };
  });

  // The latest period side by side, as numbers (the table the charts summarise).
  const latestTable = h(
    'div',
    { class: 'panel table-scroll' },
    h(
      'table',
      { class: 'table', 'data-testid': 'subteams-table' },
      h('caption', { class: 'visually-hidden' }, 'Sub-teams, latest week'),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Sub-team'), kpis.map((k) => h('th', { scope: 'col', class: 'num', title: k.name }, shortName(k))))),
      h(
        'tbody',
        null,
        children.map((c, i) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, h('a', { href: scopeHref({ type: 'team', id: c.id }) }, c.name)),
            kpis.map((k) => {
              const points = byChild[i]?.get(k.key)?.points ?? [];
              const p = points[points.length - 1];
              return h('td', { class: 'num' }, p ? valueCell(p, { type: 'team', id: c.id }) : '—');
            }),
          ),
        ),
      ),
    ),
  );

  const element = h(
    'section',
    { class: 'section', 'aria-labelledby': 'compare-heading' },
    h('div', { class: 'section-head' }, h('h2', { id: 'compare-heading' }, 'Sub-teams compared'), h('p', null, `Latest week, then each KPI over ${range} weeks`)),
    latestTable,
    h('div', { class: 'chart-grid', style: 'margin-top:14px' }, charts.map((c) => c.element)),
  );
  return { element, draw: () => charts.forEach((c) => c.draw()) };
}

function legend(names: string[]): HTMLElement {
  const swatch = (i: number) => {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 22 8');
    svg.setAttribute('aria-hidden', 'true');
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    Object.entries({ x1: '1', y1: '4', x2: '21', y2: '4', stroke: seriesColor(i), 'stroke-width': '2', 'stroke-dasharray': seriesDash(i).join(' ') || 'none' }).forEach(([k, v]) => line.setAttribute(k, v));
    svg.appendChild(line);
    return svg;
  };
  return h('ul', { class: 'legend', role: 'list' }, names.map((n, i) => h('li', null, swatch(i), n)));
}

/** A value with its status mark, linking to the records behind it. */
function valueCell(entry: KpiEntry, scope: { type: 'team' | 'service'; id: string }): HTMLElement {
  return h(
    'span',
    { class: 'cell-value', title: entry.status_reason ?? statusWord(entry.status, entry.confidence) },
    valueLink(entry, explainHref(entry.key, scope, entry.period)),
    // Grey says why in visible words (keyboard users get no hover title); RAG is icon + label.
    entry.status === 'grey'
      ? h('span', { class: 'mark mark--grey' }, icon('circle'), entry.confidence === 'low' ? `low n (${entry.n})` : 'no data')
      : h('span', { class: `mark mark--${entry.status}`, 'aria-label': statusWord(entry.status, entry.confidence), role: 'img' }, icon(statusIcon(entry.status))),
  );
}

// ---- services ---------------------------------------------------------------------------

interface ServiceRow {
  service: OrgService;
  team: OrgTeam;
  card: ScorecardResponse;
}

function servicesSection(services: { service: OrgService; team: OrgTeam }[], cards: ScorecardResponse[], query: URLSearchParams, path: string, showTeam: boolean): HTMLElement {
  const rows: ServiceRow[] = services.map((s, i) => ({ ...s, card: cards[i]! }));
  const kpis = sortKpis(rows[0]?.card.kpis ?? []);
  const sortKey = query.get('sort') ?? 'name';
  const dir = query.get('dir') === 'desc' ? 'desc' : 'asc';
  const period = rows[0]?.card.period;

  const valueOf = (row: ServiceRow, key: string): string | number | null => {
    if (key === 'name') return row.service.name.toLowerCase();
    if (key === 'team') return row.team.name.toLowerCase();
    const entry = row.card.kpis.find((k) => k.key === key);
    return entry && entry.n > 0 ? entry.value : null;
  };
  const sorted = [...rows].sort((a, b) => {
    const x = valueOf(a, sortKey);
    const y = valueOf(b, sortKey);
    // No data sorts last in both directions: it is not a small number.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return (dir === 'asc' ? order : -order) || a.service.name.localeCompare(b.service.name);
  });

  const header = (key: string, label: string, numeric: boolean, fullName = label) => {
    const active = key === sortKey;
    const nextDir = active && dir === 'asc' ? 'desc' : 'asc';
    return h(
      'th',
      { scope: 'col', class: numeric ? 'num' : null, 'aria-sort': active ? (dir === 'asc' ? 'ascending' : 'descending') : null },
      h(
        'button',
        {
          type: 'button',
          class: 'sort-button',
          title: `Sort by ${fullName}`,
          onclick: () => navigate(withQuery(path, query, { sort: key === 'name' ? null : key, dir: nextDir === 'asc' ? null : 'desc' }), { keepScroll: true }),
        },
        label,
        h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (dir === 'asc' ? '▲' : '▼') : '↕'),
      ),
    );
  };

  return h(
    'section',
    { class: 'section', 'aria-labelledby': 'services-heading' },
    h(
      'div',
      { class: 'section-head' },
      h('h2', { id: 'services-heading' }, 'Services'),
      h('p', null, period ? [formatPeriod(period), period.partial ? ' (in progress)' : '', ' · click a column header to sort'] : null),
    ),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'This team owns no services.')
      : h(
          'div',
          { class: 'panel table-scroll' },
          h(
            'table',
            { class: 'table', 'data-testid': 'services-table' },
            h('caption', { class: 'visually-hidden' }, 'Services and their KPIs; column headers sort the table'),
            h('thead', null, h('tr', null, header('name', 'Service', false), showTeam ? header('team', 'Team', false) : null, kpis.map((k) => header(k.key, shortName(k), true, k.name)))),
            h(
              'tbody',
              null,
              sorted.map((row) =>
                h(
                  'tr',
                  { 'data-service-id': row.service.id },
                  h('th', { scope: 'row' }, h('a', { href: scopeHref({ type: 'service', id: row.service.id }) }, row.service.name)),
                  showTeam ? h('td', null, h('a', { href: scopeHref({ type: 'team', id: row.team.id }), class: 'muted' }, row.team.name)) : null,
                  kpis.map((k) => {
                    const entry = row.card.kpis.find((e) => e.key === k.key);
                    return h('td', { class: 'num', 'data-kpi': k.key }, entry ? valueCell(entry, { type: 'service', id: row.service.id }) : '—');
                  }),
                ),
              ),
            ),
          ),
        ),
  );
}
