import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

/** Client-side routes. The service answers index.html for any of these paths, so a reload keeps the page. */
export type Route =
  | { name: 'list' }
  | { name: 'new' }
  | { name: 'export'; id: string }
  | { name: 'edit'; id: string; focus: string | null }
  | { name: 'test'; id: string }
  | { name: 'quarantine'; event: string | null; dismissed: boolean }
  | { name: 'tokens' }
  | { name: 'sources' }
  | { name: 'new-source' }
  | { name: 'source'; id: string }
  | { name: 'find'; id: string | null }
  | { name: 'missing'; path: string };

export function parseRoute(pathname: string, hash = '', search = ''): Route {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  if (parts.length === 0) return { name: 'list' };
  if (parts[0] === 'quarantine' && parts.length === 1) {
    const query = new URLSearchParams(search);
    return { name: 'quarantine', event: query.get('event'), dismissed: query.get('dismissed') === 'true' };
  }
  if (parts[0] === 'tokens' && parts.length === 1) return { name: 'tokens' };
  if (parts[0] === 'sources') {
    if (parts.length === 1) return { name: 'sources' };
    if (parts.length === 2 && parts[1] === 'new') return { name: 'new-source' };
    if (parts.length === 2) return { name: 'source', id: parts[1]! };
  }
  if (parts[0] === 'events' && parts.length <= 2) return { name: 'find', id: parts[1] ?? null };
  if (parts[0] === 'exports') {
    if (parts.length === 2 && parts[1] === 'new') return { name: 'new' };
    if (parts.length === 2) return { name: 'export', id: parts[1]! };
    if (parts.length === 3 && parts[2] === 'edit') {
      return { name: 'edit', id: parts[1]!, focus: hash.length > 1 ? hash.slice(1) : null };
    }
    if (parts.length === 3 && parts[2] === 'test-events') return { name: 'test', id: parts[1]! };
  }
  return { name: 'missing', path: pathname };
}

export const paths = {
  list: () => '/',
  create: () => '/exports/new',
  export: (id: string) => `/exports/${encodeURIComponent(id)}`,
  edit: (id: string, focus?: string) => `/exports/${encodeURIComponent(id)}/edit${focus ? `#${focus}` : ''}`,
  test: (id: string) => `/exports/${encodeURIComponent(id)}/test-events`,
  quarantine: (opts: { event?: string; dismissed?: boolean } = {}) => {
    const query = new URLSearchParams();
    if (opts.event !== undefined) query.set('event', opts.event);
    if (opts.dismissed === true) query.set('dismissed', 'true');
    return `/quarantine${query.size > 0 ? `?${query.toString()}` : ''}`;
  },
  tokens: () => '/tokens',
  sources: () => '/sources',
  newSource: () => '/sources/new',
  source: (id: string) => `/sources/${encodeURIComponent(id)}`,
  find: () => '/events',
  event: (id: string) => `/events/${encodeURIComponent(id)}`,
};

const CHANGE = 'currents:navigate';

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.hash, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return route;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string; children: ReactNode };

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ to, children, onClick, ...rest }: LinkProps) {
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={click} {...rest}>
      {children}
    </a>
  );
}
