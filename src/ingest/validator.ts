import { createHash } from 'node:crypto';
import { EVENT_TYPES } from '../catalog/catalog.js';
import { packageVersion } from '../version.js';

let cached: string | null = null;

/**
 * Names the validation input is checked by: the service version and a hash of the catalog it validates against.
 * Stamped on every quarantine record, so a record refused by the running validation is known to fail again if
 * retried before either changes.
 */
export function validatorVersion(): string {
  if (cached !== null) return cached;
  const catalog = createHash('sha256').update(JSON.stringify(EVENT_TYPES)).digest('hex').slice(0, 12);
  cached = `${packageVersion()}+catalog.${catalog}`;
  return cached;
}
