import Fastify from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { Drain } from '../../src/server/drain.js';

/** The first step of a graceful shutdown, on a real listening server. */

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function serve() {
  const drain = new Drain();
  const app = Fastify();
  drain.install(app);
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let arrive: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  app.get('/slow', async () => {
    arrive();
    await held;
    return { done: true };
  });
  app.get('/fast', async () => ({ ok: true }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  apps.push(app);
  return { app, drain, url, release, arrived };
}

describe('drain', () => {
  it('answers new requests 503 with Connection: close, lets a request inside finish, and ends when clients left', async () => {
    const { app, drain, url, release, arrived } = await serve();
    const slow = request(`${url}/slow`);
    // Inside the server before the drain starts (a fixed sleep was too short on a loaded machine).
    await arrived;
    const draining = drain.drain(app, 5_000);
    expect(drain.draining).toBe(true);

    const refused = await request(`${url}/fast`, { reset: true });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers.connection).toBe('close');
    expect(refused.headers['retry-after']).toBe('1');
    expect(await refused.body.json()).toMatchObject({ code: 'shutting_down' });

    release();
    const answered = await slow;
    expect(answered.statusCode).toBe(200);
    expect(await answered.body.json()).toEqual({ done: true });
    const started = Date.now();
    await draining;
    // It ended because no connection was left, well before its 5 s bound.
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
