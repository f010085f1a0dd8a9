import type { Command } from 'commander';
import type { Flags } from '../config.js';
import { configOrExit } from './store-access.js';
import { createLogger } from '../logger.js';
import { startService } from '../server/service.js';
import { toError } from '../store/errors.js';

/** `currents serve`: run the service until SIGTERM or SIGINT, then shut down gracefully. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the service: HTTP ingest, the event log, exports to mParticle, the dashboard')
    .option('--data <dir>', 'data folder for the embedded store, tokens and keys (CURRENTS_DATA_DIR)', undefined)
    .option('--host <host>', 'address to listen on (CURRENTS_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on (CURRENTS_PORT; default 7700)')
    .option('--database-url <url>', 'PostgreSQL URL instead of the embedded SQLite store (DATABASE_URL)')
    .option('--role <role>', 'all | ingest | deliver (CURRENTS_ROLE; default all)')
    .option('--partitions <n>', 'log partitions, fixed when the store is created (CURRENTS_PARTITIONS; default 16)')
    .option('--max-events <n>', 'events accepted per push request (CURRENTS_MAX_EVENTS_PER_REQUEST; default 100)')
    .option('--body-limit <bytes>', 'largest push body accepted (CURRENTS_BODY_LIMIT_BYTES; default 4 MiB)')
    .option('--retention-hours <h>', 'keep delivered events this long (CURRENTS_RETENTION_HOURS; default 168)')
    .option('--sync <mode>', 'SQLite durability: full | normal (CURRENTS_SQLITE_SYNC; default full)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate chain, reloaded on SIGHUP (CURRENTS_TLS_CERT)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (CURRENTS_TLS_KEY)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (CURRENTS_LOG_LEVEL)')
    .action(async (flags: Flags) => {
      const config = configOrExit(flags);
      const logger = createLogger(config.logLevel);
      let service;
      try {
        service = await startService(config, logger);
      } catch (e) {
        const err = toError(e);
        logger.fatal({ err }, 'could not start');
        const hint =
          (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
            ? `\nanother process listens on ${config.host}:${config.port}: stop it, or choose another --port (CURRENTS_PORT)`
            : '';
        process.stderr.write(`currents: could not start: ${err.message}${hint}\n`);
        process.exit(1);
      }
      for (const g of service.keys.generated) {
        // Printed once, to the terminal only: never through the logger.
        process.stdout.write(
          g.value === null
            ? `Generated the ${g.name}, kept in ${g.file}\n`
            : `Generated ${g.name}: ${g.value}  (kept in ${g.file})\n`,
        );
      }
      process.stdout.write(`currents listening on ${service.url}\n`);
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutting down');
        const hardExit = setTimeout(() => {
          logger.error('shutdown took longer than 15 s; exiting');
          process.exit(1);
        }, 15_000);
        hardExit.unref();
        service.close().then(
          () => process.exit(0),
          (e: unknown) => {
            logger.error({ err: toError(e) }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      // Renewed certificates: `kill -HUP <pid>` after replacing the files (only when serving HTTPS; otherwise SIGHUP
      // keeps its usual meaning).
      if (config.tls !== null) process.on('SIGHUP', () => void service.reloadTls());
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
