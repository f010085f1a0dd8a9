import type { Logger } from 'pino';
import { StoreConfigError } from '../errors.js';
import type { Store } from '../port.js';

/** The PostgreSQL adapter arrives with the scale-out work; until then a database URL is refused clearly. */
export async function openPostgresStore(_options: { connectionString: string; logger: Logger }): Promise<Store> {
  throw new StoreConfigError('PostgreSQL is not supported by this build yet; unset DATABASE_URL to use SQLite');
}
