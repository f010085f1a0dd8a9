import { SMTPServer } from 'smtp-server';

/** An SMTP server on a free loopback port that keeps every mail it is given, for tests of the contact's notices. */

export interface Mail {
  to: string;
  subject: string;
  body: string;
}

export interface MailCatcher {
  /** `smtp://127.0.0.1:<port>`, for CURRENTS_SMTP_URL. */
  url: string;
  mails: Mail[];
  close(): Promise<void>;
}

export async function startMailCatcher(): Promise<MailCatcher> {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        mails.push({
          to: session.envelope.rcptTo.map((r) => r.address).join(','),
          // Long headers are folded over several lines: unfold before reading the subject.
          subject: /^Subject: (.*)$/im.exec(raw.replace(/\r?\n[ \t]+/g, ' '))?.[1] ?? '',
          body: raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
