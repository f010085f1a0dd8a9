import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvent } from '../catalog/samples.js';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';

/** `currents trace <event-id>` through the built CLI on a data folder (needs `npm run build`). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(): Promise<string> {
  const t = await tempFolder('currents-trace-cli-');
  cleanups.push(t.remove);
  return t.dir;
}

const SEND = 'users.messages.email.Send';

describe('currents trace', { timeout: 90_000 }, () => {
  it('prints what became of an event in each export, as text or JSON, and exits 1 for an unknown id', async () => {
    const data = await folder();
    const files = await folder();
    const exportFile = join(files, 'export.json');
    writeFileSync(
      exportFile,
      JSON.stringify({
        name: 'CLI trace',
        contact_email: 'data-team@example.com',
        destination: { pod: 'US1' },
        feeds: { unbound: { key: 'k', secret: 's' } },
        events: [SEND],
      }),
    );
    const created = await runCli(['exports', 'create', '--file', exportFile, '--data', data]);
    expect(created.code, created.stderr).toBe(0);
    const exportId = (JSON.parse(created.stdout) as { id: string }).id;

    const withUser = { ...sampleEvent(SEND), id: 'cli-trace-1', external_user_id: 'user-1' };
    const anonymous = { ...sampleEvent(SEND), id: 'cli-trace-2', external_user_id: null };
    const ndjson = join(files, 'events.ndjson');
    writeFileSync(ndjson, `${JSON.stringify(withUser)}\n${JSON.stringify(anonymous)}\n`);
    expect((await runCli(['import', ndjson, '--data', data])).code).toBe(0);

    const text = await runCli(['trace', 'cli-trace-1', '--data', data]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^cli-trace-1 {2}users\.messages\.email\.Send {2}log #\d+ \(partition \d+\)/);
    expect(text.stdout).toContain(`CLI trace (${exportId}): waiting`);

    const json = await runCli(['trace', 'cli-trace-2', '--data', data, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const trace = JSON.parse(json.stdout) as { event: { id: string }; exports: { export_id: string; fate: string }[] };
    expect(trace.event.id).toBe('cli-trace-2');
    expect(trace.exports).toEqual([expect.objectContaining({ export_id: exportId, fate: 'skipped' })]);

    const missing = await runCli(['trace', 'no-such-event', '--data', data]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the log holds no event with id no-such-event');
    expect(missing.stderr).toContain('currents quarantine list');
  });
});
