// tsc emits only .ts; the catalog data, SQL migrations and other assets beside the code are copied here.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, relative, dirname, extname } from 'node:path';

const ASSET_EXT = new Set(['.json', '.sql']);
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'dashboard') continue;
    if (statSync(path).isDirectory()) walk(path);
    else if (ASSET_EXT.has(extname(name))) {
      const out = join('dist', relative('.', path));
      mkdirSync(dirname(out), { recursive: true });
      cpSync(path, out);
    }
  }
}
walk('src');
