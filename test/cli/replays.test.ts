import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../../src/catalog/sample.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { spawn } from 'node:child_process';
import { newPlace, removePlace, startTestService, type TestService } from '../helpers/service.js';
import { assertBuilt, MAIN, runCli } from '../helpers/process.js';

/**
 * `currents exports replay` and `currents exports replays` through the built CLI, on the data folder of a running
 * service (SQLite, real HTTP) that sends to a real sandbox: the CLI asks for the replay in the store, the service
 * notices it and sends it, and the CLI follows it to its summary. Needs `npm run build`.
 */

const SEND = 'users.messages.email.Send';
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
beforeAll(() => assertBuilt());

interface Batch {
  batch: { events: { data: { custom_attributes: Record<string, string> } }[] };
}

async function world() {
  const sandbox = await startSandbox({ port: 0, feeds: [{ key: 'cli-key', secret: 'cli-secret' }] });
  closers.push(() => sandbox.close());
  const s: TestService = await startTestService(await newPlace('sqlite'));
  closers.push(() => s.close());
  const now = Math.floor(Date.now() / 1000);
  const ids = Array.from({ length: 6 }, () => randomUUID());
  const pushed = await s.push([
    ...ids.map((id, i) => sampleEvent(SEND, { id, time: now - 3600 + i, externalUserId: `cli-user-${i}` })),
    // Outside the range asked for below.
    sampleEvent(SEND, { id: randomUUID(), time: now - 5 * 86_400, externalUserId: 'old-user' }),
  ]);
  expect(pushed.body.stored).toBe(7);
  const created = await s.api<{ id: string }>('POST', '/v1/exports', {
    name: 'CLI replays',
    contact_email: 'ops@example.com',
    destination: { base_url: sandbox.url },
    feeds: { unbound: { key: 'cli-key', secret: 'cli-secret' } },
    events: [SEND],
  });
  expect(created.status).toBe(201);
  const cli = (...args: string[]) => runCli([...args, '--data', s.place.dataDir, '--partitions', '4']);
  const received = async () => {
    const batches = (await (await fetch(`${sandbox.url}/sandbox/batches`)).json()) as Batch[];
    return batches.flatMap((b) => b.batch.events.map((e) => e.data.custom_attributes.source_request_id));
  };
  return { s, id: created.body.id, ids, cli, received };
}

describe('currents exports replay', { timeout: 90_000 }, () => {
  it('shows the count, follows the replay to its summary, and lists it', async () => {
    const { id, ids, cli, received } = await world();
    expect(await received()).toEqual([]);

    const ran = await cli('exports', 'replay', id, '--from', '2h', '--interval', '100');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/^The log holds 6 events of CLI replays \(exp_[0-9a-f]+\)'s types and sources from /);
    expect(ran.stdout).toMatch(
      /Replay 1 done in \d+ s: 6 events re-sent; 6 delivered, 0 skipped \(no external user id\), 0 dead-lettered, 0 dropped\.\n$/,
    );
    expect(ran.stderr).toContain('Replay 1: the running service sends it');
    // What the summary says reached the sandbox: the six events of the range, not the old one.
    expect([...(await received())].sort()).toEqual([...ids].sort());

    const listed = await cli('exports', 'replays', id);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+state\s+from\s+to\s+sent\s+delivered\s+skipped\s+dead-lettered\s+dropped/);
    expect(lines[1]).toMatch(/^1\s+done\s+\S+\s+\S+\s+6\/6 \(100%\)\s+6\s+0\s+0\s+0\s/);

    const json = await cli('exports', 'replays', id, '--json');
    const body = JSON.parse(json.stdout) as { replays: Record<string, unknown>[] };
    expect(body.replays).toHaveLength(1);
    expect(body.replays[0]).toMatchObject({ generation: 1, state: 'done', events: 6, sent: 6, delivered: 6 });
  });

  it('returns at once with --no-wait; the service still sends the replay', async () => {
    const { s, id, cli, received } = await world();
    const ran = await cli(
      'exports',
      'replay',
      id,
      '--from',
      new Date(Date.now() - 7_200_000).toISOString(),
      '--no-wait',
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('The log holds 6 events');
    expect(ran.stdout).toContain(`Replay 1 started. Follow it with: currents exports replays ${id}`);
    const deadline = Date.now() + 20_000;
    let state = 'running';
    while (state === 'running' && Date.now() < deadline) {
      state = (await s.api<{ state: string }>('GET', `/v1/exports/${id}/replays/1`)).body.state;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toBe('done');
    expect(await received()).toHaveLength(6);
  });

  it('refuses a bad range with a sentence and asks for nothing', async () => {
    const { id, cli } = await world();
    const unparseable = await cli('exports', 'replay', id, '--from', 'last tuesday');
    expect(unparseable.code).toBe(1);
    expect(unparseable.stderr).toMatch(/"from" must be a time with its zone such as .*; "last tuesday" is not one/);
    const backwards = await cli('exports', 'replay', id, '--from', '1h', '--to', '3h');
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toMatch(/"from" \(.*\) is after "to" \(.*\): give a range that starts before it ends/);
    const unknown = await cli('exports', 'replay', 'exp_nope', '--from', '1h');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no export with id exp_nope');
    const none = await cli('exports', 'replays', id);
    expect(none.stdout).toContain('No replays yet');
  });

  it('says so when no running service picks the replay up, and keeps it for when one runs', async () => {
    const place = await newPlace('sqlite');
    closers.push(() => removePlace(place));
    const s = await startTestService(place);
    const now = Math.floor(Date.now() / 1000);
    await s.push([sampleEvent(SEND, { id: randomUUID(), time: now - 60, externalUserId: 'alone' })]);
    const created = await s.api<{ id: string }>('POST', '/v1/exports', {
      name: 'Nobody sends',
      contact_email: 'ops@example.com',
      destination: { base_url: 'http://127.0.0.1:9' },
      feeds: { unbound: { key: 'k', secret: 's' } },
      events: [SEND],
    });
    await s.close('keep');

    const child = spawn(
      process.execPath,
      [MAIN, 'exports', 'replay', created.body.id, '--from', '1h', '--data', place.dataDir, '--partitions', '4'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 40_000;
    while (!err.includes('No process has picked') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    await exited;
    expect(out).toContain('The log holds 1 events');
    expect(err).toContain(
      'No process has picked replay 1 up yet: is `currents serve` running on this data folder or database? ' +
        'The replay is stored and starts when it runs',
    );
    // Stored, waiting for a service: the list says so.
    const listed = await cli(place.dataDir, 'exports', 'replays', created.body.id, '--json');
    expect((JSON.parse(listed.stdout) as { replays: { state: string; sent: number }[] }).replays).toMatchObject([
      { state: 'running', sent: 0 },
    ]);
  });
});

const cli = (data: string, ...args: string[]) => runCli([...args, '--data', data, '--partitions', '4']);
