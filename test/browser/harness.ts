import { execFileSync, type ChildProcess } from 'node:child_process';
import { startCli } from '../helpers/process.js';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * What the browser tests run against, as a user runs it: the built service (`node dist/src/cli/main.js serve`)
 * and the sandbox (`... sandbox`) as child processes on free ports, and Debian's Chromium driven by
 * playwright-core (which never downloads a browser).
 */

export const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const DASHBOARD = fileURLToPath(new URL('../../dist/dashboard/index.html', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));

export const ADMIN_TOKEN = 'browser-test-admin-token-0123456789';
export const INGEST_TOKEN = 'browser-test-ingest-token-0123456789';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export function chromiumPath(): string | null {
  for (const candidate of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
      encoding: 'utf8',
    }).trim();
    return found === '' ? null : found;
  } catch {
    return null;
  }
}

export const SKIP_MESSAGE =
  'Chromium is not installed, so the browser tests are skipped: install it with `apt-get install -y chromium` (CI does).';

/** The build the tests drive; a missing one is a setup error, not a reason to skip. */
export function assertBuilt(): void {
  if (!existsSync(MAIN) || !existsSync(DASHBOARD)) {
    throw new Error(
      `${existsSync(MAIN) ? DASHBOARD : MAIN} is missing: run \`npm run build\` before the browser tests`,
    );
  }
}

export interface Child {
  url: string;
  proc: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Start `main.js <args>` and wait for its "listening on <url>" line. */
export async function startChild(args: string[], env: Record<string, string>): Promise<Child> {
  const p = await startCli(args, env);
  let stopping = false;
  void p.exited.then(({ code, signal }) => {
    // Tests that fail because a child died say so, with what it wrote.
    if (!stopping) console.error(`${args[0]} exited unexpectedly (${code ?? signal}):\n${p.stdout()}${p.stderr()}`);
  });
  return {
    url: p.url,
    proc: p.proc,
    output: () => p.stdout() + p.stderr(),
    stop: async () => {
      stopping = true;
      await p.stop(10_000);
    },
  };
}

export interface Stack {
  service: Child;
  sandbox: Child;
  dataDir: string;
  stop: () => Promise<void>;
}

/** A sandbox with the given feeds and a service with a fresh data folder, tuned to notice changes fast. */
export async function startStack(feeds: string[]): Promise<Stack> {
  const sandbox = await startChild(
    ['sandbox', '--port', '0', '--rate-limit', 'off', ...feeds.flatMap((f) => ['--feed', f])],
    {},
  );
  const dataDir = mkdtempSync(join(tmpdir(), 'currents-browser-'));
  let service: Child;
  try {
    service = await startChild(['serve', '--port', '0', '--data', dataDir], {
      CURRENTS_ADMIN_TOKEN: ADMIN_TOKEN,
      CURRENTS_INGEST_TOKEN: INGEST_TOKEN,
      CURRENTS_PROBE_INTERVAL_MS: '1000',
      CURRENTS_IDLE_POLL_MS: '100',
      CURRENTS_MAX_BACKOFF_MS: '2000',
      CURRENTS_LOG_LEVEL: 'warn',
      CURRENTS_PARTITIONS: '4',
    });
  } catch (e) {
    await sandbox.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    service,
    sandbox,
    dataDir,
    stop: async () => {
      await Promise.all([service.stop(), sandbox.stop()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every URL any page of this browser requested. */
  requests: string[];
  stop: () => Promise<void>;
}

export async function startBrowser(executablePath: string): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'currents-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: DESKTOP,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    requests,
    stop: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Screenshot at desktop and phone sizes, and fail when the phone layout scrolls sideways. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    if (overflow > 1) throw new Error(`${name} scrolls sideways by ${overflow}px at ${size.width}×${size.height}`);
  }
  await page.setViewportSize(DESKTOP);
}

/** Form controls without an accessible name (label, aria-label or aria-labelledby), as short HTML snippets. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => {
      if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
      if (el.tagName === 'BUTTON') return el.textContent.trim() === '';
      return !(el.labels && [...el.labels].some((l) => l.textContent.trim() !== ''));
    })
    .map((el) => el.outerHTML.slice(0, 160))`);
}

/** A JSON request; throws with the answer when it is not 2xx. */
async function call(url: string, method: string, body: unknown, token: string | null): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}

/** The sandbox's control API: GET without a body, POST with one. */
export function control(base: string, path: string, body?: unknown): Promise<unknown> {
  return call(`${base}${path}`, body === undefined ? 'GET' : 'POST', body, null);
}

/** The service's API with the admin token. */
export function adminApi(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  return call(`${base}${path}`, method, body, ADMIN_TOKEN);
}

/** Sign in through the page, as a user does. */
export async function signIn(page: Page, base: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Token', { exact: true }).fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Exports', level: 1 }).waitFor();
}

/** URLs the browser asked for that are not the service's own. */
export function requestsElsewhere(browser: Browser, base: string): string[] {
  const origin = new URL(base).origin;
  return browser.requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('data:'));
}

/** Press Tab until the focused element's accessible text is `name` (what a keyboard user does). */
export async function tabTo(page: Page, name: string, limit = 200): Promise<void> {
  for (let i = 0; i < limit; i++) {
    const focused = await page.evaluate<string>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return '';
      const label = el.labels && el.labels[0] ? el.labels[0].textContent : '';
      return (el.getAttribute('aria-label') || label || el.textContent || '').trim();
    })()`);
    if (focused === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`no element named "${name}" within ${limit} presses of Tab`);
}
