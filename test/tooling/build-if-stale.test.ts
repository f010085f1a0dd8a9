import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempFolder } from '../helpers/process.js';

/**
 * scripts/build-if-stale.mjs (what `npm start` and `npm install` run before starting): it builds a fresh clone, then
 * only when sources change by content, after a `git pull` too, and again after a failed build. The build command is
 * replaced by one that records each run and writes the outputs the script looks for.
 */

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'build-if-stale.mjs');
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(): Promise<string> {
  const { dir, remove } = await tempFolder('currents-build-stale-');
  cleanups.push(remove);
  mkdirSync(join(dir, 'src', 'cli'), { recursive: true });
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(SCRIPT, join(dir, 'scripts', 'build-if-stale.mjs'));
  writeFileSync(join(dir, 'package.json'), '{"name":"p"}\n');
  writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
  writeFileSync(join(dir, 'src', 'cli', 'main.ts'), 'export const a = 1;\n');
  return dir;
}

// Records a build and writes the outputs; fails when a file named FAIL exists.
const BUILD =
  "node -e \"const f=require('fs');if(f.existsSync('FAIL'))process.exit(3);" +
  "f.appendFileSync('builds.txt','x');f.mkdirSync('dist/src/cli',{recursive:true});f.mkdirSync('dist/dashboard'," +
  "{recursive:true});f.writeFileSync('dist/src/cli/main.js','');f.writeFileSync('dist/dashboard/index.html','')\"";

function run(dir: string, ...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, ['scripts/build-if-stale.mjs', ...args], {
    cwd: dir,
    env: { ...process.env, CURRENTS_BUILD_COMMAND: BUILD },
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

const builds = (dir: string): number =>
  existsSync(join(dir, 'builds.txt')) ? readFileSync(join(dir, 'builds.txt'), 'utf8').length : 0;

describe('build-if-stale', { timeout: 120_000 }, () => {
  it('builds a fresh clone once, then only when a source changes by content', async () => {
    const dir = await project();
    expect(run(dir, '--check')).toMatchObject({ code: 1 });
    expect(run(dir).out).toContain('building: dist/src/cli/main.js, dist/dashboard/index.html missing');
    expect(builds(dir)).toBe(1);
    expect(run(dir, '--check')).toMatchObject({ code: 0, out: 'build is up to date\n' });
    expect(run(dir).out).toContain('build is up to date');
    expect(builds(dir)).toBe(1);

    // A touched file whose content is the same is not a change.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(dir, 'src', 'cli', 'main.ts'), later, later);
    run(dir);
    expect(builds(dir)).toBe(1);

    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), 'export const a = 2;\n');
    expect(run(dir).out).toContain('building: sources changed since the last build');
    expect(builds(dir)).toBe(2);
    writeFileSync(join(dir, 'src', 'new.sql'), 'SELECT 1;\n');
    run(dir);
    expect(builds(dir)).toBe(3);
    writeFileSync(join(dir, 'tsconfig.json'), '{"compilerOptions":{}}\n');
    run(dir);
    expect(builds(dir)).toBe(4);
    run(dir);
    expect(builds(dir)).toBe(4);

    rmSync(join(dir, 'dist', 'dashboard'), { recursive: true });
    expect(run(dir).out).toContain('dist/dashboard/index.html missing');
    expect(builds(dir)).toBe(5);
  });

  it('takes a build made by `npm run build` (which ends with --stamp) as up to date', async () => {
    const dir = await project();
    mkdirSync(join(dir, 'dist', 'src', 'cli'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'dashboard'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'src', 'cli', 'main.js'), '');
    writeFileSync(join(dir, 'dist', 'dashboard', 'index.html'), '');
    expect(run(dir, '--check').code).toBe(1);
    expect(run(dir, '--stamp').code).toBe(0);
    expect(run(dir, '--check')).toMatchObject({ code: 0, out: 'build is up to date\n' });
    run(dir);
    expect(builds(dir)).toBe(0);
  });

  it('keeps no stamp after a failed build: the next start builds again', async () => {
    const dir = await project();
    run(dir);
    writeFileSync(join(dir, 'src', 'cli', 'main.ts'), 'export const a = 3;\n');
    writeFileSync(join(dir, 'FAIL'), '');
    expect(run(dir).code).toBe(3);
    rmSync(join(dir, 'FAIL'));
    expect(run(dir).out).toContain('building: sources changed');
    expect(builds(dir)).toBe(2);
  });

  it('builds after a git pull that brings changed sources, and not after one that brings none', async () => {
    const upstream = await project();
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, stdio: 'pipe' });
    writeFileSync(join(upstream, '.gitignore'), 'dist/\nbuilds.txt\n');
    git(upstream, 'init', '-q', '-b', 'main');
    git(upstream, 'add', '-A');
    git(upstream, 'commit', '-qm', 'one');
    const { dir: parent, remove } = await tempFolder('currents-build-clone-');
    cleanups.push(remove);
    const clone = join(parent, 'clone');
    git(parent, 'clone', '-q', upstream, clone);
    run(clone);
    expect(builds(clone)).toBe(1);

    writeFileSync(join(upstream, 'README.md'), 'docs only\n');
    git(upstream, 'add', '-A');
    git(upstream, 'commit', '-qm', 'docs');
    git(clone, 'pull', '-q');
    run(clone);
    expect(builds(clone)).toBe(1);

    writeFileSync(join(upstream, 'src', 'cli', 'main.ts'), 'export const a = 4;\n');
    git(upstream, 'commit', '-qam', 'code');
    git(clone, 'pull', '-q');
    expect(run(clone).out).toContain('building: sources changed since the last build');
    expect(builds(clone)).toBe(2);
  });
});
