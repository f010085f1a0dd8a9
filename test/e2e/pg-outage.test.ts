import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchema, pgUnavailable, TEST_DATABASE_URL } from '../store/postgres-helper.js';
import { event, startService, waitFor, type Service } from './harness.js';

/**
 * The database going away under a running service: ingest answers 503 with Retry-After (nothing acknowledged that
 * was not kept), readiness says so, and both recover on their own when the database is back. The outage is made
 * with a TCP proxy in front of PostgreSQL that the test can cut.
 */

class CuttableProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(port = 0): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  /** Refuse new connections and reset the open ones, as a database that went down. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

const target = new URL(TEST_DATABASE_URL);
const proxy = new CuttableProxy(target.hostname, Number(target.port || 5432));
const schema = freshSchema();
let service: Service;

describe.skipIf(pgUnavailable !== null)('PostgreSQL outage', () => {
  beforeAll(async () => {
    await proxy.open();
    const url = new URL(TEST_DATABASE_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    service = await startService({
      env: {
        DATABASE_URL: url.toString(),
        CURRENTS_DATABASE_SCHEMA: schema,
        CURRENTS_SECRET_KEY: 'outage-test-secret-key-0123456789',
      },
    });
  });

  afterAll(async () => {
    await service?.stop('SIGKILL');
    service?.cleanup();
    await proxy.cut();
    await dropSchema(schema);
  });

  it('answers 503 with Retry-After while the database is unreachable, and recovers by itself', async () => {
    const first = await service.push([event('users.messages.email.Send', 'before')]);
    expect(first.status).toBe(200);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);

    const port = proxy.port;
    await proxy.cut();
    const refused = await fetch(`${service.url}/v1/currents`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer e2e-ingest-token-0123456789abcdef',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ events: [event('users.messages.email.Send', 'during')] }),
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: string }).error).toMatch(/retry/i);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(await ready.json())).toMatch(/store/);

    await proxy.open(port);
    const after = await waitFor(async () => {
      const r = await service.push([event('users.messages.email.Send', 'after')]);
      return r.status === 200 ? r : undefined;
    }, 'ingest to accept again');
    expect(after.body.stored).toBe(1);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  });
});
