import { z } from 'zod';
import { ConflictError } from '../../store/errors.js';
import type { Store } from '../../store/port.js';
import type { TokenRecord } from '../../types.js';
import type { Api } from '../api.js';
import { HttpError } from '../errors.js';
import type { AuditLog } from '../team/audit.js';
import { principalOf } from '../team/principal.js';
import { mintToken } from '../team/registry.js';

/** Names exclude parentheses, so none can pass for `admin (built-in)` or `cli (<user>)` in the audit log. */
export const tokenName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9 ._@:-]{0,63}$/,
    'use 1 to 64 letters, digits, spaces and . _ @ : - (starting with a letter or digit), e.g. "ci-deploy"',
  );
export const tokenRole = z.enum(['viewer', 'operator', 'admin'], {
  error: 'choose viewer (reads), operator (also pauses, resumes, replays, retries) or admin (also changes)',
});

const createBody = z.object({ name: tokenName, role: tokenRole }).strict();

export function tokenJson(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    created_at: new Date(t.createdAt).toISOString(),
    last_used_at: t.lastUsedAt === null ? null : new Date(t.lastUsedAt).toISOString(),
  };
}

const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  role: tokenRole,
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});

/** Named tokens of the admin API (admin), and who a token is (any role). */
export function registerTokenRoutes(api: Api, deps: { store: Store; audit: AuditLog; now: () => number }): void {
  const { store, audit } = deps;

  api.route({
    method: 'GET',
    url: '/v1/whoami',
    tag: 'tokens',
    summary: "The calling token's name and role, so a client shows only what it may do",
    auth: 'viewer',
    responses: {
      200: {
        description: 'name and role',
        schema: z.object({ name: z.string(), role: tokenRole, id: z.string().nullable() }),
      },
    },
    handler: async ({ request }) => {
      const p = principalOf(request);
      return { name: p.name, role: p.role, id: p.tokenId };
    },
  });

  api.route({
    method: 'POST',
    url: '/v1/tokens',
    tag: 'tokens',
    summary: 'Make a named token with a role; its value is returned this once and only its hash is kept',
    auth: 'admin',
    body: createBody,
    responses: {
      201: {
        description: 'the token, with its value (shown this once)',
        schema: tokenView.extend({ token: z.string() }),
      },
      400: { description: 'invalid: `fields` names each field and what it needs' },
      409: { description: 'a live token has this name' },
    },
    handler: async ({ body, request, reply }) => {
      const { record, value } = mintToken(body.name, body.role, deps.now());
      let created: TokenRecord;
      try {
        created = await store.createToken(record);
      } catch (e) {
        if (e instanceof ConflictError)
          throw new HttpError(409, 'conflict', e.message, { fields: { name: e.message } });
        throw e;
      }
      await audit.record(request, {
        action: 'token.create',
        targetKind: 'token',
        targetId: created.id,
        changes: [
          { field: 'name', before: null, after: created.name },
          { field: 'role', before: null, after: created.role },
        ],
      });
      return reply.code(201).send({ ...tokenJson(created), token: value });
    },
  });

  api.route({
    method: 'GET',
    url: '/v1/tokens',
    tag: 'tokens',
    summary: 'Live named tokens: name, role, creation and last use (never the token)',
    auth: 'admin',
    responses: { 200: { description: 'tokens', schema: z.object({ tokens: z.array(tokenView) }) } },
    handler: async () => ({ tokens: (await store.listTokens()).map(tokenJson) }),
  });

  api.route({
    method: 'DELETE',
    url: '/v1/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke a token: refused at once by every process sharing the store',
    auth: 'admin',
    params: z.object({ id: z.string().min(1) }),
    responses: { 204: { description: 'revoked' }, 404: { description: 'no live token with this id' } },
    handler: async ({ params, request, reply }) => {
      const revoked = await store.revokeToken(params.id, deps.now());
      if (revoked === null) {
        throw new HttpError(404, 'not_found', `no live token with id ${params.id}; GET /v1/tokens lists them`);
      }
      await audit.record(request, {
        action: 'token.revoke',
        targetKind: 'token',
        targetId: revoked.id,
        changes: [],
        detail: { name: revoked.name, role: revoked.role },
      });
      return reply.code(204).send();
    },
  });
}
