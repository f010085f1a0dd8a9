import { afterEach, describe, expect, it } from 'vitest';
import { duration, formatExportStatus } from '../../src/cli/status-text.js';
import { exportStatus } from '../../src/server/exports/status.js';
import { adminHeaders, pushHeaders, startTestApp, type TestApp } from '../helpers/app.js';
import { batch } from '../helpers/events.js';

/**
 * The summary `currents exports status` prints, from the real status of an export whose events wait: its lanes run
 * against a destination that does not answer, so the backlog, the feed's state and the last error are real.
 */

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe('currents exports status: the summary', () => {
  it('says the state, the backlog per feed, the outcomes, the sources with their lag, and the last error', async () => {
    t = await startTestApp({ env: { CURRENTS_MAX_BACKOFF_MS: '200' } });
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/exports',
      headers: adminHeaders,
      payload: {
        name: 'Nowhere',
        contact_email: 'data-team@example.com',
        destination: { base_url: 'http://127.0.0.1:9' },
        feeds: { unbound: { key: 'unbound-key', secret: 'never-printed-secret' } },
        events: ['users.messages.email.Send'],
      },
    });
    const id = created.json<{ id: string }>().id;
    const pushed = await t.app.inject({
      method: 'POST',
      url: '/v1/currents',
      headers: pushHeaders(),
      payload: { events: batch(5) },
    });
    expect(pushed.json()).toMatchObject({ stored: 5 });
    const store = t.store;
    const record = (await store.getExport(id))!;
    // Wait until the lanes have tried and failed once: the error is then recorded.
    let status = await exportStatus(record, store, Date.now());
    for (let i = 0; i < 100 && status.recent_errors.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await exportStatus(record, store, Date.now());
    }
    const text = formatExportStatus(status);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^Nowhere \\(${id}\\): active, \\d+ events/s over the last minute$`));
    expect(lines).toContain('backlog: 5 events waiting');
    expect(lines).toContain('events: 0 delivered, 0 skipped (no external user id), 0 dead-lettered, 0 dropped');
    expect(text).toMatch(/\n {2}unbound \(unbound, key unbound-key\): \w[\w ]*; 5 waiting; oldest received \S+Z/);
    expect(text).toMatch(
      /\n {2}default \(http, active\): 5 received, lag \d+ (s|min|h|d)[^,]*, 5 waiting for this export\n/,
    );
    expect(text).toMatch(/\nlast error: \S+Z \(unbound\): .+\n/);
    expect(text).not.toContain('never-printed-secret');
  });

  it('writes lags as people read them', () => {
    expect([5, 59, 60, 3599, 3600, 3660, 7200, 47 * 3600, 48 * 3600, 49 * 3600].map(duration)).toEqual([
      '5 s',
      '59 s',
      '1 min',
      '59 min',
      '1 h',
      '1 h 1 min',
      '2 h',
      '47 h',
      '2 d',
      '2 d 1 h',
    ]);
  });
});
