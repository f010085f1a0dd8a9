// Runs `npm run build` only when what the service is built from changed since the last build this script ran (or
// when its outputs are missing), so `npm start` starts at once when nothing changed. "Changed" is by content: a
// SHA-256 over every file under src/ and scripts/, the tsconfigs and package.json / package-lock.json, compared with
// the stamp written into dist/ after a successful build. A fresh clone has no stamp (it builds); after a `git pull`
// the changed files change the hash (it builds); a failed build writes no stamp (the next start tries again).
//
//   node scripts/build-if-stale.mjs           build if stale
//   node scripts/build-if-stale.mjs --check   exit 0 when up to date, 1 when a build is due (builds nothing)
//   node scripts/build-if-stale.mjs --stamp   record the sources as built (the end of `npm run build`)
//
// CURRENTS_BUILD_COMMAND replaces `npm run build` (the tests use it to watch when a build runs).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';

const root = process.cwd();
const INPUTS = ['src', 'scripts', 'tsconfig.json', 'tsconfig.dashboard.json', 'package.json', 'package-lock.json'];
const OUTPUTS = ['dist/src/cli/main.js', 'dist/dashboard/index.html'];
const STAMP = join(root, 'dist', '.build-stamp');

function files(path, out) {
  if (!existsSync(path)) return out;
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) files(join(path, name), out);
  } else {
    out.push(path);
  }
  return out;
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const input of INPUTS) {
    for (const file of files(join(root, input), [])) {
      hash.update(relative(root, file).split('\\').join('/'));
      hash.update('\0');
      hash.update(createHash('sha256').update(readFileSync(file)).digest());
    }
  }
  return hash.digest('hex');
}

function staleBecause(hash) {
  const missing = OUTPUTS.filter((o) => !existsSync(join(root, o)));
  if (missing.length > 0) return `${missing.join(', ')} missing`;
  if (!existsSync(STAMP)) return 'no record of a build from these sources';
  if (readFileSync(STAMP, 'utf8').trim() !== hash) return 'sources changed since the last build';
  return null;
}

// Hashed before building: a file edited while the build runs leaves the stamp behind, so the next start builds again.
const hash = sourceHash();
const reason = staleBecause(hash);
if (process.argv.includes('--stamp')) {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(STAMP, `${hash}\n`);
  process.exit(0);
}
if (process.argv.includes('--check')) {
  process.stdout.write(reason === null ? 'build is up to date\n' : `build is due: ${reason}\n`);
  process.exit(reason === null ? 0 : 1);
}
if (reason === null) {
  process.stdout.write('build is up to date (sources unchanged since the last build)\n');
  process.exit(0);
}
process.stdout.write(`building: ${reason}\n`);
const command = process.env.CURRENTS_BUILD_COMMAND ?? 'npm run build';
const result = spawnSync(command, { stdio: 'inherit', shell: true });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(STAMP, `${hash}\n`);
