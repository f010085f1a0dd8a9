import type { ReactNode } from 'react';
import type { Identity } from '../access.js';
import { Link, paths, type Route } from '../router.js';

export function Shell({
  route,
  identity,
  onSignOut,
  children,
}: {
  route: Route;
  identity: Identity;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const section =
    route.name === 'quarantine'
      ? 'quarantine'
      : route.name === 'tokens'
        ? 'tokens'
        : route.name === 'find'
          ? 'find'
          : route.name === 'sources' || route.name === 'new-source' || route.name === 'source'
            ? 'sources'
            : 'exports';
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to={paths.list()} className="brand">
          <svg viewBox="0 0 16 16" width="20" height="20" aria-hidden="true" focusable="false">
            <path d="M1 11c3-6 5 2 7-3s4-4 7-2" fill="none" stroke="currentColor" strokeWidth="2" />
          </svg>
          Currents → mParticle
        </Link>
        <nav aria-label="Main">
          <Link to={paths.list()} aria-current={section === 'exports' ? 'page' : undefined}>
            Exports
          </Link>
          <Link to={paths.sources()} aria-current={section === 'sources' ? 'page' : undefined}>
            Sources
          </Link>
          <Link to={paths.find()} aria-current={section === 'find' ? 'page' : undefined}>
            Find an event
          </Link>
          <Link to={paths.quarantine()} aria-current={section === 'quarantine' ? 'page' : undefined}>
            Quarantine
          </Link>
          {identity.role === 'admin' && (
            <Link to={paths.tokens()} aria-current={section === 'tokens' ? 'page' : undefined}>
              Tokens
            </Link>
          )}
        </nav>
        <p className="who" aria-label={`Signed in as ${identity.name}, ${identity.role}`}>
          {identity.name} <span className="badge idle">{identity.role}</span>
        </p>
        <button type="button" className="secondary small" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
