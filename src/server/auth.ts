import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../secrets.js';
import type { SourceRecord, TokenRole } from '../types.js';
import { HttpError } from './errors.js';
import type { SourceDirectory } from './sources/directory.js';
import { setPrincipal } from './team/principal.js';
import type { TokenRegistry } from './team/registry.js';
import { allows, rolesAllowed } from './team/roles.js';

/**
 * A hook that lets a request through only with `Authorization: Bearer <token>` of the given kind. Routes run it
 * `onRequest`, before the body is read (see Api.route).
 */
export function requireBearer(token: string, kind: 'ingest' | 'admin') {
  const hint =
    kind === 'ingest'
      ? 'send the ingest token (CURRENTS_INGEST_TOKEN, or ingest_token in <data>/tokens.json) as "Authorization: Bearer <token>"'
      : 'send the admin token (CURRENTS_ADMIN_TOKEN, or admin_token in <data>/tokens.json) as "Authorization: Bearer <token>"';
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw new HttpError(401, 'unauthorized', `missing bearer token: ${hint}`, {}, { 'www-authenticate': 'Bearer' });
    }
    if (!tokenMatches(header.slice(7).trim(), token)) {
      throw new HttpError(401, 'unauthorized', `wrong ${kind} token: ${hint}`, {}, { 'www-authenticate': 'Bearer' });
    }
  };
}

const STAFF_HINT =
  'send the admin token (CURRENTS_ADMIN_TOKEN, or admin_token in <data>/tokens.json) or a named token made with ' +
  'POST /v1/tokens, as "Authorization: Bearer <token>"';

/**
 * The admin API's hook: lets a request through with a live token whose role allows `need` (the built-in admin
 * token, or a named token), and records who it is for the audit log. Runs `onRequest`, before the body is read.
 * No token or an unknown one is a 401; a token whose role is too low a 403 naming the role needed.
 */
export function requireRole(registry: TokenRegistry, need: TokenRole, ingestToken: string) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw new HttpError(
        401,
        'unauthorized',
        `missing bearer token: ${STAFF_HINT}`,
        {},
        { 'www-authenticate': 'Bearer' },
      );
    }
    const value = header.slice(7).trim();
    const principal = await registry.identify(value);
    if (principal === null) {
      const why = tokenMatches(value, ingestToken)
        ? 'the ingest token only pushes events (POST /v1/currents)'
        : 'no live token has this value (it may have been revoked)';
      throw new HttpError(
        401,
        'unauthorized',
        `wrong admin token: ${why}; ${STAFF_HINT}`,
        {},
        {
          'www-authenticate': 'Bearer',
        },
      );
    }
    if (!allows(principal.role, need)) {
      throw new HttpError(
        403,
        'forbidden',
        `the token "${principal.name}" has the role ${principal.role}, and this needs ${rolesAllowed(need)}: ` +
          'ask an admin for a token with that role (POST /v1/tokens)',
        { role: principal.role, needs: need },
      );
    }
    setPrincipal(request, principal);
  };
}

/** The source each admitted push was filed under, set by `requireIngest` before the body is read. */
const sourceOfRequest = new WeakMap<FastifyRequest, SourceRecord>();

export function ingestSourceOf(request: FastifyRequest): SourceRecord {
  const source = sourceOfRequest.get(request);
  if (source === undefined) throw new Error('the ingest route ran without requireIngest deciding its source');
  return source;
}

/**
 * The ingest route's hook: which source a push belongs to (its own token, or the ingest token with `?source=<id>`,
 * or the built-in source `default`), refused at once when none fits. Runs `onRequest`, before the body is read.
 */
export function requireIngest(directory: SourceDirectory) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const requested = (request.query as Record<string, unknown> | undefined)?.source;
    if (requested !== undefined && typeof requested !== 'string') {
      throw new HttpError(400, 'invalid_request', 'give ?source= once, with one source id');
    }
    const answer = await directory.resolve(request.headers.authorization, requested);
    if (answer.ok) {
      sourceOfRequest.set(request, answer.source);
      return;
    }
    const headers: Record<string, string> =
      answer.status === 401
        ? { 'www-authenticate': 'Bearer' }
        : answer.retryAfterSeconds !== undefined
          ? { 'retry-after': String(answer.retryAfterSeconds) }
          : {};
    throw new HttpError(answer.status, answer.code, answer.message, {}, headers);
  };
}
