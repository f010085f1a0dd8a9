import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { baseUrlOf, createClient, type MpClient } from '../../src/mparticle/client.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | undefined;
let client: MpClient | undefined;

afterEach(async () => {
  await client?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  client = undefined;
});

/** A local HTTP server on 127.0.0.1; `handle` answers each request after its body has been read. */
async function listen(
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<{ url: string; seen: Seen[]; connections: () => number }> {
  const seen: Seen[] = [];
  let connections = 0;
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, connections: () => connections };
}

const CREDS = { key: 'feed-key', secret: 's3cr3t-value' };

describe('createClient', () => {
  it('posts JSON with HTTP Basic auth and classifies the answer', async () => {
    const { url, seen } = await listen((_req, res) => {
      res.writeHead(202, { 'x-mp-rate-limit-percentage-used': '12' }).end();
    });
    client = createClient({ baseUrl: url });
    const outcome = await client.send('/v2/bulkevents', '[{"environment":"production"}]', CREDS);
    expect(outcome).toMatchObject({ kind: 'ok', status: 202, rateLimitPercentUsed: 12 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v2/bulkevents', body: '[{"environment":"production"}]' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    const expected = `Basic ${Buffer.from('feed-key:s3cr3t-value').toString('base64')}`;
    expect(seen[0]?.headers.authorization).toBe(expected);
  });

  it('reuses kept-alive connections: never more than the pool size, one for one connection', async () => {
    const { url, connections, seen } = await listen((_req, res) => res.writeHead(202).end());
    client = createClient({ baseUrl: url, connections: 1 });
    for (let i = 0; i < 5; i += 1) {
      expect((await client.send('/v2/bulkevents', '[]', CREDS)).kind).toBe('ok');
    }
    expect(seen).toHaveLength(5);
    expect(connections()).toBe(1);
    await client.close();
    client = createClient({ baseUrl: url, connections: 2 });
    for (let i = 0; i < 20; i += 1) await client.send('/v2/bulkevents', '[]', CREDS);
    expect(seen).toHaveLength(25);
    expect(connections()).toBeLessThanOrEqual(3);
  });

  it('probes with an empty array on the bulk endpoint and reports a refused key without its secret', async () => {
    const { url, seen } = await listen((_req, res) => res.writeHead(403).end('{"errors":[{"code":"FORBIDDEN"}]}'));
    client = createClient({ baseUrl: `${url}/` });
    const outcome = await client.probe(CREDS);
    expect(outcome).toMatchObject({ kind: 'auth_rejected', status: 403 });
    expect(seen[0]).toMatchObject({ url: '/v2/bulkevents', body: '[]' });
    expect(JSON.stringify(outcome)).not.toContain(CREDS.secret);
  });

  it('keeps a path prefix of the base URL', async () => {
    const { url, seen } = await listen((_req, res) => res.writeHead(202).end());
    client = createClient({ baseUrl: `${url}/proxy/mp` });
    await client.send('/v2/events', '{}', CREDS);
    expect(seen[0]?.url).toBe('/proxy/mp/v2/events');
  });

  it('gives up on a slow answer at the deadline, as a timeout', async () => {
    const { url } = await listen((_req, res) => {
      setTimeout(() => res.writeHead(202).end(), 3000).unref();
    });
    client = createClient({ baseUrl: url, timeoutMs: 300 });
    const started = Date.now();
    const outcome = await client.send('/v2/bulkevents', '[]', CREDS);
    expect(outcome.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('reports a refused connection as a network outcome', async () => {
    const { url } = await listen((_req, res) => res.end());
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    client = createClient({ baseUrl: url, timeoutMs: 2000 });
    const outcome = await client.send('/v2/bulkevents', '[]', CREDS);
    expect(outcome).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', status: null });
  });
});

describe('baseUrlOf', () => {
  it('knows the four pods and trims a configured URL', () => {
    expect(baseUrlOf({ pod: 'US1' })).toBe('https://s2s.mparticle.com');
    expect(baseUrlOf({ pod: 'US2' })).toBe('https://s2s.us2.mparticle.com');
    expect(baseUrlOf({ pod: 'EU1' })).toBe('https://s2s.eu1.mparticle.com');
    expect(baseUrlOf({ pod: 'AU1' })).toBe('https://s2s.au1.mparticle.com');
    expect(baseUrlOf({ base_url: 'http://127.0.0.1:7701/' })).toBe('http://127.0.0.1:7701');
    expect(baseUrlOf({ base_url: 'https://proxy.example/mp/v2/' })).toBe('https://proxy.example/mp');
  });
});
