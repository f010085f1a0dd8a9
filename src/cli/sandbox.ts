import { InvalidArgumentError, type Command } from 'commander';
import { startSandbox } from '../sandbox/server.js';
import { toError } from '../store/errors.js';

interface SandboxFlags {
  port: number;
  host: string;
  feed: { key: string; secret: string }[];
  rateLimit: number | 'off';
  errorRate: number;
  latencyMs: number;
  storeLimit: number;
}

function wholeNumber(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}.`);
    return n;
  };
}

function feedFlag(value: string, previous: { key: string; secret: string }[]): { key: string; secret: string }[] {
  const colon = value.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError('give a feed as KEY:SECRET (the key cannot hold ":").');
  return [...previous, { key: value.slice(0, colon), secret: value.slice(colon + 1) }];
}

// Commander turns a parser's null into '': "off" stays a word until the action reads it.
function rateLimitFlag(value: string): number | 'off' {
  if (value === 'off') return 'off';
  return wholeNumber('--rate-limit', 1)(value);
}

function errorRateFlag(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('--error-rate must be between 0 and 1.');
  return n;
}

/** `currents sandbox`: a local mParticle Events API for tests, demos and benchmarks. */
export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run a local mParticle Events API: feed auth, the schema, size and rate limits, dedup, fault injection, and a read API under /sandbox/',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one)', wholeNumber('--port', 0), 7701)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--feed <key:secret>', 'a feed the sandbox accepts (repeat for several)', feedFlag, [])
    .option('--rate-limit <n|off>', 'batches per second per key before 429', rateLimitFlag, 270)
    .option('--error-rate <r>', 'fraction of requests answered 500 or 503', errorRateFlag, 0)
    .option('--latency-ms <n>', 'delay added to every Events API request', wholeNumber('--latency-ms', 0), 0)
    .option('--store-limit <n>', 'batches kept for GET /sandbox/batches', wholeNumber('--store-limit', 1), 100_000)
    .action(async (flags: SandboxFlags) => {
      let sandbox;
      try {
        sandbox = await startSandbox({
          port: flags.port,
          host: flags.host,
          feeds: flags.feed,
          rateLimit: flags.rateLimit === 'off' ? null : flags.rateLimit,
          errorRate: flags.errorRate,
          latencyMs: flags.latencyMs,
          storeLimit: flags.storeLimit,
        });
      } catch (e) {
        process.stderr.write(`currents sandbox: could not start: ${toError(e).message}\n`);
        process.exit(1);
      }
      if (flags.feed.length === 0) {
        process.stderr.write('no --feed given: add feeds with POST /sandbox/feeds {"key","secret"}\n');
      }
      process.stdout.write(`sandbox listening on ${sandbox.url}\n`);
      const stop = (): void => {
        sandbox.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`currents sandbox: shutdown failed: ${toError(e).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
