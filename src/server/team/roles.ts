import type { TokenRole } from '../../types.js';

/**
 * Who may call a route, declared on the route itself (Api.route's `auth`) and checked `onRequest`, before the body
 * is read. Staff roles are ordered: an operator may do what a viewer may, an admin what an operator may.
 * - `viewer`: reads everything (exports, sources, status, traces, dead letters, quarantine, the audit log).
 * - `operator`: also pauses and resumes, replays, retries dead letters and quarantine, sends test events and checks
 *   credentials.
 * - `admin`: also creates, edits and deletes exports, sources and tokens.
 * - `ingest`: the push route only, with the ingest token or a source's own token; staff tokens do not push.
 * - `none`: health, metrics, the OpenAPI document and the dashboard's files.
 */
export type Access = TokenRole | 'ingest' | 'none';

export const ROLES: readonly TokenRole[] = ['viewer', 'operator', 'admin'];

const RANK: Record<TokenRole, number> = { viewer: 1, operator: 2, admin: 3 };

export function allows(role: TokenRole, need: TokenRole): boolean {
  return RANK[role] >= RANK[need];
}

export function isTokenRole(value: unknown): value is TokenRole {
  return value === 'viewer' || value === 'operator' || value === 'admin';
}

/** The roles that may do what `need` allows, for messages ("operator or admin"). */
export function rolesAllowed(need: TokenRole): string {
  return ROLES.filter((r) => allows(r, need)).join(' or ');
}
