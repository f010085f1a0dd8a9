import type { QuarantineSource } from '../types.js';

/** A source's name for people, or undefined when it is not known (deleted since). */
export type SourceName = (id: string) => string | undefined;

function sourceWords(id: string | undefined, name: SourceName): string {
  if (id === undefined) return 'the default source';
  const known = name(id);
  return known === undefined ? `source ${id}` : `source “${known}”`;
}

/**
 * Where a quarantined record came from, in words a person reads ("Pushed by Braze to source “Brand A”, event 1 of
 * 50 in that request"). The time is left to the reader's clock: the dashboard and the CLI add it.
 */
export function describeOrigin(source: QuarantineSource, name: SourceName): string {
  switch (source.kind) {
    case 'http': {
      const nth = source.index + 1;
      const position =
        source.of !== undefined ? `event ${nth} of ${source.of} in that request` : `event ${nth} of its request`;
      return `Pushed by Braze to ${sourceWords(source.sourceId, name)}, ${position} (request ${source.requestId})`;
    }
    case 'file': {
      const record = source.index !== undefined ? `, record ${source.index + 1}` : '';
      // Bucket objects are named by URL (s3://, azure://, gs://); anything else is a path given to `currents import`.
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source.path)) {
        return `File ${source.path} at byte ${source.offset}${record}, read by ${sourceWords(source.sourceId, name)}`;
      }
      return `currents import of ${source.path}, at byte ${source.offset}${record}`;
    }
    case 'retry':
      return `A retry of quarantine record #${source.quarantineId}`;
  }
}
