import { pino, type Logger } from 'pino';

/**
 * Structured logs (JSON lines on stdout). Secrets never reach a log line: tokens and mParticle secrets are never
 * passed to the logger, and the paths below are redacted as a second line of defence.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'currents' },
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          '*.secret',
          '*.secretEnc',
          '*.token',
          'feeds.*.secret',
          'creds.secret',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}
