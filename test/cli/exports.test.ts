import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flatEvent } from '../helpers/events.js';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';

/** `currents exports ...` through the built CLI on a data folder (needs `npm run build`). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(): Promise<string> {
  const t = await tempFolder('currents-exports-cli-');
  cleanups.push(t.remove);
  return t.dir;
}

const SECRET = 'cli-secret-that-must-stay-hidden';

describe('currents exports', { timeout: 90_000 }, () => {
  it('creates from a file, lists, pauses, resumes, shows status and deletes, never printing a secret', async () => {
    const data = await folder();
    // The file the user wrote holds the secret; it lives outside the data folder, which must not.
    const file = join(await folder(), 'export.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Production mParticle',
        contact_email: 'data-team@example.com',
        destination: { pod: 'EU1' },
        feeds: { ios: { key: 'ios-key', secret: SECRET }, unbound: { key: 'unbound-key', secret: SECRET } },
        events: ['users.messages.email.Send', 'users.messages.pushnotification.Open'],
      }),
    );
    const created = await runCli(['exports', 'create', '--file', file, '--data', data]);
    expect(created.code, created.stderr).toBe(0);
    const exp = JSON.parse(created.stdout) as { id: string; feeds: Record<string, unknown>; hold_window_hours: number };
    expect(exp.feeds.ios).toEqual({ key: 'ios-key', secret_set: true });
    expect(exp.hold_window_hours).toBe(48);
    expect(created.stdout + created.stderr).not.toContain(SECRET);

    const list = await runCli(['exports', 'list', '--data', data]);
    expect((JSON.parse(list.stdout) as { id: string }[]).map((e) => e.id)).toEqual([exp.id]);
    expect(
      (JSON.parse((await runCli(['exports', 'pause', exp.id, '--data', data])).stdout) as { state: string }).state,
    ).toBe('paused');
    const status = JSON.parse((await runCli(['exports', 'status', exp.id, '--json', '--data', data])).stdout) as {
      feeds: { id: string; state: string }[];
    };
    expect(status.feeds.map((f) => [f.id, f.state])).toEqual([
      ['ios', 'paused'],
      ['unbound', 'paused'],
    ]);
    expect(
      (JSON.parse((await runCli(['exports', 'resume', exp.id, '--data', data])).stdout) as { state: string }).state,
    ).toBe('active');
    for (const name of readdirSync(data)) {
      expect(readFileSync(join(data, name)).toString('latin1').includes(SECRET), name).toBe(false);
    }
    const deleted = await runCli(['exports', 'delete', exp.id, '--data', data]);
    expect(deleted.code).toBe(0);
    expect(JSON.parse((await runCli(['exports', 'list', '--data', data])).stdout)).toEqual([]);
  });

  it('status prints a short summary by default: state, feeds, backlog, outcomes, sources and lag, last error', async () => {
    const data = await folder();
    const files = await folder();
    const file = join(files, 'export.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Summary export',
        contact_email: 'data-team@example.com',
        destination: { pod: 'US1' },
        feeds: { unbound: { key: 'unbound-key', secret: SECRET } },
        events: ['users.messages.email.Send'],
      }),
    );
    const exp = JSON.parse((await runCli(['exports', 'create', '--file', file, '--data', data])).stdout) as {
      id: string;
    };
    await runCli(['exports', 'pause', exp.id, '--data', data]);
    const now = Math.floor(Date.now() / 1000);
    const events = Array.from({ length: 5 }, (_, i) => ({ ...flatEvent(), id: `summary-${i}`, time: now - 7200 }));
    writeFileSync(join(files, 'events.ndjson'), events.map((e) => JSON.stringify(e)).join('\n'));
    const imported = await runCli(['import', join(files, 'events.ndjson'), '--data', data]);
    expect(imported.code, imported.stderr).toBe(0);

    const text = await runCli(['exports', 'status', exp.id, '--data', data]);
    expect(text.code, text.stderr).toBe(0);
    expect(() => JSON.parse(text.stdout) as unknown).toThrow();
    const json = await runCli(['exports', 'status', exp.id, '--json', '--data', data]);
    const status = JSON.parse(json.stdout) as {
      feeds: { backlog_events: number }[];
      sources: { received_events: number }[];
    };
    // The backlog is counted from the delivery cursors, which a running service creates: the summary says the same.
    const backlog = status.feeds.reduce((n, f) => n + f.backlog_events, 0);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe(`Summary export (${exp.id}): paused, 0 events/s over the last minute`);
    expect(lines).toContain(`backlog: ${backlog} events waiting`);
    expect(lines).toContain('events: 0 delivered, 0 skipped (no external user id), 0 dead-lettered, 0 dropped');
    expect(lines).toContain('feeds:');
    expect(text.stdout).toMatch(
      new RegExp(`\\n {2}unbound \\(unbound, key unbound-key\\): paused; ${backlog} waiting`),
    );
    expect(lines).toContain('sources (every source):');
    expect(status.sources[0]!.received_events).toBe(5);
    expect(text.stdout).toMatch(
      /\n {2}default \(http, active\): 5 received, lag 2 h( 1 min)?, \d+ waiting for this export\n/,
    );
    expect(lines).toContain('last error: none');
    expect(text.stdout).not.toContain(SECRET);
  });

  it('refuses an invalid file naming each field, and an unknown id, with exit code 1', async () => {
    const data = await folder();
    const file = join(data, 'bad.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'x',
        contact_email: 'nope',
        destination: { pod: 'US1' },
        feeds: {},
        events: ['users.behaviors.Purchase'],
      }),
    );
    const bad = await runCli(['exports', 'create', '--file', file, '--data', data]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('contact_email');
    expect(bad.stderr).toContain('users.behaviors.Purchase has no mParticle mapping');
    const missing = await runCli(['exports', 'show', 'exp_nope', '--data', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no export with id exp_nope');
  });
});
