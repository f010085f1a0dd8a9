import { readFileSync } from 'node:fs';

/**
 * The version of the running code, read from the package's own package.json at run time (not copied into the code,
 * so it cannot drift). This module runs from `src/` under tsx and Vitest, from `dist/src/` when built, and from
 * `node_modules/currents-mparticle/dist/src/` when installed: the nearest package.json of this package, walking up,
 * is the one.
 */
const PACKAGE_NAME = 'currents-mparticle';

let cached: string | null = null;

export function packageVersion(): string {
  if (cached !== null) return cached;
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    const file = new URL('package.json', dir);
    const found = readPackage(file);
    if (found?.name === PACKAGE_NAME && typeof found.version === 'string') {
      cached = found.version;
      return cached;
    }
    if (new URL('../', dir).href === dir.href) {
      throw new Error(
        `no package.json of ${PACKAGE_NAME} above ${import.meta.url}: run from the project folder or the installed package`,
      );
    }
  }
}

function readPackage(file: URL): { name?: unknown; version?: unknown } | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    // Missing, unreadable or not JSON: not ours, keep looking.
    return null;
  }
}
