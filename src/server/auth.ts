import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenMatches } from '../secrets.js';
import { HttpError } from './errors.js';

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
