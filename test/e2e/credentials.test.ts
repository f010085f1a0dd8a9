import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createExport,
  deliveredIds,
  event,
  feedKeys,
  startSandbox,
  startService,
  waitFor,
  type Sandbox,
  type Service,
} from './harness.js';
import { startMailCatcher, type Mail, type MailCatcher } from '../helpers/mail-catcher.js';

/**
 * mParticle refusing a feed's credentials: the feed's events are held while the others flow, the contact is mailed,
 * the feed resumes on its own once the key works (or is changed), and past the hold window exactly the expired
 * events are dropped and recorded.
 */

let sandbox: Sandbox;
let service: Service;
let catcher: MailCatcher;
let mails: Mail[];

beforeAll(async () => {
  catcher = await startMailCatcher();
  mails = catcher.mails;
  sandbox = await startSandbox();
  service = await startService({
    env: { CURRENTS_SMTP_URL: catcher.url, CURRENTS_SMTP_FROM: 'currents@example.com' },
  });
});

afterAll(async () => {
  await Promise.all([service?.stop(), sandbox?.stop()]);
  service?.cleanup();
  await catcher?.close();
});

const PUSH = 'users.messages.pushnotification.Open';
const EMAIL = 'users.messages.email.Send';

const exportTo = (keys: Record<string, { key: string; secret: string }>, extra: Record<string, unknown> = {}) =>
  createExport(service, sandbox, keys, {
    name: 'Credentials test',
    contact_email: 'owner@example.com',
    events: [PUSH, EMAIL],
    ...extra,
  });

interface FeedStatus {
  id: string;
  state: string;
  held_since: string | null;
  drop_deadline: string | null;
  held_events: number;
}
interface Status {
  feeds: FeedStatus[];
  event_types: { type: string; delivered: number; dropped: number }[];
  drops: {
    feed: string;
    type: string;
    count: number;
    first_event_time: string;
    last_event_time: string;
    reason: string;
  }[];
}

const status = async (id: string) => (await service.api<Status>('GET', `/v1/exports/${id}/status`)).body;
interface Trace {
  exports: { export_id: string; fate: string; message: string; feed: string | null; drop_deadline: string | null }[];
}
/** What GET /v1/events/:id says became of one event in one export. */
const traceIn = async (exportId: string, e: Record<string, unknown>) =>
  (await service.api<Trace>('GET', `/v1/events/${e.id as string}`)).body.exports.find((x) => x.export_id === exportId)!;
const feed = (s: Status, id: string) => s.feeds.find((f) => f.id === id)!;

