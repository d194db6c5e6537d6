// History-API router: every view's state lives in the URL (path + query), links are real
// <a href> elements whose clicks are intercepted, and back/forward re-render from the URL.
// It also owns the `data-ready` flag that e2e tests and the PDF renderer wait on.

export interface RouteContext {
  /** Path parameters, decoded (`/teams/:id` → { id }). */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when another navigation starts; pass it to every fetch. */
  signal: AbortSignal;
  /** Replaces the page content with `content` unless this navigation was superseded. */
  commit(content: Node, title: string): boolean;
}

export type View = (context: RouteContext) => Promise<void>;

export interface Route {
  pattern: string; // '/teams/:id'
  load: () => Promise<View>;
  /** Which header link to mark as the current page. */
  section: string;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  keys: string[];
}

interface RouterOptions {
  root: HTMLElement;
  routes: Route[];
  notFound: View;
  /** Runs before new content replaces the old (e.g. destroy charts). */
  beforeCommit: () => void;
  renderError: (error: unknown, retry: () => void) => Node;
}

let options: RouterOptions | null = null;
let compiled: CompiledRoute[] = [];
let current: AbortController | null = null;
let firstRender = true;

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = route.pattern.replace(/:(\w+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { ...route, keys, regex: new RegExp(`^${source}/?$`) };
}

export function startRouter(routerOptions: RouterOptions): void {
  options = routerOptions;
  compiled = routerOptions.routes.map(compile);
  history.scrollRestoration = 'manual';
  document.addEventListener('click', interceptLinkClick);
  window.addEventListener('popstate', (event) => {
    const state = event.state as { scrollY?: number } | null;
    void render({ scrollTo: state?.scrollY ?? 0 });
  });
  void render({ scrollTo: null });
}

export interface NavigateOptions {
  replace?: boolean;
  /** Keep the scroll position (sorting a table, switching a picker). */
  keepScroll?: boolean;
}

export function navigate(url: string, navigateOptions: NavigateOptions = {}): void {
  const target = new URL(url, location.href);
  // Remember where we were so "back" returns to the same spot.
  history.replaceState({ ...(history.state as object | null), scrollY: window.scrollY }, '');
  const next = target.pathname + target.search + target.hash;
  if (navigateOptions.replace) history.replaceState({}, '', next);
  else history.pushState({}, '', next);
  void render({ scrollTo: navigateOptions.keepScroll ? window.scrollY : 0 });
}

function interceptLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || !anchor.href || anchor.hasAttribute('download')) return;
  if (anchor.target && anchor.target !== '_self') return;
  const url = new URL(anchor.href, location.href);
  // API links (CSV, docs) and other origins are real page loads.
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
  event.preventDefault();
  navigate(url.href, { keepScroll: anchor.dataset.keepScroll === 'true' });
}

function match(pathname: string): { route: CompiledRoute; params: Record<string, string> } | null {
  for (const route of compiled) {
    const found = route.regex.exec(pathname);
    if (!found) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(found[i + 1] ?? '');
    });
    return { route, params };
  }
  return null;
}

async function render({ scrollTo }: { scrollTo: number | null }): Promise<void> {
  if (!options) return;
  const { root, notFound, beforeCommit, renderError } = options;
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const body = document.body;
  body.dataset.ready = 'false';
  delete body.dataset.error;
  const query = new URLSearchParams(location.search);
  // ?print=1 hides navigation and controls (the same rules as @media print).
  body.classList.toggle('print-mode', query.get('print') === '1');
  // Show the progress bar only when a page is slow, so fast navigations do not flicker.
  const slow = window.setTimeout(() => body.classList.add('loading'), 150);

  const found = match(location.pathname);
  markSection(found?.route.section ?? '');
  const isFirst = firstRender;
  firstRender = false;
  const context: RouteContext = {
    params: found?.params ?? {},
    query,
    signal: controller.signal,
    commit(content, title) {
      if (controller.signal.aborted) return false;
      beforeCommit();
      root.replaceChildren(content);
      document.title = title ? `${title} · Bellwether` : 'Bellwether';
      if (scrollTo !== null) window.scrollTo(0, scrollTo);
      // Move keyboard and screen-reader focus to the new page's heading (not on first load).
      if (!isFirst && scrollTo === 0) root.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
      return true;
    },
  };
  try {
    const view = found ? await found.route.load() : notFound;
    await view(context);
  } catch (error) {
    if (controller.signal.aborted) return;
    console.error(error);
    if (context.commit(renderError(error, () => void render({ scrollTo: null })), 'Error')) {
      body.dataset.error = error instanceof Error ? error.message : String(error);
    }
  } finally {
    window.clearTimeout(slow);
    if (!controller.signal.aborted) {
      body.classList.remove('loading');
      body.dataset.ready = 'true';
    }
  }
}

function markSection(section: string): void {
  for (const link of document.querySelectorAll<HTMLElement>('[data-section]')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}
