import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { toError } from '../store/errors.js';

/**
 * Telling the export's contact about a feed that needs them: credentials refused (events held until a deadline),
 * events dropped, and the feed flowing again. With SMTP settings the notice is mailed (nodemailer); without them it
 * goes to the log. Either way the dashboard shows it (the caller records it in the export's errors). nodemailer is
 * loaded with the first notice (a few MiB that most processes never need).
 */
export interface Notice {
  kind: 'credentials_rejected' | 'dropped' | 'resumed';
  exportId: string;
  exportName: string;
  contactEmail: string;
  feed: string;
  subject: string;
  text: string;
}

export interface Notifier {
  notify(notice: Notice): Promise<void>;
  close(): Promise<void>;
}

export function createNotifier(opts: { smtpUrl: string | null; from: string; logger: Logger }): Notifier {
  if (opts.smtpUrl === null) {
    return {
      async notify(notice) {
        opts.logger.warn(
          { exportId: notice.exportId, feed: notice.feed, notice: notice.kind, contact: notice.contactEmail },
          `${notice.subject} (no SMTP settings: set CURRENTS_SMTP_URL to mail the contact)`,
        );
      },
      async close() {},
    };
  }
  const smtpUrl = opts.smtpUrl;
  let transport: Promise<Transporter> | null = null;
  const open = () => (transport ??= import('nodemailer').then((m) => m.default.createTransport(smtpUrl)));
  return {
    async notify(notice) {
      try {
        const transporter = await open();
        await transporter.sendMail({
          from: opts.from,
          to: notice.contactEmail,
          subject: notice.subject,
          text: notice.text,
        });
        opts.logger.info({ exportId: notice.exportId, feed: notice.feed, notice: notice.kind }, 'contact notified');
      } catch (e) {
        opts.logger.error(
          { err: toError(e), exportId: notice.exportId, feed: notice.feed },
          `could not mail the contact: ${notice.subject}`,
        );
      }
    },
    async close() {
      if (transport !== null) (await transport).close();
    },
  };
}
