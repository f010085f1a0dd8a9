import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  adminApi,
  assertBuilt,
  chromiumPath,
  control,
  INGEST_TOKEN,
  requestsElsewhere,
  screenshots,
  SKIP_MESSAGE,
  startBrowser,
  startStack,
  type Browser,
  type Stack,
} from './harness.js';

/**
 * The dashboard in Chromium against the real service and sandbox: sign in, create an export with three feeds and a
 * dozen event types, send test events and see them counted, see a revoked key turn the feed to "credentials
 * rejected" with its drop deadline, fix the key and see it flow, retry a dead letter. The tests run in order and
 * share one service, sandbox and browser.
 */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

const TYPES = [
  'users.messages.pushnotification.Send',
  'users.messages.pushnotification.Open',
  'users.messages.inappmessage.Impression',
  'users.messages.inappmessage.Click',
  'users.messages.contentcard.Impression',
  'users.behaviors.Uninstall',
  'users.messages.email.Send',
  'users.messages.email.Open',
  'users.messages.email.Click',
  'users.messages.sms.Delivery',
  'users.campaigns.Conversion',
  'users.canvas.Entry',
];
/** Types the test events send on the iOS feed (app events); the others go to Unbound. */
const IOS_TYPES = TYPES.slice(0, 6);

interface FeedStatus {
  id: string;
  state: string;
  held_since: string | null;
  drop_deadline: string | null;
  held_events: number;
}
interface Status {
  feeds: FeedStatus[];
  event_types: { type: string; delivered: number; dead_lettered: number }[];
}

