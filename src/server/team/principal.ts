import type { FastifyRequest } from 'fastify';
import type { TokenRole } from '../../types.js';

/** Who made a request to the admin API: the token's name and role (the built-in admin token has no id). */
export interface Principal {
  name: string;
  role: TokenRole;
  tokenId: string | null;
}

export const BUILT_IN_ADMIN: Principal = Object.freeze({ name: 'admin (built-in)', role: 'admin', tokenId: null });

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The token behind a request that passed a staff guard. */
export function principalOf(request: FastifyRequest): Principal {
  const p = principals.get(request);
  if (p === undefined) throw new Error('a staff route ran without its guard deciding who called it');
  return p;
}
