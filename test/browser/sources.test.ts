import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApi,
  assertBuilt,
  chromiumPath,
  requestsElsewhere,
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
 * The Sources pages in Chromium against the built service: add an http source, see its token once, push with it,
 * watch what it received; pause and resume it; add a bucket source whose secret never comes back to the page.
 */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

const SECRET = 'browser-s3-secret-never-shown-again';

describe.skipIf(CHROMIUM === null)('the Sources pages in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let token = '';

  const push = (count: number) =>
    fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'braze-currents-version': '1' },
      body: JSON.stringify({
        events: Array.from({ length: count }, (_, i) => ({
          event_type: 'users.messages.email.Send',
          id: `browser-source-${Date.now()}-${i}`,
          time: Math.floor(Date.now() / 1000),
          user: { external_user_id: `user-${i}` },
          properties: { email_address: `user-${i}@example.com` },
        })),
      }),
    });
  const pageText = () => page.evaluate<string>('document.documentElement.outerHTML');

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack([]);
    base = stack.service.url;
    browser = await startBrowser(CHROMIUM!);
    page = browser.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  it('adds an http source, shows its token once, and counts what is pushed with it', async () => {
    await signIn(page, base);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    await page.getByRole('heading', { name: 'Sources', level: 1 }).waitFor();
    await page.locator('tr[data-source="default"]').waitFor();
    await page.getByRole('link', { name: 'Add a source' }).click();
    await page.getByRole('heading', { name: 'Add a source', level: 1 }).waitFor();
    expect(await page.getByLabel('Bucket').count()).toBe(0);
    await page.getByLabel('Name').fill('Brand A production');
    await page.getByLabel('Id (optional)').fill('brand-a');
    await page.getByRole('button', { name: 'Create source' }).click();

    await page.getByRole('heading', { name: 'Source created', level: 1 }).waitFor();
    token = await page.getByLabel('Ingest token of Brand A production').inputValue();
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(await page.getByText(`${base}/v1/currents`, { exact: false }).count()).toBeGreaterThan(0);
    await screenshots(page, '40-source-token-once');
    expect(await unlabelledControls(page)).toEqual([]);

    const pushed = await push(3);
    expect(pushed.status).toBe(200);
    expect(await pushed.json()).toMatchObject({ source: 'brand-a', stored: 3 });

    await page.getByRole('link', { name: /go to the source/ }).click();
    await page.getByRole('heading', { name: /Brand A production/, level: 1 }).waitFor();
    await page.locator('.received-count', { hasText: /^3$/ }).waitFor({ timeout: 10_000 });
    expect(await pageText()).not.toContain(token);
    await page.reload();
    await page.locator('.received-count', { hasText: /^3$/ }).waitFor();
    expect(await pageText()).not.toContain(token);
    await screenshots(page, '41-source-page');
  }, 90_000);

  it('pauses the source (pushes are answered 503) and resumes it', async () => {
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByText(/its pushes are answered 503/).waitFor();
    const refused = await push(1);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('60');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await push(1)).status).toBe(200);
    await page.locator('.received-count', { hasText: /^4$/ }).waitFor({ timeout: 10_000 });
  }, 60_000);

  it('adds an S3 source with its own fields, says what is missing, and never shows its secret again', async () => {
    await page.goto(`${base}/sources/new`);
    await page.getByLabel('Amazon S3').check();
    expect(await page.getByLabel('Container').count()).toBe(0);
    await page.getByLabel('Name').fill('Brand B bucket');
    await page.getByLabel('Secret access key').fill(SECRET);
    await page.getByLabel('Access key id (optional)').fill('AKIAEXAMPLE');
    await page.getByRole('button', { name: 'Create source' }).click();
    const summary = page.getByRole('alert').filter({ hasText: 'needs fixing' });
    await summary.getByRole('link', { name: 'The bucket name is required' }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    await screenshots(page, '42-source-form-errors');

    await page.getByLabel('Bucket').fill('braze-currents');
    await page.getByLabel('Endpoint (optional)').fill('http://127.0.0.1:9000');
    await page.getByRole('button', { name: 'Create source' }).click();
    await page.getByRole('heading', { name: /Brand B bucket/, level: 1 }).waitFor();
    await page.getByText('set (kept encrypted)').waitFor();
    expect(await pageText()).not.toContain(SECRET);

    const listed = (await adminApi(base, 'GET', '/v1/sources')) as { sources: { name: string }[] };
    expect(listed.sources.map((s) => s.name)).toEqual(['Default', 'Brand A production', 'Brand B bucket']);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sources' }).click();
    await page.locator('tr[data-source="brand-a"] .received', { hasText: '4' }).waitFor();
    await screenshots(page, '43-sources-list');
    expect(requestsElsewhere(browser, base)).toEqual([]);
  }, 90_000);
});
