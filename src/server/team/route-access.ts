import type { FastifyInstance } from 'fastify';
import type { Access } from './roles.js';

/** Every route an app serves with who may call it, as the app declared them (for the access table and its test). */
export interface RouteAccess {
  method: string;
  url: string;
  auth: Access;
}

const tables = new WeakMap<FastifyInstance, RouteAccess[]>();

/**
 * Refuse, when it is declared, any route that does not say who may call it: a route added later cannot be left open
 * (or closed) by mistake. Install before any route is declared.
 */
export function requireDeclaredAccess(app: FastifyInstance): void {
  const table: RouteAccess[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (route) => {
    const auth = route.config?.auth;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (auth === undefined) {
      throw new Error(
        `the route ${methods.join(',')} ${route.url} does not say who may call it: declare it with api.route and an ` +
          "`auth` ('viewer', 'operator', 'admin', 'ingest' or 'none'), or give it config: { auth }",
      );
    }
    for (const method of methods) table.push({ method, url: route.url, auth });
  });
}

export function routeAccess(app: FastifyInstance): readonly RouteAccess[] {
  return tables.get(app) ?? [];
}
