// Dashboard entry: the route table, the header (organisation name, teams menu) and the
// token form. The scorecard is bundled with this entry because it is the first screen;
// the team, drill-down and report views load on demand (dynamic import) to keep it small.
import './styles.css';
import { ApiError, getOrg, onUnauthorized, storeToken } from './api.js';
import type { OrgResponse, OrgTeam } from './api-types.js';
import { destroyCharts } from './charts/setup.js';
import { emptyState } from './components.js';
import { h } from './dom.js';
import { startRouter, type View } from './router.js';
import { scorecardView } from './views/scorecard.js';

const root = document.getElementById('main')!;

startRouter({
  root,
  routes: [
    { pattern: '/', section: 'scorecard', load: async () => scorecardView },
    { pattern: '/teams/:id', section: 'teams', load: async () => (await import('./views/team.js')).teamView },
    { pattern: '/services/:id', section: 'teams', load: async () => (await import('./views/team.js')).serviceView },
    { pattern: '/explain/:key', section: '', load: async () => (await import('./views/explain.js')).explainView },
    { pattern: '/reports', section: 'reports', load: async () => (await import('./views/report.js')).reportView },
    { pattern: '/reports/:month', section: 'reports', load: async () => (await import('./views/report.js')).reportView },
  ],
  notFound: notFoundView,
  beforeCommit: destroyCharts,
  renderError,
});

onUnauthorized(askForToken);
void fillHeader();

async function notFoundView(context: Parameters<View>[0]): Promise<void> {
  context.commit(h('div', { class: 'page' }, emptyState('Page not found', `There is no page at ${location.pathname}.`, h('a', { class: 'button', href: '/' }, 'Go to the scorecard'))), 'Not found');
}

function renderError(error: unknown, retry: () => void): Node {
  const title = error instanceof ApiError && error.status === 404 ? 'Not found' : 'Something went wrong';
  const message = error instanceof Error ? error.message : String(error);
  return h(
    'div',
    { class: 'page' },
    h(
      'div',
      { class: 'empty empty--error', role: 'alert' },
      h('h1', { tabindex: '-1' }, title),
      h('p', null, message),
      h('p', { class: 'empty-actions' }, h('button', { class: 'button', type: 'button', onclick: retry }, 'Try again'), ' ', h('a', { class: 'button button--quiet', href: '/' }, 'Scorecard')),
    ),
  );
}

/** Header: organisation name, demo marker and a keyboard-usable teams menu (details/summary). */
async function fillHeader(): Promise<void> {
  let org: OrgResponse;
  try {
    org = await getOrg();
  } catch {
    return; // the page itself shows the error (or the token form)
  }
  const name = document.getElementById('org-name');
  if (name) name.replaceChildren(org.name.replace(/\s*\(demo\)$/, ''), org.demo ? h('span', { class: 'badge badge--demo', title: 'Seeded sample data' }, 'Demo data') : '');
  const menu = document.getElementById('teams-menu-list');
  const details = menu?.closest('details');
  if (!menu || !details) return;
  const byId = new Map(org.teams.map((t) => [t.id, t]));
  const item = (team: OrgTeam, depth: number): HTMLElement[] => [
    h('li', null, h('a', { href: `/teams/${encodeURIComponent(team.id)}`, style: `padding-left:${0.75 + depth * 0.9}rem` }, team.name)),
    ...team.children.flatMap((child) => {
      const found = byId.get(child);
      return found ? item(found, depth + 1) : [];
    }),
  ];
  // The links exist only while the menu is open, so the page's own team links come first
  // in the document (and a closed menu holds nothing for assistive tech to trip over).
  const fill = () => {
    if (details.open) menu.replaceChildren(...org.teams.filter((t) => !t.parent || !byId.has(t.parent)).flatMap((t) => item(t, 0)));
    else menu.replaceChildren();
  };
  details.addEventListener('toggle', fill);
  fill(); // opened before the organisation had loaded
  // Close the menu once a team is chosen (the details element would stay open otherwise).
  menu.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a')) details.removeAttribute('open');
  });
  document.addEventListener('click', (event) => {
    if (details.open && !details.contains(event.target as Node)) details.removeAttribute('open');
  });
  details.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && details.open) {
      details.removeAttribute('open');
      details.querySelector('summary')?.focus();
    }
  });
}

let dialog: HTMLDialogElement | null = null;

/** The 401 path: a small modal form; the token is kept in localStorage and the request retried. */
function askForToken(reason: string): Promise<void> {
  return new Promise((resolve) => {
    dialog?.remove();
    const input = h('input', { id: 'token-input', type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
    const form = h(
      'form',
      { method: 'dialog', class: 'token-form' },
      h('h2', null, 'Sign in to Bellwether'),
      h('p', null, reason, ' Paste an API token; it is kept in this browser only.'),
      h('label', { for: 'token-input' }, 'API token'),
      input,
      h('div', { class: 'token-actions' }, h('button', { class: 'button button--primary', type: 'submit' }, 'Continue')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      storeToken(token);
      document.body.dataset.ready = 'false';
      delete document.body.dataset.auth;
      dialog?.close();
      dialog?.remove();
      dialog = null;
      resolve();
    });
    dialog = h('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title' }, form);
    form.querySelector('h2')!.id = 'token-title';
    // Escape must not leave the page stuck waiting: reopen until a token is given.
    dialog.addEventListener('cancel', (event) => event.preventDefault());
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
    // Tests and the PDF renderer wait on data-ready; a token prompt is a finished state.
    document.body.classList.remove('loading');
    document.body.dataset.ready = 'true';
    document.body.dataset.auth = 'required';
  });
}
