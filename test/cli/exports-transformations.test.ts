import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, tempFolder } from '../helpers/process.js';

/** `currents exports create|update|show` with field transformations, through the built CLI (needs `npm run build`). */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
beforeAll(() => assertBuilt());

interface View {
  id: string;
  transformations: { field: string; action: string }[];
  warnings: string[];
}

describe('currents exports with transformations', { timeout: 90_000 }, () => {
  it('takes them from the file and from --hash/--remove/--keep, warns about identities, and refuses unknown fields', async () => {
    const t = await tempFolder('currents-exports-tf-');
    cleanups.push(t.remove);
    const data = join(t.dir, 'data');
    const file = join(t.dir, 'export.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Hashed ids',
        contact_email: 'data-team@example.com',
        destination: { pod: 'EU1' },
        feeds: { unbound: { key: 'k', secret: 's' } },
        events: ['users.messages.email.Send'],
        transformations: [{ field: 'campaign_name', action: 'hash' }],
      }),
    );
    const created = await runCli([
      'exports',
      'create',
      '--file',
      file,
      '--data',
      data,
      '--hash',
      'external_user_id',
      '--remove',
      'campaign_name',
      '--remove',
      'email_address',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const exp = JSON.parse(created.stdout) as View;
    expect(exp.transformations).toEqual([
      { field: 'campaign_name', action: 'remove' },
      { field: 'external_user_id', action: 'hash' },
      { field: 'email_address', action: 'remove' },
    ]);
    expect(created.stderr).toMatch(/warning: external_user_id is hashed, and it is this export's customer_id identity/);
    expect(created.stderr).toMatch(/warning: email_address is removed/);

    const updated = await runCli([
      'exports',
      'update',
      exp.id,
      '--keep',
      'external_user_id',
      '--hash',
      'email_address',
      '--data',
      data,
    ]);
    expect(updated.code, updated.stderr).toBe(0);
    expect((JSON.parse(updated.stdout) as View).transformations).toEqual([
      { field: 'campaign_name', action: 'remove' },
      { field: 'email_address', action: 'hash' },
    ]);

    const shown = JSON.parse((await runCli(['exports', 'show', exp.id, '--data', data])).stdout) as View;
    expect(shown.transformations).toEqual([
      { field: 'campaign_name', action: 'remove' },
      { field: 'email_address', action: 'hash' },
    ]);
    expect(shown.warnings).toEqual([expect.stringMatching(/email_address is hashed/)]);

    const refused = await runCli(['exports', 'update', exp.id, '--hash', 'campain_name', '--data', data]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no Currents event type has a field campain_name: did you mean campaign_name/);
    const nothing = await runCli(['exports', 'update', exp.id, '--data', data]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(/give --file <changes.json>, or --hash, --remove or --keep <field>/);
  });
});
