import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HttpError } from './errors.js';
import { describeIssues, summarise } from './issues.js';
import type { Access } from './team/roles.js';

/**
 * One place where a route is declared: its schemas validate the request AND describe it in the OpenAPI document
 * served at /openapi.json, so the two cannot drift.
 */

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Schema = z.ZodType | undefined;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteSpec<B extends Schema, Q extends Schema, P extends Schema> {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  /** Who may call it (see team/roles.ts); kept in the route's config, where a test checks every route has one. */
  auth: Access;
  body?: B;
  /** Describe the body in the document but leave its validation to the handler (the hot ingest path). */
  validateBody?: boolean;
  query?: Q;
  params?: P;
  bodyLimit?: number;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
  handler: (ctx: {
    body: Out<B>;
    query: Out<Q>;
    params: Out<P>;
    request: FastifyRequest;
    reply: FastifyReply;
  }) => Promise<unknown>;
}

interface Documented {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  auth: Access;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

/** A hook that refuses a request without the right token; routes run it `onRequest`, before the body is read. */
export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export class Api {
  readonly #routes: Documented[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly guards: Record<Exclude<Access, 'none'>, Guard>,
  ) {}

  route<B extends Schema = undefined, Q extends Schema = undefined, P extends Schema = undefined>(
    spec: RouteSpec<B, Q, P>,
  ): void {
    this.#routes.push({
      method: spec.method,
      url: spec.url,
      summary: spec.summary,
      tag: spec.tag,
      auth: spec.auth,
      body: spec.body,
      query: spec.query,
      params: spec.params,
      responses: spec.responses,
    });
    const validateBody = spec.validateBody !== false;
    this.app.route({
      method: spec.method,
      url: spec.url,
      ...(spec.bodyLimit !== undefined ? { bodyLimit: spec.bodyLimit } : {}),
      config: { auth: spec.auth },
      // onRequest runs before the body is read: a request without the right token is refused at once, whatever
      // its body (malformed, too large, or still on its way), and no time goes into reading or parsing it.
      ...(spec.auth !== 'none' ? { onRequest: this.guards[spec.auth] } : {}),
      handler: async (request, reply) => {
        const body = spec.body && validateBody ? parse(spec.body, request.body ?? {}, 'body') : request.body;
        const query = spec.query ? parse(spec.query, request.query, 'query') : undefined;
        const params = spec.params ? parse(spec.params, request.params, 'path') : undefined;
        return spec.handler({
          body: body as Out<B>,
          query: query as Out<Q>,
          params: params as Out<P>,
          request,
          reply,
        });
      },
    });
  }

  /** The OpenAPI 3.0 document of every route declared so far. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.#routes) {
      const path = r.url.replace(/:([A-Za-z_]+)/g, '{$1}');
      const parameters = [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')];
      const operation: Record<string, unknown> = {
        summary: r.summary,
        tags: [r.tag],
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(r.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } }
          : {}),
        ...(r.auth !== 'none' ? { security: [{ [r.auth === 'ingest' ? 'ingestToken' : 'adminToken']: [] }] } : {}),
        ...(r.auth !== 'none' && r.auth !== 'ingest' ? { 'x-role': r.auth } : {}),
        responses: Object.fromEntries(
          Object.entries(r.responses).map(([status, res]) => [
            status,
            {
              description: res.description,
              ...(res.schema
                ? { content: { [res.contentType ?? 'application/json']: { schema: jsonSchema(res.schema, 'output') } } }
                : {}),
            },
          ]),
        ),
      };
      (paths[path] ??= {})[r.method.toLowerCase()] = operation;
    }
    return {
      openapi: '3.0.3',
      info,
      components: {
        securitySchemes: {
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'CURRENTS_ADMIN_TOKEN, or a named token (POST /v1/tokens) whose role is at least x-role: viewer < operator < admin',
          },
          ingestToken: { type: 'http', scheme: 'bearer', description: 'CURRENTS_INGEST_TOKEN' },
        },
      },
      paths,
    };
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): unknown {
  return z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' });
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
}

/** Validate with zod; a failure is a 400 naming every field and what to change, for display next to the field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  // reportInput tells a missing field from one of the wrong type; the values themselves are never quoted back.
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const fields = describeIssues(result.error.issues, where);
  throw new HttpError(400, 'invalid_request', summarise(fields, where), { fields });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (Api.route sets it; the dashboard's files say `none`). */
    auth?: Access;
  }
}
