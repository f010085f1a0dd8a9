import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, INGEST_TOKEN, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Tokens are checked before the body is read, on a real listening server: a client without the right token gets
 * its 401 whatever its body is (malformed, invalid, larger than allowed, or not sent yet), and the service spends no
 * time reading or parsing a body it will refuse.
 */

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await startTestApp();
  // No delivery in these tests: the store stays still.
  await t.engine.stop();
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  headers: string;
  body: string;
}

/**
 * Send a request's headers, declaring `declared` body bytes, and only `sent` of them; resolve with the answer that
 * arrives meanwhile. A server that reads the whole body before answering never answers: that is a timeout here.
 */
function partialRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
  declared: number,
  sent: number,
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 3 s after sending ${sent} of ${declared} body bytes`));
    }, 3_000);
    const done = (answer: Answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const body = received.slice(end + 4);
      if (body.length < length) return;
      done({ status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body: body.slice(0, length) });
    });
    socket.on('connect', () => {
      const lines = [
        `${method} ${path} HTTP/1.1`,
        `host: ${hostname}:${port}`,
        'content-type: application/json',
        `content-length: ${declared}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      // The start of a JSON document, then spaces: valid as far as it goes.
      socket.write(`${lines.join('\r\n')}\r\n\r\n{"events": [` + ' '.repeat(Math.max(0, sent - 12)));
    });
  });
}

describe('a request without the right token is refused before its body is read', () => {
  it('answers 401 to an unauthenticated push whose body is malformed JSON (not 400)', async () => {
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'braze-currents-version': '1' },
      body: '{"events": [ {"id": "a", ',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'unauthorized' });
  });

  it.each([
    ['a push without a token', 'POST', '/v1/currents', {}, 'ingest token'],
    [
      'a push with a wrong token',
      'POST',
      '/v1/currents',
      { authorization: 'Bearer not-it-0123456789abcdef' },
      'ingest',
    ],
    ['an export without a token', 'POST', '/v1/exports', {}, 'admin token'],
    ['an export with the ingest token', 'POST', '/v1/exports', { authorization: `Bearer ${INGEST_TOKEN}` }, 'admin'],
  ])('answers 401 to %s of 3 MB after 4 KB of it was sent', async (_label, method, path, headers, says) => {
    const res = await partialRequest(method, path, headers, 3_000_000, 4096);
    expect(res.status).toBe(401);
    expect(res.headers).toContain('www-authenticate: bearer');
    expect(JSON.parse(res.body)).toMatchObject({ code: 'unauthorized', error: expect.stringContaining(says) });
  });

  it('answers 401, not 413, to an unauthenticated push declaring more than the body limit', async () => {
    const res = await partialRequest('POST', '/v1/currents', {}, t.config.bodyLimitBytes * 4, 1024);
    expect(res.status).toBe(401);
  });

  it('still reads and answers an authenticated push sent in full', async () => {
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST_TOKEN}` },
      body: `{"events": [${' '.repeat(100_000)}]}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: 0 });
  });
});

describe('a push a source cannot take is refused before its body is read', () => {
  let ownToken = '';
  beforeAll(async () => {
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/sources',
      headers,
      payload: { id: 'brand-a', name: 'A', kind: 'http' },
    });
    ownToken = created.json<{ token: string }>().token;
    await t.app.inject({
      method: 'POST',
      url: '/v1/sources',
      headers,
      payload: { id: 'paused', name: 'P', kind: 'http' },
    });
    await t.app.inject({ method: 'POST', url: '/v1/sources/paused/pause', headers });
    await t.app.inject({
      method: 'POST',
      url: '/v1/sources',
      headers,
      payload: { id: 'other', name: 'O', kind: 'http' },
    });
  });

  it.each([
    ['an unknown ?source=', '/v1/currents?source=nope', () => INGEST_TOKEN, 404, 'unknown_source'],
    ['a paused source', '/v1/currents?source=paused', () => INGEST_TOKEN, 503, 'source_paused'],
    [
      "a source's token with another source",
      '/v1/currents?source=other',
      () => ownToken,
      403,
      'token_of_another_source',
    ],
    [
      "a source's token, wrong by one character",
      '/v1/currents',
      () => `${ownToken.slice(0, -1)}x`,
      401,
      'unauthorized',
    ],
  ])('answers %s after 4 KB of a 3 MB body', async (_label, path, token, status, code) => {
    const res = await partialRequest('POST', path, { authorization: `Bearer ${token()}` }, 3_000_000, 4096);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toMatchObject({ code });
    if (status === 503) expect(res.headers).toContain('retry-after: 60');
  });

  it("still reads and answers a push sent in full with a source's own token", async () => {
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ownToken}` },
      body: `{"events": [${' '.repeat(100_000)}]}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ source: 'brand-a', received: 0 });
  });
});

describe('every route that needs a token', () => {
  interface Route {
    method: string;
    path: string;
    kind: 'admin' | 'ingest';
  }

  /** From the OpenAPI document, which lists every route the app serves (test/server/operations.test.ts). */
  async function guardedRoutes(): Promise<Route[]> {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    };
    return Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security !== undefined)
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          // A path parameter that names nothing: with the right token these would be 404s.
          path: path.replace(/\{letter\}/g, '1').replace(/\{[A-Za-z_]+\}/g, 'no-such-export'),
          kind: 'adminToken' in op.security![0]! ? 'admin' : 'ingest',
        })),
    );
  }

  const wrongTokens = (kind: 'admin' | 'ingest'): [string, string | undefined][] => [
    ['no token', undefined],
    ['a wrong token', 'Bearer wrong-token-0123456789abcdef'],
    ['the other kind of token', `Bearer ${kind === 'admin' ? INGEST_TOKEN : ADMIN_TOKEN}`],
    ['another scheme', `Basic ${Buffer.from(`x:${kind === 'admin' ? ADMIN_TOKEN : INGEST_TOKEN}`).toString('base64')}`],
  ];

  it('answers 401 with no token and with a wrong one, before looking at a malformed or invalid body', async () => {
    const routes = await guardedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    expect(routes).toContainEqual({ method: 'POST', path: '/v1/currents', kind: 'ingest' });
    expect(routes.filter((r) => r.method === 'POST' || r.method === 'PATCH').length).toBeGreaterThan(10);
    const failures: string[] = [];
    for (const route of routes) {
      const withBody = route.method !== 'GET' && route.method !== 'DELETE';
      const bodies = withBody ? ['{"broken', '{"not": "what this route takes"}'] : [undefined];
      for (const [label, authorization] of wrongTokens(route.kind)) {
        for (const body of bodies) {
          const res = await fetch(`${base}${route.path}`, {
            method: route.method,
            headers: {
              ...(authorization !== undefined ? { authorization } : {}),
              ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            },
            ...(body !== undefined ? { body } : {}),
          });
          const text = await res.text();
          const seen = `${route.method} ${route.path} with ${label}${body !== undefined ? ` and body ${body}` : ''}`;
          if (res.status !== 401) failures.push(`${seen}: ${res.status} ${text}`);
          else if (!text.includes(`${route.kind} token`)) failures.push(`${seen}: the 401 does not name the token`);
          if (text.includes(ADMIN_TOKEN) || text.includes(INGEST_TOKEN))
            failures.push(`${seen}: a token in the answer`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets the right token through to the route (here, to its 404 or its body validation)', async () => {
    const res = await fetch(`${base}/v1/exports/no-such-export/replay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect(res.status).toBe(400);
    const status = await fetch(`${base}/v1/exports/no-such-export/status`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(status.status).toBe(404);
  });
});