describe.skipIf(CHROMIUM === null)('dashboard in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let exportId = '';

  const status = async () => (await adminApi(base, 'GET', `/v1/exports/${exportId}/status`)) as Status;
  const delivered = async (type: string) => (await status()).event_types.find((t) => t.type === type)?.delivered;
  const feedCard = (id: string) => page.locator(`article.feed-card[data-feed="${id}"]`);

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack(['ios-key:ios-secret', 'android-key:android-secret', 'unbound-key:unbound-secret']);
    base = stack.service.url;
    browser = await startBrowser(CHROMIUM!);
    page = browser.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  it('signs in with the admin token, refusing a wrong one with a clear message', async () => {
    await page.goto(base);
    await page.getByRole('heading', { name: 'Currents → mParticle' }).waitFor();
    await screenshots(page, '01-sign-in');

    await page.getByLabel('Token', { exact: true }).fill(INGEST_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/refused this token.*CURRENTS_ADMIN_TOKEN/);
    expect(await page.getByLabel('Token', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await screenshots(page, '02-sign-in-refused');

    await page.getByLabel('Token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
    const empty = await page.locator('.empty').textContent();
    expect(empty).toMatch(/No exports yet.*currents sandbox/);
    await screenshots(page, '03-exports-empty');

    // The token is kept for the tab: a reload stays signed in.
    await page.reload();
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
  }, 60_000);

  it('creates an export against the sandbox with three feeds and a dozen event types', async () => {
    await page.getByRole('link', { name: 'Create mParticle export' }).click();
    await page.getByRole('heading', { name: 'Create mParticle export' }).waitFor();
    await page.getByLabel('Integration name').fill('Braze to sandbox');
    await page.getByLabel('Contact email').fill('not-an-email');
    await page.getByLabel('A base URL (the sandbox, a proxy)').check();
    await page.getByLabel('Base URL', { exact: true }).fill(stack.sandbox.url);
    for (const [slot, name] of [
      ['ios', 'iOS'],
      ['android', 'Android'],
      ['unbound', 'Unbound'],
    ]) {
      await page.getByLabel(`${name} key`, { exact: true }).fill(`${slot}-key`);
      await page.getByLabel(`${name} secret`, { exact: true }).fill(`${slot}-secret`);
    }
    await page.getByLabel('Hold window (hours)').fill('2');
    await page.getByRole('button', { name: 'Clear all' }).click();
    for (const type of TYPES) await checkbox(page, type).check();
    expect(await page.locator('#f-events-count').textContent()).toMatch(/^12 of \d+ event types selected/);

    await page.getByRole('button', { name: 'Test credentials' }).click();
    await page.locator('.credential-results li').nth(2).waitFor();
    const results = await page.locator('.credential-results li').allTextContents();
    expect(results).toHaveLength(3);
    for (const r of results) expect(r).toMatch(/^Accepted/);

    // The form refuses the email before sending; its message appears next to the field, and the summary links to it.
    await page.getByRole('button', { name: 'Launch' }).click();
    const emailError = page.locator('#f-contact-email-error');
    await emailError.waitFor();
    expect(await emailError.textContent()).toMatch(/full email address/);
    expect(await page.getByLabel('Contact email').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toMatch(/One thing needs fixing/);
    await screenshots(page, '04-create-field-error');

    await page.getByLabel('Contact email').fill('data-team@example.com');
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForURL(/\/exports\/exp_[0-9a-f]+$/);
    exportId = new URL(page.url()).pathname.split('/')[2]!;
    await page.getByRole('heading', { name: /Braze to sandbox/, level: 1 }).waitFor();
    for (const id of ['ios', 'android', 'unbound']) {
      await feedCard(id).waitFor();
      expect(await feedCard(id).locator('.badge').textContent()).toBe('Flowing');
    }
    expect(await page.locator('table.types tbody tr').count()).toBe(12);
    await screenshots(page, '05-export-created');
  }, 90_000);

  it('sends test events and shows them counted', async () => {
    await page.getByRole('link', { name: 'Send test events' }).click();
    await page.getByRole('heading', { name: 'Send test events', level: 1 }).waitFor();
    expect(await page.locator('.test-types input:checked').count()).toBe(12);
    await page.getByRole('button', { name: 'Send test events' }).click();
    await page.getByText('12 of 12 types delivered to mParticle so far.').waitFor({ timeout: 30_000 });
    await screenshots(page, '06-test-events-delivered');

    // The sandbox received them: the app events on the iOS key, the rest on Unbound.
    const batches = (await control(stack.sandbox.url, '/sandbox/batches')) as { key: string }[];
    expect(batches.filter((b) => b.key === 'ios-key').length).toBeGreaterThan(0);
    expect(batches.filter((b) => b.key === 'unbound-key').length).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Back to the export' }).click();
    for (const type of TYPES) {
      const cell = page.locator(`table.types tr[data-type="${type}"] td.delivered`);
      await expect.poll(() => cell.textContent(), { timeout: 10_000 }).toBe('1');
    }
    // The chart has a line per feed with the deliveries of the last minutes in its legend.
    await expect
      .poll(() => page.locator('.legend').textContent(), { timeout: 15_000 })
      .toMatch(/iOS: [1-9]\d* in 3 h.*Unbound: [1-9]\d* in 3 h/);
    await screenshots(page, '07-export-counted');
  }, 90_000);

  it('shows a revoked key as "credentials rejected" with the held events and their drop deadline', async () => {
    await control(stack.sandbox.url, '/sandbox/feeds/ios-key/revoke', {});
    await adminApi(base, 'POST', `/v1/exports/${exportId}/test-events`, { types: IOS_TYPES });

    const card = feedCard('ios');
    await expect.poll(() => card.locator('.badge').textContent(), { timeout: 30_000 }).toBe('Credentials rejected');
    const hold = card.locator('.notice.hold');
    // Every event of the six types that the service routes to iOS waits: the page shows the count the API holds.
    await expect.poll(async () => (await status()).feeds.find((f) => f.id === 'ios')!.held_events).toBeGreaterThan(0);
    const ios = (await status()).feeds.find((f) => f.id === 'ios')!;
    await expect.poll(() => hold.textContent(), { timeout: 10_000 }).toContain(`${ios.held_events} events are held`);
    expect(ios.drop_deadline).not.toBeNull();
    expect(Date.parse(ios.drop_deadline!) - Date.parse(ios.held_since!)).toBe(2 * 3_600_000);
    expect(await hold.locator('time.drop-deadline').getAttribute('datetime')).toBe(ios.drop_deadline);
    expect(await hold.textContent()).toMatch(/start being dropped at .* \(in (1 h \d+ min|2 h)\)/);
    // The other feeds keep flowing.
    expect(await feedCard('unbound').locator('.badge').textContent()).toBe('Flowing');
    await screenshots(page, '08-credentials-rejected');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Exports' }).click();
    const row = page.locator('table.exports tbody tr').first();
    await expect
      .poll(() => row.textContent(), { timeout: 10_000 })
      .toMatch(/iOS\s*Credentials rejected\s*[1-9]\d* held; dropped from \d+ \w+ 20\d\d/);
    await screenshots(page, '09-list-credentials-rejected');
    await row.getByRole('link', { name: 'Braze to sandbox' }).click();
  }, 90_000);

  it('takes a new key from the "update the key" link and flows again, delivering the held events', async () => {
    await control(stack.sandbox.url, '/sandbox/feeds', { key: 'ios-key-2', secret: 'ios-secret-2' });
    await page.getByRole('link', { name: 'Update the iOS key' }).click();
    await page.getByRole('heading', { name: 'Edit export', level: 1 }).waitFor();
    const keyInput = page.getByLabel('iOS key', { exact: true });
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('f-ios-key');
    expect(await page.locator('#f-ios-secret-state').textContent()).toBe('iOS secret: set');
    await screenshots(page, '10-edit-key');

    await keyInput.fill('ios-key-2');
    await page.getByRole('button', { name: 'Replace iOS secret' }).click();
    await page.getByLabel('iOS secret', { exact: true }).fill('ios-secret-2');
    await page.getByRole('button', { name: 'Test credentials' }).click();
    await page.getByText(/Accepted\s*iOS \(key ios-key-2\)/).waitFor();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(new RegExp(`/exports/${exportId}$`));

    await expect.poll(() => feedCard('ios').locator('.badge').textContent(), { timeout: 30_000 }).toBe('Flowing');
    for (const type of IOS_TYPES) await expect.poll(() => delivered(type), { timeout: 20_000 }).toBe(2);
    const cell = page.locator(`table.types tr[data-type="${IOS_TYPES[0]}"] td.delivered`);
    await expect.poll(() => cell.textContent(), { timeout: 10_000 }).toBe('2');
    const view = (await adminApi(base, 'GET', `/v1/exports/${exportId}`)) as { feeds: Record<string, unknown> };
    expect(view.feeds.ios).toEqual({ key: 'ios-key-2', secret_set: true });
    await screenshots(page, '11-flowing-again');
  }, 90_000);

  it('lists a dead letter with its payload and error, and retries it once the cause is fixed', async () => {
    await control(stack.sandbox.url, '/sandbox/faults', { poison: ['poisoned-user'] });
    await page.getByRole('link', { name: 'Send test events' }).click();
    await page.getByLabel('External user id of the test events').fill('poisoned-user');
    for (const type of TYPES) if (type !== 'users.messages.email.Send') await checkbox(page, type).uncheck();
    await page.getByRole('button', { name: 'Send test events' }).click();
    await page.locator('tr[data-type="users.messages.email.Send"] .badge', { hasText: 'Dead-lettered' }).waitFor({
      timeout: 30_000,
    });
    const traced = await page
      .getByRole('link', { name: 'Trace the users.messages.email.Send test event' })
      .getAttribute('href');
    expect(traced).toMatch(/^\/events\/.+/);
    await page.getByRole('link', { name: 'Back to the export' }).click();

    const letter = page.locator('li.dead-letter').first();
    await letter.waitFor({ timeout: 15_000 });
    expect(await letter.locator('.dl-error').textContent()).toMatch(/poisoned-user|400/);
    await letter.getByText('mParticle payload').click();
    expect(await letter.locator('pre').textContent()).toContain('"customer_id": "poisoned-user"');
    await screenshots(page, '12-dead-letter');

    // Its event (the test event sent above), traced: dead-lettered in this export; back to the export page.
    expect(await letter.getByRole('link', { name: /^Trace event / }).getAttribute('href')).toBe(traced);
    await letter.getByRole('link', { name: /^Trace event / }).click();
    await page
      .locator(`table.fates tr[data-export="${exportId}"] .badge`, { hasText: 'Dead-lettered' })
      .waitFor({ timeout: 10_000 });
    await page.goBack();
    await letter.waitFor({ timeout: 10_000 });

    await control(stack.sandbox.url, '/sandbox/faults', { poison: null });
    await letter.getByRole('button', { name: /^Retry dead letter/ }).click();
    await page.getByText('Delivered 1 dead letter.').waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('li.dead-letter').count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => delivered('users.messages.email.Send'), { timeout: 10_000 }).toBe(2);
    await screenshots(page, '13-dead-letter-retried');
  }, 90_000);

  it('requested nothing from any host but the service', () => {
    expect(requestsElsewhere(browser, base)).toEqual([]);
    expect(browser.requests.length).toBeGreaterThan(50);
  });
});

/** The checkbox of one event type (its label ends with the type; "sms.Delivery" must not match "sms.DeliveryFailure"). */
function checkbox(page: Page, type: string) {
  return page.getByRole('checkbox', { name: new RegExp(`${type.replace(/\./g, '\\.')}$`) });
}