describe('credentials refused', () => {
  it('holds only the refused feed, tells the contact, and delivers the held events once the key is fixed', async () => {
    const keys = feedKeys('held', ['ios', 'unbound']);
    const id = await exportTo(keys);
    await sandbox.faults({ revoke: { key: keys.ios!.key } });
    const iosEvents = Array.from({ length: 8 }, (_, i) =>
      event(PUSH, `held-ios-${i}`, { platform: 'ios', appId: 'app' }),
    );
    const emails = Array.from({ length: 8 }, (_, i) => event(EMAIL, `held-mail-${i}`));
    expect((await service.push([...iosEvents, ...emails])).status).toBe(200);

    const held = await waitFor(async () => {
      const s = await status(id);
      const ios = feed(s, 'ios');
      return ios.state === 'credentials_rejected' && ios.held_events === 8 ? s : undefined;
    }, 'the ios feed to be held with its 8 events');
    const ios = feed(held, 'ios');
    expect(Date.parse(ios.drop_deadline!) - Date.parse(ios.held_since!)).toBe(48 * 3_600_000);
    // The other feed keeps flowing meanwhile.
    await waitFor(async () => (await deliveredIds(sandbox, [keys.unbound!.key])).size === 8, 'the emails to arrive');
    expect(feed(held, 'unbound').state).toBe('flowing');
    expect((await deliveredIds(sandbox, [keys.ios!.key])).size).toBe(0);
    // One held event, traced: held on its feed, with the same drop deadline as the feed's.
    const heldTrace = await traceIn(id, iosEvents[0]!);
    expect(heldTrace).toMatchObject({ fate: 'waiting', feed: 'ios', drop_deadline: ios.drop_deadline });
    expect(heldTrace.message).toContain('refuses the ios feed');
    expect(await traceIn(id, emails[0]!)).toMatchObject({ fate: 'delivered', feed: 'unbound' });

    const notice = await waitFor(async () => mails.find((m) => m.subject.includes('refused the ios feed')), 'the mail');
    expect(notice.to).toBe('owner@example.com');
    expect(notice.body).toContain('403');

    // Fix: a new key for the feed, given through the API; the feed is probed at once and resumes.
    const fixed = { key: `${keys.ios!.key}-new`, secret: 'new-secret' };
    await sandbox.addFeed(fixed.key, fixed.secret);
    const patched = await service.api('PATCH', `/v1/exports/${id}`, { feeds: { ios: fixed } });
    expect(patched.status).toBe(200);
    const got = await waitFor(async () => {
      const ids = await deliveredIds(sandbox, [fixed.key]);
      return ids.size === 8 ? ids : undefined;
    }, 'the held events to arrive under the new key');
    expect([...got.keys()].sort()).toEqual(iosEvents.map((e) => e.id as string).sort());
    await waitFor(async () => (await traceIn(id, iosEvents[7]!)).fate === 'delivered', 'the trace to say delivered');
    const after = await waitFor(async () => {
      const s = await status(id);
      return feed(s, 'ios').state === 'flowing' ? s : undefined;
    }, 'the feed to flow again');
    expect(feed(after, 'ios').held_since).toBeNull();
    await waitFor(async () => mails.find((m) => m.subject.includes('flows again')), 'the resumed mail');
    await service.api('DELETE', `/v1/exports/${id}`);
  });

  it('resumes on its own when mParticle accepts the same key again', async () => {
    const keys = feedKeys('restored', ['unbound']);
    const id = await exportTo(keys);
    await sandbox.faults({ revoke: { key: keys.unbound!.key } });
    const events = Array.from({ length: 5 }, (_, i) => event(EMAIL, `restored-${i}`));
    await service.push(events);
    await waitFor(async () => feed(await status(id), 'unbound').state === 'credentials_rejected', 'the hold');
    await sandbox.faults({ restore: { key: keys.unbound!.key } });
    await waitFor(
      async () => (await deliveredIds(sandbox, [keys.unbound!.key])).size === 5,
      'delivery after the probe',
    );
    await service.api('DELETE', `/v1/exports/${id}`);
  });

  it('past the hold window drops exactly the events that waited too long, and records them', async () => {
    const keys = feedKeys('expired', ['unbound']);
    const windowSeconds = 3;
    const id = await exportTo(keys, { hold_window_hours: windowSeconds / 3600 });
    await sandbox.faults({ revoke: { key: keys.unbound!.key } });
    const t = Math.floor(Date.now() / 1000);
    const early = Array.from({ length: 6 }, (_, i) => event(EMAIL, `early-${i}`, { time: t - 100 + i }));
    expect((await service.push(early)).status).toBe(200);
    await waitFor(async () => feed(await status(id), 'unbound').state === 'credentials_rejected', 'the hold');

    const dropped = await waitFor(async () => {
      const s = await status(id);
      return s.event_types.find((e) => e.type === EMAIL)!.dropped === 6 ? s : undefined;
    }, 'the early events to be dropped after the window');
    // Late events arrive after the early ones were dropped; the key is fixed before they expire.
    const late = Array.from({ length: 4 }, (_, i) => event(EMAIL, `late-${i}`));
    expect((await service.push(late)).status).toBe(200);
    await sandbox.faults({ restore: { key: keys.unbound!.key } });
    const ids = await waitFor(async () => {
      const got = await deliveredIds(sandbox, [keys.unbound!.key]);
      return got.size === 4 ? got : undefined;
    }, 'the late events to arrive');
    expect([...ids.keys()].sort()).toEqual(late.map((e) => e.id as string).sort());

    const drop = dropped.drops[0]!;
    expect(dropped.drops).toHaveLength(1);
    expect(drop).toMatchObject({ feed: 'unbound', type: EMAIL, count: 6 });
    expect(drop.first_event_time).toBe(new Date((t - 100) * 1000).toISOString());
    expect(drop.last_event_time).toBe(new Date((t - 95) * 1000).toISOString());
    expect(drop.reason).toContain('hold window');
    const final = await waitFor(async () => {
      const s = await status(id);
      return s.event_types.find((e) => e.type === EMAIL)!.delivered === 4 ? s : undefined;
    }, 'the counters');
    expect(final.event_types.find((e) => e.type === EMAIL)).toMatchObject({ delivered: 4, dropped: 6 });
    // Traced: a dropped event may have been dropped (drops are kept per type and time range); a late one arrived.
    const early0 = await traceIn(id, early[0]!);
    expect(early0.fate).toBe('delivered_or_dropped');
    // Each early event was alone in its partition, so its lane's drop record covers just its own time.
    expect(early0.message).toContain(`dropped 1 ${EMAIL} events`);
    expect((await traceIn(id, late[0]!)).fate).toBe('delivered');
    // One mail for the whole drop, though six lanes (partitions) each dropped their part.
    await waitFor(async () => mails.find((m) => m.subject.includes('6 events dropped')), 'one drop mail');
    expect(mails.filter((m) => m.subject.includes('events dropped'))).toHaveLength(1);
    await service.api('DELETE', `/v1/exports/${id}`);
  });
});
