import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';

/** `currents tokens ...` and `currents audit` through the built CLI on a data folder (SQLite). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

async function folder(): Promise<string> {
  const t = await tempFolder('currents-team-cli-');
  cleanups.push(t.remove);
  return t.dir;
}

describe('currents tokens and currents audit', { timeout: 90_000 }, () => {
  it('makes, lists and revokes tokens; says what to fix in a bad name or role', async () => {
    const data = await folder();
    const badRole = await runCli(['tokens', 'create', '--data', data, '--name', 'ci', '--role', 'root']);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('--role: choose viewer');
    const badName = await runCli(['tokens', 'create', '--data', data, '--name', 'admin (built-in)', '--role', 'admin']);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('--name: use 1 to 64 letters');

    const made = await runCli(['tokens', 'create', '--data', data, '--name', 'ci', '--role', 'operator']);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout.trim()).toMatch(/^cmt_/);
    const again = await runCli(['tokens', 'create', '--data', data, '--name', 'ci', '--role', 'admin']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('"currents tokens list"');

    const listed = await runCli(['tokens', 'list', '--data', data]);
    expect(listed.stdout).toMatch(/tok_[0-9a-f]{12} {2}operator {2}ci {2}made .* last used never/);
    expect(listed.stdout).not.toContain(made.stdout.trim());
    const id = /tok_[0-9a-f]{12}/.exec(listed.stdout)![0];
    expect((await runCli(['tokens', 'revoke', '--data', data, id])).stdout).toContain(`revoked ${id} ("ci", operator)`);
    const missing = await runCli(['tokens', 'revoke', '--data', data, id]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no live token with id');
    expect((await runCli(['tokens', 'list', '--data', data])).stdout).toContain('0 live tokens');
  });

  it('records changes made with the CLI and shows them, for one export, with secrets only as changed', async () => {
    const data = await folder();
    const body = join(data, 'export.json');
    writeFileSync(
      body,
      JSON.stringify({
        name: 'Brand A',
        contact_email: 'ops@example.com',
        destination: { base_url: 'http://127.0.0.1:9' },
        feeds: { web: { key: 'web-key', secret: 'cli-secret-never-shown' } },
        events: ['users.messages.email.Send'],
      }),
    );
    const created = await runCli(['exports', 'create', '--data', data, '--file', body]);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    writeFileSync(body, JSON.stringify({ name: 'Brand A (web)', feeds: { web: { secret: 'another-secret' } } }));
    expect((await runCli(['exports', 'update', id, '--data', data, '--file', body])).code).toBe(0);
    expect((await runCli(['exports', 'pause', id, '--data', data])).code).toBe(0);

    const shown = await runCli(['audit', '--data', data, '--export', id]);
    expect(shown.code, shown.stderr).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines.filter((l) => /^\d{4}-/.test(l)).map((l) => l.split('  ').slice(1, 3))).toEqual([
      [expect.stringMatching(/^cli \(.+\)$/), 'export.pause'],
      [expect.stringMatching(/^cli \(.+\)$/), 'export.update'],
      [expect.stringMatching(/^cli \(.+\)$/), 'export.create'],
    ]);
    expect(shown.stdout).toContain('  state: "active" → "paused"');
    expect(shown.stdout).toContain('  name: "Brand A" → "Brand A (web)"');
    expect(shown.stdout).toContain('  feeds.web.secret: changed');
    expect(shown.stdout).not.toContain('secret-never-shown');
    expect(shown.stdout).not.toContain('another-secret');
    expect((await runCli(['audit', '--data', data, '--since', '2999-01-01'])).stdout).toContain('0 entries');
    const bad = await runCli(['audit', '--data', data, '--since', 'last week']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since: give a date and time');
  });
});
