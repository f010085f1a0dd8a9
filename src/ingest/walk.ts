import { readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FileFormat } from './source.js';

/**
 * The files an import reads: paths given as files are taken as they are; folders are listed recursively (Braze's
 * storage layout nests event_type=, date=, schema and zone folders, but any layout works). Sorted, so two runs
 * over the same folder read the same files in the same order.
 */

export interface InputFile {
  path: string;
  size: number;
  format: FileFormat;
}

export interface WalkProblem {
  path: string;
  error: string;
}

const SUFFIXES: readonly [string, FileFormat][] = [
  ['.avro', 'avro'],
  ['.ndjson', 'ndjson'],
  ['.jsonl', 'ndjson'],
  ['.json', 'json'],
];

export function formatOf(path: string): FileFormat | null {
  const lower = path.toLowerCase();
  for (const [suffix, format] of SUFFIXES) if (lower.endsWith(suffix)) return format;
  return null;
}

/** The Currents type named by an `event_type=<type>` folder on the path, if any (the innermost wins). */
export function typeFromPath(path: string): string | null {
  const parts = path.split(/[\\/]/);
  for (let i = parts.length - 2; i >= 0; i--) {
    const part = parts[i]!;
    if (part.startsWith('event_type=') && part.length > 'event_type='.length) return part.slice('event_type='.length);
  }
  return null;
}

interface Walk {
  found: Map<string, InputFile>;
  problems: WalkProblem[];
  /** Real paths of folders already listed, so a link back up the tree cannot loop. */
  seen: Set<string>;
}

async function listFolder(folder: string, walk: Walk): Promise<void> {
  const { found: out, problems } = walk;
  let entries;
  try {
    const real = await realpath(folder);
    if (walk.seen.has(real)) return;
    walk.seen.add(real);
    entries = await readdir(folder, { withFileTypes: true });
  } catch (e) {
    problems.push({ path: folder, error: `cannot list the folder (${e instanceof Error ? e.message : String(e)})` });
    return;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    // Symbolic links are followed by stat; a link to a folder is listed like a folder.
    const isDir =
      entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).catch(() => null))?.isDirectory());
    if (isDir) {
      await listFolder(path, walk);
      continue;
    }
    const format = formatOf(entry.name);
    // Other files in a storage folder (markers, checksums) are not events and are passed over.
    if (format === null || out.has(path)) continue;
    try {
      out.set(path, { path, size: (await stat(path)).size, format });
    } catch (e) {
      problems.push({ path, error: `cannot read the file (${e instanceof Error ? e.message : String(e)})` });
    }
  }
}

export async function listInputs(paths: readonly string[]): Promise<{ files: InputFile[]; problems: WalkProblem[] }> {
  const walk: Walk = { found: new Map(), problems: [], seen: new Set() };
  const { found, problems } = walk;
  for (const given of paths) {
    const path = resolve(given);
    let info;
    try {
      info = await stat(path);
    } catch {
      problems.push({ path: given, error: 'no such file or folder: check the path' });
      continue;
    }
    if (info.isDirectory()) {
      await listFolder(path, walk);
      continue;
    }
    const format = formatOf(path);
    if (format === null) {
      problems.push({ path, error: 'not an .avro, .ndjson, .jsonl or .json file: rename it or leave it out' });
      continue;
    }
    found.set(path, { path, size: info.size, format });
  }
  const files = [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, problems };
}
