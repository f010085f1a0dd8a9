import { readAvro } from './avro.js';
import { Importer, type ImporterOptions, type ImportSummary } from './importer.js';
import { readJsonFile } from './jsonfile.js';
import { readNdjson } from './ndjson.js';
import type { FileReader } from './source.js';
import { listInputs, typeFromPath, type InputFile } from './walk.js';

export type { ImportFailure, ImportSink, ImportSummary } from './importer.js';

/**
 * Import Currents files (Avro storage dumps, NDJSON, JSON) found under paths, walked recursively in sorted order,
 * into whatever the caller's sink keeps (see Importer). `currents import` runs this.
 */

export interface ImportProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Items read so far (valid and quarantined). */
  events: number;
}

export interface ImportOptions extends ImporterOptions {
  onProgress?: (p: ImportProgress) => void;
}

function readerFor(file: InputFile): FileReader {
  switch (file.format) {
    case 'avro':
      return (path) => readAvro(path, typeFromPath(path));
    case 'ndjson':
      return readNdjson;
    case 'json':
      return readJsonFile;
  }
}

export async function importPaths(paths: string[], opts: ImportOptions): Promise<ImportSummary> {
  const importer = new Importer(opts);
  const { summary } = importer;
  const { files, problems } = await listInputs(paths);
  for (const problem of problems) summary.failures.push({ path: problem.path, offset: 0, error: problem.error });
  summary.files = files.length;
  const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
  let bytesBefore = 0;
  const report = (file: string, filesDone: number, bytesInFile: number): void => {
    opts.onProgress?.({
      file,
      filesDone,
      filesTotal: files.length,
      bytesDone: bytesBefore + bytesInFile,
      bytesTotal,
      events: summary.events,
    });
  };

  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    // A file that cannot even be opened is reported like one that fails part way.
    const batches = (async function* () {
      yield* readerFor(file)(file.path);
    })();
    await importer.readInput(file.path, batches, {
      onBytes: (n) => report(file.path, i, Math.min(n, file.size)),
    });
    bytesBefore += file.size;
    report(file.path, i + 1, 0);
  }
  return importer.finish();
}
