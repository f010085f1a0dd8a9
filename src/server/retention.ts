import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { toError } from '../store/errors.js';
import type { Store } from '../store/port.js';

/**
 * Retention: every few minutes, remove log rows older than the retention window that every export is past, and
 * audit log entries older than CURRENTS_AUDIT_RETENTION_DAYS.
 * The store decides what is past every cursor; this loop only keeps time.
 */
export function startRetention(
  store: Store,
  config: Pick<Config, 'retentionHours' | 'auditRetentionDays'>,
  logger: Logger,
  everyMs = 10 * 60_000,
): { stop: () => Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = (async () => {
      try {
        const removed = await store.applyRetention(Date.now() - config.retentionHours * 3_600_000);
        if (removed > 0) logger.info({ removed }, 'retention removed old events from the log');
      } catch (e) {
        logger.warn({ err: toError(e) }, 'retention pass failed; it will be tried again');
      }
      try {
        const pruned = await store.pruneAudit(Date.now() - config.auditRetentionDays * 86_400_000);
        if (pruned > 0) logger.info({ removed: pruned }, 'retention removed old entries from the audit log');
      } catch (e) {
        logger.warn({ err: toError(e) }, 'audit log retention failed; it will be tried again');
      } finally {
        running = null;
      }
    })();
  };
  const first = setTimeout(run, 5_000);
  const timer = setInterval(run, everyMs);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
