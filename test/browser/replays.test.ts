import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  adminApi,
  DESKTOP,
  PHONE,
  assertBuilt,
  chromiumPath,
  INGEST_TOKEN,
  screenshots,
  signIn,
  SKIP_MESSAGE,
  startBrowser,
  startStack,
  unlabelledControls,
  type Browser,
  type Stack,
} from './harness.js';

/**
 * Replay and back-fill where people look for them, in Chromium against the built service and sandbox: the create
 * form's "Start from" (an export started from the earliest event back-fills the log), and the export page's
 * "Re-send a time range" (the count before confirming, then the replay's progress, updating by itself, to done).
 * Screenshots at 1280×800 and 390×844 go to test-results/screenshots/replay-*.png.
 */

const SHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

/** The element alone at both sizes (the full pages are in the harness's screenshots), to look at closely. */
async function closeUps(page: Page, selector: string, name: string): Promise<void> {
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(100);
    await page.locator(selector).screenshot({ path: join(SHOTS, `${name}-closeup-${label}.png`) });
  }
  await page.setViewportSize(DESKTOP);
}

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

const SEND = 'users.messages.email.Send';
/** A time as a datetime-local input takes it, in this machine's zone (the browser runs here too). */
const local = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

describe.skipIf(CHROMIUM === null)('replays and back-fill in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let exportId = '';
  const now = Date.now();

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack(['rp-key:rp-secret']);
    base = stack.service.url;
    browser = await startBrowser(CHROMIUM!);
    page = browser.page;
    // What the log holds before any export exists: 8 Sends an hour ago and 3 two days ago.
    const events = [
      ...Array.from({ length: 8 }, (_, i) => ({ t: now / 1000 - 3600 + i, u: `recent-${i}` })),
      ...Array.from({ length: 3 }, (_, i) => ({ t: now / 1000 - 48 * 3600 + i, u: `older-${i}` })),
    ].map(({ t, u }) => sampleEvent(SEND, { id: randomUUID(), time: Math.floor(t), externalUserId: u }));
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(res.status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  const status = () =>
    adminApi(base, 'GET', `/v1/exports/${exportId}/status`) as Promise<{ totals: { delivered: number } }>;

  it('creates an export that starts from the earliest event, and it back-fills what the log holds', async () => {
    await signIn(page, base);
    await page.getByRole('link', { name: 'Create mParticle export' }).first().click();
    await page.getByRole('heading', { name: 'Create mParticle export' }).waitFor();
    await page.getByLabel('Integration name').fill('Back-filled export');
    await page.getByLabel('Contact email').fill('ops@example.com');
    await page.getByLabel('A base URL (the sandbox, a proxy)').check();
    await page.getByLabel('Base URL', { exact: true }).fill(stack.sandbox.url);
    await page.getByLabel('Unbound key').fill('rp-key');
    await page.getByLabel('Unbound secret').fill('rp-secret');

    const start = page.locator('fieldset#f-from');
    await expect(start.getByLabel('Now: only events received from now on').isChecked()).resolves.toBe(true);
    // A time without its date and time is caught before anything is sent.
    await start.getByLabel('Events received since a time').check();
    await page.getByRole('button', { name: 'Launch' }).click();
    await start.getByText('Give the date and time to start from').waitFor();
    await start.scrollIntoViewIfNeeded();
    await screenshots(page, 'replay-form-start-time');
    await closeUps(page, 'fieldset#f-from', 'replay-form-start-time');
    expect(await unlabelledControls(page)).toEqual([]);

    await start.getByLabel('The earliest event the log holds: back-fill everything it keeps').check();
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForURL(/\/exports\/exp_[0-9a-f]+$/);
    exportId = new URL(page.url()).pathname.split('/')[2]!;
    await page.getByText(/Started from the earliest event the log held \(log position 0\)/).waitFor();
    await closeUps(page, '.started-from', 'replay-started-from');

    // All eleven events the log held reached the sandbox, though they were logged before the export existed.
    const deadline = Date.now() + 20_000;
    while ((await status()).totals.delivered < 11 && Date.now() < deadline) await page.waitForTimeout(200);
    expect((await status()).totals.delivered).toBe(11);
  }, 60_000);

  it('counts a range before confirming, then shows the replay running and, by itself, done', async () => {
    // Paused, the replay waits at nothing sent: its progress is seen moving once the page resumes the export.
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    const panel = page.locator('section[aria-labelledby="replays-heading"]');
    await panel.scrollIntoViewIfNeeded();
    await expect(panel.getByText('No replay yet').isVisible()).resolves.toBe(true);

    // A range that ends before it starts: the API's sentence, next to the field.
    await panel.getByLabel('From').fill(local(now - 3600_000));
    await panel.getByLabel('To').fill(local(now - 4 * 3600_000));
    await panel.getByRole('button', { name: 'Count events' }).click();
    // Said once, next to the field, which takes the focus so that a screen reader reads the sentence.
    await panel
      .locator('#replay-from-error')
      .getByText(/is after "to" .*: give a range that starts before it ends/)
      .waitFor();
    await expect(panel.getByLabel('From').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.evaluate<string>('document.activeElement.id')).resolves.toBe('replay-from');
    await expect(panel.getByText(/is after "to"/).count()).resolves.toBe(1);
    await closeUps(page, 'section[aria-labelledby="replays-heading"]', 'replay-range-error');

    await panel.getByLabel('From').fill(local(now - 2 * 3600_000));
    await panel.getByLabel('To').fill(local(now + 60_000));
    await panel.getByRole('button', { name: 'Count events' }).click();
    await panel.getByText(/The log holds 8 events of this export's types and sources from/).waitFor();
    await screenshots(page, 'replay-confirm');
    await closeUps(page, 'section[aria-labelledby="replays-heading"]', 'replay-confirm');
    // Counting asks for nothing.
    expect(
      ((await adminApi(base, 'GET', `/v1/exports/${exportId}/replays`)) as { replays: unknown[] }).replays,
    ).toEqual([]);

    await panel.getByRole('button', { name: 'Re-send 8 events' }).click();
    await panel.getByText('Replay 1 started: it re-sends 8 events. Its progress is in the list below.').waitFor();
    const item = panel.locator('li.replay[data-replay="1"]');
    await item.getByText('Running').waitFor();
    await item.getByText('0 of 8 events sent (0%)').waitFor();
    await item.getByText('The export is paused: this replay goes on when it is resumed.').waitFor();
    await screenshots(page, 'replay-running');
    await closeUps(page, 'section[aria-labelledby="replays-heading"]', 'replay-running');

    const delivered = (await status()).totals.delivered;
    await page.getByRole('button', { name: 'Resume' }).click();
    // No reload: the list polls, and the replay ends done with every event of the range delivered again.
    await item.getByText('Done').waitFor({ timeout: 20_000 });
    await item.getByText('8 of 8 events sent (100%)').waitFor();
    await item.getByText(/8 delivered · 0 skipped \(no external user id\) · 0 dead-lettered · 0 dropped/).waitFor();
    expect((await status()).totals.delivered).toBe(delivered + 8);
    await expect(item.locator('progress').getAttribute('value')).resolves.toBe('8');
    await screenshots(page, 'replay-done');
    await closeUps(page, 'section[aria-labelledby="replays-heading"]', 'replay-done');
    expect(await unlabelledControls(page)).toEqual([]);
  }, 60_000);
});
