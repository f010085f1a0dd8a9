import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli } from '../helpers/process.js';

/** `currents --version` through the built CLI (needs `npm run build`). */

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

beforeAll(() => assertBuilt());

describe('currents --version', { timeout: 30_000 }, () => {
  it.each([['--version'], ['-V']])('%s prints the version of package.json and exits 0', async (flag) => {
    const ran = await runCli([flag]);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe(`${packageVersion}\n`);
  });

  it('finds package.json beside the code, not in the working folder', async () => {
    const ran = await runCli(['--version'], {}, tmpdir());
    expect(ran.stdout).toBe(`${packageVersion}\n`);
  });

  it('is listed in the help', async () => {
    const ran = await runCli(['--help']);
    expect(ran.stdout).toMatch(/-V, --version/);
  });
});
