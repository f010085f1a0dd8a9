import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApi,
  assertBuilt,
  chromiumPath,
  INGEST_TOKEN,
  screenshots,
  SKIP_MESSAGE,
  startBrowser,
  startStack,
  type Browser,
  type Stack,
} from './harness.js';

/**
 * The dashboard signed in with named tokens of each role. A viewer walks every page and finds no button or link
 * that would change anything (and the browser sends nothing but reads); an operator finds pause, resume, retries
 * and test events but no edit or delete; an admin finds everything. The export's history shows who did what.
 */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

/** Button texts and link targets that change something. */
const CHANGE_BUTTON =
  /^(pause|resume|delete|retry|retry all|retry selected.*|new token|send.*|save.*|create.*|add.*|launch|edit|replay.*|test credentials|revoke.*|make.*)$/i;
const CHANGE_LINK = /\/(new|edit|test-events)(#.*)?$/;

interface Control {
  kind: 'button' | 'link';
  name: string;
  href: string | null;
}

async function controls(page: Page): Promise<Control[]> {
  return page.evaluate<Control[]>(`[...document.querySelectorAll('button, a[href], [role=button]')]
    .filter((el) => el.offsetParent !== null || el.getClientRects().length > 0)
    // In-page anchors ("Skip to content") go nowhere else.
    .filter((el) => !(el.getAttribute('href') || '').startsWith('#'))
    .map((el) => ({
      kind: el.tagName === 'A' ? 'link' : 'button',
      name: (el.getAttribute('aria-label') || el.textContent || '').trim().replace(/\\s+/g, ' '),
      href: el.tagName === 'A' ? new URL(el.getAttribute('href'), location.href).pathname + new URL(el.getAttribute('href'), location.href).hash : null,
    }))`);
}

const changing = (list: Control[]): Control[] =>
  list.filter(
    (c) => (c.kind === 'button' && CHANGE_BUTTON.test(c.name)) || (c.href !== null && CHANGE_LINK.test(c.href)),
  );

describe.skipIf(CHROMIUM === null)('the dashboard by role', () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let base: string;
  let exportId = '';
  let sourceId = '';
  const tokens: Record<string, string> = {};
  const writes: string[] = [];

  async function signInWith(token: string): Promise<void> {
    await page.goto(base);
    // A kept token is asked about (whoami) before the page shows who is signed in: wait for one page or the other.
    const signOut = page.getByRole('button', { name: 'Sign out' });
    const field = page.getByLabel('Token', { exact: true });
    await signOut.or(field).first().waitFor();
    if (await signOut.isVisible()) await signOut.click();
    await field.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
  }

  /** Go to a path and wait for its page to settle (its heading, then a moment for polled panels). */
  async function visit(path: string): Promise<void> {
    await page.goto(`${base}${path}`);
    await page.locator('main h1').first().waitFor();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await page.waitForTimeout(300);
  }

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack(['unbound-key:unbound-secret']);
    base = stack.service.url;
    for (const role of ['viewer', 'operator', 'admin']) {
      tokens[role] = (
        (await adminApi(base, 'POST', '/v1/tokens', { name: `${role}-bot`, role })) as { token: string }
      ).token;
    }
    const created = (await adminApi(base, 'POST', '/v1/exports', {
      name: 'Brand A',
      contact_email: 'ops@example.com',
      destination: { base_url: stack.sandbox.url },
      feeds: { unbound: { key: 'unbound-key', secret: 'unbound-secret' } },
      events: ['users.messages.email.Send'],
    })) as { id: string };
    exportId = created.id;
    await adminApi(base, 'PATCH', `/v1/exports/${exportId}`, { name: 'Brand A (prod)' });
    sourceId = ((await adminApi(base, 'POST', '/v1/sources', { name: 'Brand A app', kind: 'http' })) as { id: string })
      .id;
    // Something in quarantine, so that its retry buttons would show to those who may use them.
    await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_type: 'users.messages.email.Send', id: 'bad-1', time: 'yesterday' }] }),
    });
    browser = await startBrowser(CHROMIUM!);
    page = browser.page;
    page.on('request', (r) => {
      if (r.method() !== 'GET' && r.url().startsWith(base)) writes.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  const pages = () => [
    '/',
    `/exports/${exportId}`,
    `/exports/${exportId}/edit`,
    `/exports/${exportId}/test-events`,
    '/exports/new',
    '/sources',
    `/sources/${sourceId}`,
    '/sources/new',
    '/quarantine',
    '/events',
    '/tokens',
  ];

  it('a viewer finds no button or link on any page that would change anything', async () => {
    await signInWith(tokens.viewer!);
    expect(await page.locator('.top .who').textContent()).toContain('viewer-bot');
    const seen: Record<string, Control[]> = {};
    const found: string[] = [];
    for (const path of pages()) {
      await visit(path);
      const list = await controls(page);
      seen[path] = list;
      for (const c of changing(list)) found.push(`${path}: ${c.kind} "${c.name}"${c.href ? ` → ${c.href}` : ''}`);
    }
    expect(found).toEqual([]);
    // The walk really saw the pages: links to read, and "Not available" where a page would change something.
    expect(seen[`/exports/${exportId}`]!.map((c) => c.name)).toContain('Sign out');
    expect(seen['/'].some((c) => c.href === `/exports/${exportId}`)).toBe(true);
    expect(seen['/'].map((c) => c.name)).not.toContain('Tokens');
    expect(writes).toEqual([]);

    await visit('/exports/new');
    expect(await page.locator('main h1').textContent()).toBe('Not available to this token');
    expect(await page.locator('main').textContent()).toContain('Creating an export needs an admin token');

    await visit(`/exports/${exportId}`);
    const history = page.locator('.history');
    await history.getByText('changed settings').waitFor();
    expect(await history.textContent()).toContain('admin (built-in)');
    expect(await history.textContent()).toContain('"Brand A" → "Brand A (prod)"');
    await screenshots(page, '60-viewer-export');
    await visit('/quarantine');
    await screenshots(page, '61-viewer-quarantine');
  }, 120_000);

  it('an operator pauses and resumes, and finds no edit, delete or new export', async () => {
    await signInWith(tokens.operator!);
    await visit(`/exports/${exportId}`);
    const names = (await controls(page)).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Pause', 'Send test events']));
    expect(names).not.toContain('Edit');
    expect(names).not.toContain('Delete');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.locator('.history').getByText('operator-bot paused').waitFor();
    await screenshots(page, '62-operator-export');

    await visit('/');
    expect((await controls(page)).map((c) => c.name)).not.toContain('Create mParticle export');
    await visit(`/sources/${sourceId}`);
    const sourceControls = (await controls(page)).map((c) => c.name);
    expect(sourceControls).toContain('Pause');
    expect(sourceControls).not.toContain('Delete');
    expect(sourceControls).not.toContain('New token');
    await visit('/quarantine');
    expect((await controls(page)).map((c) => c.name)).toContain('Retry all');
    await page.getByRole('button', { name: 'Resume' }).count();
    await visit(`/exports/${exportId}`);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
  }, 120_000);

  it('an admin token finds every action', async () => {
    await signInWith(tokens.admin!);
    await visit(`/exports/${exportId}`);
    const names = (await controls(page)).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Send test events', 'Edit', 'Pause', 'Delete']));
    await visit('/');
    expect((await controls(page)).map((c) => c.name)).toContain('Create mParticle export');
    await visit(`/sources/${sourceId}`);
    expect((await controls(page)).map((c) => c.name)).toEqual(expect.arrayContaining(['Pause', 'New token', 'Delete']));
    await screenshots(page, '63-admin-source');

    // Tokens: made and revoked from the dashboard, by an admin.
    await page.getByRole('link', { name: 'Tokens', exact: true }).click();
    await page.getByRole('heading', { name: 'Tokens', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('dana');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Make token' }).click();
    const shown = await page.getByLabel('Token dana').inputValue();
    expect(shown).toMatch(/^cmt_/);
    const whoami = await fetch(`${base}/v1/whoami`, { headers: { authorization: `Bearer ${shown}` } });
    expect(await whoami.json()).toMatchObject({ name: 'dana', role: 'viewer' });
    await page.locator('li[data-token="dana"]').waitFor();
    await screenshots(page, '64-admin-tokens');
    await page.getByRole('button', { name: 'Revoke dana' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.locator('li[data-token="dana"]').waitFor({ state: 'detached' });
    const after = await fetch(`${base}/v1/whoami`, { headers: { authorization: `Bearer ${shown}` } });
    expect(after.status).toBe(401);
  }, 120_000);
});
