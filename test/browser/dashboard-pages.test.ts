import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApi,
  assertBuilt,
  chromiumPath,
  INGEST_TOKEN,
  requestsElsewhere,
  screenshots,
  signIn,
  SKIP_MESSAGE,
  startBrowser,
  startStack,
  tabTo,
  unlabelledControls,
  type Browser,
  type Stack,
} from './harness.js';

/**
 * Every page by keyboard and for assistive technology: the create flow without a mouse, labels on every control,
 * nothing fetched from elsewhere; plus the quarantine, pause, resume, delete with confirmation, and sign out.
 */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

describe.skipIf(CHROMIUM === null)('dashboard pages in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let exportId = '';

  const exportCount = async () =>
    ((await adminApi(base, 'GET', '/v1/exports')) as { exports: unknown[] }).exports.length;
  const feedBadge = (id: string) => page.locator(`article.feed-card[data-feed="${id}"] .badge`);

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack(['unbound-key:unbound-secret']);
    base = stack.service.url;
    browser = await startBrowser(CHROMIUM!);
    page = browser.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  it('creates an export by keyboard alone', async () => {
    await signIn(page, base);
    await tabTo(page, 'Create mParticle export');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Create mParticle export' }).waitFor();

    await tabTo(page, 'Integration name');
    await page.keyboard.type('Keyboard export');
    await page.keyboard.press('Tab');
    await page.keyboard.type('kb@example.com');
    await tabTo(page, 'An mParticle pod');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, 'Base URL');
    await page.keyboard.type(stack.sandbox.url);
    await tabTo(page, 'Unbound key');
    await page.keyboard.type('unbound-key');
    await page.keyboard.press('Tab');
    await page.keyboard.type('unbound-secret');
    await tabTo(page, 'Test credentials');
    await page.keyboard.press('Enter');
    await page.getByText(/Accepted\s*Unbound/).waitFor();
    await tabTo(page, 'Select all Messages: Email');
    await page.keyboard.press('Space');
    await tabTo(page, 'Launch');
    await page.keyboard.press('Enter');

    await page.waitForURL(/\/exports\/exp_[0-9a-f]+$/);
    await page.getByRole('heading', { name: /Keyboard export/, level: 1 }).waitFor();
    exportId = new URL(page.url()).pathname.split('/')[2]!;
    const created = (await adminApi(base, 'GET', `/v1/exports/${exportId}`)) as {
      name: string;
      events: string[];
      destination: unknown;
      feeds: unknown;
    };
    expect(created.name).toBe('Keyboard export');
    expect(created.destination).toEqual({ base_url: stack.sandbox.url });
    expect(created.feeds).toEqual({ unbound: { key: 'unbound-key', secret_set: true } });
    // Braze's default selection plus every email type from "Select all".
    expect(created.events).toContain('users.messages.email.Bounce');
    expect(created.events).toContain('users.messages.pushnotification.Send');
    await screenshots(page, '20-keyboard-created');
  }, 90_000);

  it('pauses and resumes by keyboard', async () => {
    await tabTo(page, 'Pause');
    await page.keyboard.press('Enter');
    await feedBadge('unbound').filter({ hasText: 'Paused' }).waitFor();
    await screenshots(page, '21-paused');
    await tabTo(page, 'Resume');
    await page.keyboard.press('Enter');
    await feedBadge('unbound').filter({ hasText: 'Flowing' }).waitFor();
  }, 60_000);

  it('shows what ingest quarantined and why, and retries it', async () => {
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_type: 'users.messages.email.Send', id: 'bad-1', time: 'yesterday' }] }),
    });
    expect(res.status).toBeLessThan(300);
    await page.getByRole('link', { name: 'Quarantine' }).click();
    await page.getByRole('heading', { name: /Quarantine/, level: 1 }).waitFor();
    const record = page.locator('li.q-record').first();
    await record.waitFor({ timeout: 10_000 });
    expect(await record.textContent()).toContain('users.messages.email.Send');
    expect(await record.locator('.q-reason').textContent()).toMatch(/time/);
    await screenshots(page, '22-quarantine');

    await record.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry selected (1)' }).click();
    await page.getByText('Retried 1: 0 stored, 0 already in the log, 1 still refused.').waitFor();
  }, 60_000);

  it('finds an event by its id, by keyboard, and shows what became of it in the export', async () => {
    const id = `find-me-${Date.now()}`;
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [
          {
            event_type: 'users.messages.email.Send',
            id,
            time: Math.floor(Date.now() / 1000),
            user: { user_id: 'braze-1', external_user_id: 'find-user' },
            properties: { email_address: 'find@example.com' },
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await tabTo(page, 'Find an event');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Find an event', level: 1 }).waitFor();
    await tabTo(page, 'Currents event id');
    await page.keyboard.type(id);
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/events/${id}$`));
    const row = page.locator(`table.fates tr[data-export="${exportId}"]`);
    // The page polls: the fate moves on to "Delivered" once the sandbox accepted it.
    await row.locator('.badge', { hasText: 'Delivered' }).waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toContain('Keyboard export');
    expect(await page.locator('dl.facts').textContent()).toContain('find-user');
    await row.getByText('The mParticle event it maps to').click();
    expect(await row.locator('pre').textContent()).toContain('"event_name": "Email Sends"');
    await screenshots(page, '22b-find-event');

    await tabTo(page, 'Currents event id');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('no-such-event');
    await page.keyboard.press('Enter');
    await page.getByText('The log holds no event no-such-event.').waitFor();
  }, 60_000);

  it('labels every control on every page and is readable at desktop and phone sizes', async () => {
    const pages: [string, string][] = [
      ['/', '23-exports'],
      ['/exports/new', '24-create'],
      [`/exports/${exportId}`, '25-export'],
      [`/exports/${exportId}/edit`, '26-edit'],
      [`/exports/${exportId}/test-events`, '27-test-events'],
      ['/quarantine', '28-quarantine'],
      ['/events', '28b-find-event'],
      ['/no/such/page', '29-not-found'],
    ];
    for (const [path, name] of pages) {
      await page.goto(`${base}${path}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await unlabelledControls(page), path).toEqual([]);
      await screenshots(page, name);
    }
  }, 90_000);

  it('deletes only after a confirmation that Escape cancels', async () => {
    await page.goto(`${base}/exports/${exportId}`);
    await page.getByRole('heading', { name: /Keyboard export/, level: 1 }).waitFor();
    await tabTo(page, 'Delete');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Delete “Keyboard export”/ });
    await dialog.waitFor();
    await screenshots(page, '30-delete-confirmation');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await exportCount()).toBe(1);

    await tabTo(page, 'Delete');
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    // The safe choice has the focus; the next control is the deletion.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
    expect(await exportCount()).toBe(0);
  }, 60_000);

  it('signs out, forgetting the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Token', { exact: true }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('Token', { exact: true }).waitFor();
  }, 30_000);

  it('requested nothing from any host but the service', () => {
    expect(requestsElsewhere(browser, base)).toEqual([]);
    expect(browser.requests.length).toBeGreaterThan(20);
  });
});
