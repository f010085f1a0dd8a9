import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * package-lock.json agrees with package.json, so that `npm install` on a fresh clone leaves the tree as it was (a
 * stale `bin` path in the lock's root entry once made every install rewrite it). CI also runs `npm install` after
 * `npm ci` and fails on any change to the lock (.ci/run); this test catches the usual drifts without a network.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const read = (name: string) => JSON.parse(readFileSync(join(ROOT, name), 'utf8')) as Record<string, unknown>;

describe('package-lock.json', () => {
  const pkg = read('package.json');
  const lock = read('package-lock.json') as {
    name: string;
    version: string;
    packages: Record<string, Record<string, unknown>>;
  };
  const root = lock.packages['']!;

  it('has the root entry npm would write from package.json', () => {
    expect(lock.name).toBe(pkg.name);
    expect(lock.version).toBe(pkg.version);
    for (const field of ['name', 'version', 'license', 'bin', 'engines', 'dependencies', 'devDependencies']) {
      expect(root[field], `packages[""].${field}`).toEqual(pkg[field]);
    }
  });

  it('locks each direct dependency at the exact version package.json pins', () => {
    const pinned = {
      ...(pkg.dependencies as Record<string, string>),
      ...(pkg.devDependencies as Record<string, string>),
    };
    for (const [name, version] of Object.entries(pinned)) {
      expect(version, `${name} is pinned to an exact version`).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
    }
  });
});
