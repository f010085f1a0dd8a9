import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { adminHeaders, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { nestedEvent } from '../helpers/events.js';

/** The quarantine API as a person reads it: where records came from, dismissing them, and when a retry is futile. */

let current: TestApp | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function start(): Promise<TestApp> {
  current = await startTestApp();
  return current;
}

const admin = (t: TestApp, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
  payload === undefined
    ? t.app.inject({ method, url, headers: adminHeaders })
    : t.app.inject({ method, url, headers: adminHeaders, payload });

interface Page {
  total: number;
  dismissed: number;
  records: { id: number; origin: string; raw: string; dismissed_at: string | null; dismissed_note: string | null }[];
  retry_would_fail: boolean;
  retry_note: string | null;
}

async function pushToBrandA(t: TestApp, events: unknown[]): Promise<void> {
  const created = await admin(t, 'POST', '/v1/sources', { id: 'brand-a', name: 'Brand A', kind: 'http' });
  expect(created.statusCode).toBe(201);
  const token = created.json<{ token: string }>().token;
  const res = await t.app.inject({
    method: 'POST',
    url: '/v1/currents',
    headers: pushHeaders(token),
    payload: JSON.stringify({ events }),
  });
  expect(res.statusCode).toBe(200);
}

describe('quarantine for people', () => {
  it('says where each record came from in words: the source by name and which event of the request', async () => {
    const t = await start();
    const good = nestedEvent('users.messages.email.Send', { id: 'fine' });
    await pushToBrandA(t, [good, { ...good, id: 'bad-1', time: 'soon' }, { ...good, id: 'bad-2', time: 'later' }]);
    const page = (await admin(t, 'GET', '/v1/quarantine')).json<Page>();
    expect(page.records.map((r) => r.origin.replace(/ \(request [^)]+\)$/, ''))).toEqual([
      'Pushed by Braze to source “Brand A”, event 2 of 3 in that request',
      'Pushed by Braze to source “Brand A”, event 3 of 3 in that request',
    ]);
    expect(page.records[0]!.origin).not.toContain('kind');
  });

  it('dismisses records: kept with time and note, out of the list and the counts, listed apart', async () => {
    const t = await start();
    await pushToBrandA(
      t,
      [1, 2, 3].map((i) => ({ ...nestedEvent('users.messages.email.Send', { id: `bad-${i}` }), time: 'soon' })),
    );
    const [a, b, c] = (await admin(t, 'GET', '/v1/quarantine')).json<Page>().records;
    const res = await admin(t, 'POST', '/v1/quarantine/dismiss', { ids: [b!.id, c!.id, 4242], note: 'test sender' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ dismissed: [b!.id, c!.id], not_open: [4242] });

    const open = (await admin(t, 'GET', '/v1/quarantine')).json<Page>();
    expect(open.total).toBe(1);
    expect(open.dismissed).toBe(2);
    expect(open.records.map((r) => r.id)).toEqual([a!.id]);
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/^currents_quarantine_records(\{[^}]*\})? 1$/m);

    const gone = (await admin(t, 'GET', '/v1/quarantine?dismissed=true')).json<Page>();
    expect(gone.total).toBe(2);
    expect(gone.records.map((r) => [r.id, r.dismissed_note])).toEqual([
      [b!.id, 'test sender'],
      [c!.id, 'test sender'],
    ]);
    expect(Date.parse(gone.records[0]!.dismissed_at!)).toBeGreaterThan(Date.now() - 60_000);

    // A retry of everything leaves dismissed records alone.
    const retried = await admin(t, 'POST', '/v1/quarantine/retry', {});
    expect(retried.json()).toMatchObject({ retried: 1 });
  });

  it('refuses a dismissal without ids, saying what to send', async () => {
    const t = await start();
    const res = await admin(t, 'POST', '/v1/quarantine/dismiss', { ids: [] });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('name the records to dismiss by id');
  });

  it('says a retry would fail again while nothing changed since the records were refused', async () => {
    const t = await start();
    await pushToBrandA(t, [{ ...nestedEvent('users.messages.email.Send', { id: 'bad' }), time: 'soon' }]);
    const page = (await admin(t, 'GET', '/v1/quarantine')).json<Page>();
    expect(page.retry_would_fail).toBe(true);
    expect(page.retry_note).toMatch(/^Nothing changed since these were refused .*a retry now would refuse them again/);

    // A record refused by another version (an upgrade since): a retry may now pass.
    const db = new Database(t.dbPath);
    try {
      db.prepare("UPDATE quarantine SET validator = '0.0.1+catalog.old'").run();
    } finally {
      db.close();
    }
    const changed = (await admin(t, 'GET', '/v1/quarantine')).json<Page>();
    expect(changed.retry_would_fail).toBe(false);
    expect(changed.retry_note).toBeNull();

    // Retried and refused again by the running version: futile again.
    await admin(t, 'POST', '/v1/quarantine/retry', {});
    expect((await admin(t, 'GET', '/v1/quarantine')).json<Page>().retry_would_fail).toBe(true);
  });

  it('finds the records of one Currents event id', async () => {
    const t = await start();
    await pushToBrandA(
      t,
      ['lost-1', 'lost-2'].map((id) => ({ ...nestedEvent('users.messages.email.Send', { id }), time: 'soon' })),
    );
    const found = (await admin(t, 'GET', '/v1/quarantine?event_id=lost-2')).json<Page>();
    expect(found.records.map((r) => (JSON.parse(r.raw) as { id: string }).id)).toEqual(['lost-2']);
    expect((await admin(t, 'GET', '/v1/quarantine?event_id=lost')).json<Page>().records).toEqual([]);
  });
});
