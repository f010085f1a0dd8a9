import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  chromiumPath,
  control,
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
 * Field transformations in Chromium against the built service and the sandbox: the form offers the catalog's fields,
 * shows the API's sentence under a misspelt one and notes on identities; the export's page lists them with the
 * values left unchanged, and the sandbox receives the hashed and redacted values.
 */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

const SEND = 'users.messages.email.Send';
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

describe.skipIf(CHROMIUM === null)('field transformations in the dashboard', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;

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

  const row = (i: number) => page.locator(`.tf-row[data-row="${i}"]`);

  it('adds, checks and deletes rows in the form, and shows the API sentence under a field no type has', async () => {
    await signIn(page, base);
    await page.getByRole('link', { name: 'Create mParticle export' }).first().click();
    await page.getByRole('heading', { name: 'Create mParticle export' }).waitFor();
    await page.getByLabel('Integration name').fill('Hashed emails');
    await page.getByLabel('Contact email').fill('data-team@example.com');
    await page.getByLabel('A base URL (the sandbox, a proxy)').check();
    await page.getByLabel('Base URL', { exact: true }).fill(stack.sandbox.url);
    await page.getByLabel('Unbound key', { exact: true }).fill('unbound-key');
    await page.getByLabel('Unbound secret', { exact: true }).fill('unbound-secret');
    await page.getByRole('button', { name: 'Clear all' }).click();
    await page.getByRole('checkbox', { name: new RegExp(`${SEND.replace(/\./g, '\\.')}$`) }).check();

    // The catalog's fields are offered to the field input.
    expect(await page.locator('datalist#tf-fields option[value="email_address"]').count()).toBe(1);
    expect(await page.locator('datalist#tf-fields option').count()).toBeGreaterThan(100);
    for (let i = 0; i < 4; i++) await page.getByRole('button', { name: 'Add a field' }).click();
    await row(0).getByLabel('Field').fill('email_adress');
    expect(await row(0).locator('.hint').textContent()).toMatch(/No event type has this field/);
    await row(1).getByLabel('Field').fill('campaign_name');
    await row(1).getByLabel('Action').selectOption('remove');
    expect(await row(1).locator('.hint').textContent()).toBe('1 selected type has it.');
    await row(2).getByLabel('Field').fill('time');
    expect(await row(2).locator('.hint').textContent()).toMatch(/never text: they are sent as they are/);
    await row(3).getByLabel('Field').fill('app_id');
    await page.getByRole('button', { name: 'Delete the transformation of app_id' }).click();
    expect(await page.locator('.tf-row').count()).toBe(3);
    expect(await unlabelledControls(page)).toEqual([]);

    await page.getByRole('button', { name: 'Launch' }).click();
    const error = page.locator('#f-tf-0-error');
    await error.waitFor();
    expect(await error.textContent()).toMatch(
      /^No Currents event type has a field email_adress: did you mean email_address/,
    );
    expect(await row(0).getByLabel('Field').getAttribute('aria-invalid')).toBe('true');
    await screenshots(page, '60-transformations-form-error');

    await row(0).getByLabel('Field').fill('email_address');
    expect(await error.count()).toBe(0);
    expect(await row(0).getByLabel('Field').getAttribute('aria-invalid')).toBe('false');
    expect(await row(0).locator('.hint').textContent()).toMatch(
      /It is sent as the email identity: mParticle will resolve users by the hash/,
    );
    await screenshots(page, '61-transformations-form');
    await page.getByRole('button', { name: 'Launch' }).click();
    await page.waitForURL(/\/exports\/exp_[0-9a-f]+$/);
    await page.getByRole('heading', { name: /Hashed emails/, level: 1 }).waitFor();
  }, 90_000);

  it("lists them on the export's page with its warnings and the values left unchanged; the sandbox gets hashes", async () => {
    const warning = page.getByText(/email_address is hashed, and it is sent as the email identity/);
    await warning.waitFor();
    expect(await page.getByText(/time is never a string in the catalog/).count()).toBe(1);
    const events = [1, 2].map((i) => ({
      event_type: SEND,
      id: `tf-browser-${Date.now()}-${i}`,
      time: Math.floor(Date.now() / 1000),
      user: { external_user_id: `tf-user-${i}` },
      properties: { email_address: `person-${i}@example.com`, campaign_name: 'Spring sale' },
    }));
    const pushed = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(pushed.status).toBe(200);

    const unchanged = page.locator('table.export-transformations tr[data-field="time"] td').nth(2);
    await expect.poll(() => unchanged.textContent(), { timeout: 30_000 }).toBe('2');
    const rows = await page.locator('table.export-transformations tbody tr').allTextContents();
    expect(rows).toEqual([
      expect.stringMatching(/^email_address.*SHA-256 hash.*1.*0$/),
      expect.stringMatching(/^campaign_name.*\[REDACTED\].*1.*0$/),
      expect.stringMatching(/^time.*SHA-256 hash.*1.*2$/),
    ]);
    await screenshots(page, '62-transformations-export-page');

    const received = JSON.stringify(await control(stack.sandbox.url, '/sandbox/batches'));
    expect(received).toContain(sha('person-1@example.com'));
    expect(received).toContain(sha('person-2@example.com'));
    expect(received).toContain('"campaign_name":"[REDACTED]"');
    expect(received).not.toContain('@example.com');
    expect(received).not.toContain('Spring sale');
  }, 90_000);
});
