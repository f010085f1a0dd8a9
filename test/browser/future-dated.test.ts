import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApi,
  assertBuilt,
  chromiumPath,
  INGEST_TOKEN,
  screenshots,
  signIn,
  SKIP_MESSAGE,
  startBrowser,
  startStack,
  type Browser,
  type Stack,
} from './harness.js';

/** An event dated weeks ahead is kept and delivered, and the export's page warns of it, at desktop and phone sizes. */

const CHROMIUM = chromiumPath();
if (CHROMIUM === null) console.warn(SKIP_MESSAGE);

describe.skipIf(CHROMIUM === null)('future-dated events on the export page', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    assertBuilt();
    stack = await startStack(['unbound-key:unbound-secret']);
    browser = await startBrowser(CHROMIUM!);
  }, 90_000);

  afterAll(async () => {
    await browser?.stop();
    await stack?.stop();
  }, 30_000);

  it('shows the warning with the count and the newest time', async () => {
    const base = stack.service.url;
    const created = (await adminApi(base, 'POST', '/v1/exports', {
      name: 'Clock check',
      contact_email: 'data-team@example.com',
      destination: { base_url: stack.sandbox.url },
      feeds: { unbound: { key: 'unbound-key', secret: 'unbound-secret' } },
      events: ['users.messages.email.Send'],
    })) as { id: string };
    const now = Math.floor(Date.now() / 1000);
    // A sender that writes milliseconds where Braze writes seconds would be far further ahead; weeks is enough here.
    const ahead = now + 21 * 86_400;
    const res = await fetch(`${base}/v1/currents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${INGEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [1, 2, 3].map((i) => ({
          event_type: 'users.messages.email.Send',
          id: `future-${i}`,
          time: i === 3 ? now : ahead - i,
          user: { user_id: `u${i}`, external_user_id: `cust-${i}` },
          properties: { email_address: `c${i}@example.com`, campaign_id: 'c-1' },
        })),
      }),
    });
    expect(res.status).toBe(200);

    const page = browser.page;
    await signIn(page, base);
    await page.goto(`${base}/exports/${created.id}`);
    await page.getByRole('heading', { name: /Clock check/, level: 1 }).waitFor();
    const newest = new Date((ahead - 1) * 1000).toISOString();
    const warning = page.getByText(`2 events were dated more than a day after receipt (the newest for ${newest}`);
    await warning.waitFor();
    expect(await warning.isVisible()).toBe(true);
    await screenshots(page, '60-future-dated');
  }, 90_000);
});
