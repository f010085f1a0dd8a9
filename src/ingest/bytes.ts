import { open } from 'node:fs/promises';
import { InputUnavailableError } from './source.js';

/**
 * Sequential reads through a growing window, from a file or from a stream (an object downloaded from a bucket), so a
 * large Avro file is never held whole in memory and every value read knows its byte offset in the input.
 */

const READ_SIZE = 1 << 20;

/** Where bytes come from: a file, or the chunks of a download. */
export interface ByteSource {
  /** The next bytes (about `want`, or whatever chunk arrived); an empty buffer at the end. */
  read(want: number): Promise<Buffer>;
  close(): Promise<void>;
}

/**
 * The chunks of a stream. `size`: the length announced (a listing's); ending before it means the download was cut.
 * `stop`: when it aborts, the download is given up (read again later) rather than read to its end.
 */
export function streamSource(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  size: number,
  name: string,
  stop?: AbortSignal,
): ByteSource {
  const iterator = chunks[Symbol.asyncIterator]();
  let received = 0;
  return {
    async read() {
      if (stop?.aborted) throw new InputUnavailableError(`the download of ${name} was stopped at byte ${received}`);
      let next: IteratorResult<Buffer | Uint8Array>;
      try {
        next = await iterator.next();
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        throw new InputUnavailableError(`the download of ${name} failed at byte ${received} (${detail})`, {
          cause: e,
        });
      }
      if (next.done === true) {
        if (received < size) {
          throw new InputUnavailableError(
            `the download of ${name} ended at byte ${received} of ${size}: the connection was cut`,
          );
        }
        return Buffer.alloc(0);
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      received += chunk.length;
      return chunk;
    },
    async close() {
      await iterator.return?.();
    },
  };
}

/** The chunks of a source, to its end (NDJSON reads chunks). */
export async function* chunksOf(source: ByteSource): AsyncGenerator<Buffer, void, undefined> {
  try {
    for (;;) {
      const chunk = await source.read(READ_SIZE);
      if (chunk.length === 0) return;
      yield chunk;
    }
  } finally {
    await source.close();
  }
}

export class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  /** Input offset of buf[0]. */
  private start = 0;
  private pos = 0;
  private eof = false;

  constructor(private readonly source: ByteSource) {}

  static async open(path: string): Promise<Bytes> {
    const handle = await open(path, 'r');
    let position = 0;
    return new Bytes({
      async read(want) {
        const chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = await handle.read(chunk, 0, want, position);
        position += bytesRead;
        return chunk.subarray(0, bytesRead);
      },
      close: () => handle.close(),
    });
  }

  /** Input offset of the next byte to read. */
  get offset(): number {
    return this.start + this.pos;
  }

  private get available(): number {
    return this.buf.length - this.pos;
  }

  /** Make up to `n` bytes available; returns how many are (fewer only at the end of the input). */
  async ensure(n: number): Promise<number> {
    if (this.available >= n || this.eof) return Math.min(this.available, n);
    // Gathered first and joined once: a stream's small chunks are not copied again at each one.
    const pieces: Buffer[] = [this.buf.subarray(this.pos)];
    let have = this.available;
    while (have < n) {
      const chunk = await this.source.read(Math.max(n - have, READ_SIZE));
      if (chunk.length === 0) {
        this.eof = true;
        break;
      }
      pieces.push(chunk);
      have += chunk.length;
    }
    this.start += this.pos;
    this.pos = 0;
    this.buf = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, have);
    return Math.min(this.available, n);
  }

  /** The unread bytes currently in the window (a view, valid until the next read). */
  peek(): Buffer {
    return this.buf.subarray(this.pos);
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** Up to `n` bytes (fewer at the end of the input); the caller checks the length. */
  async take(n: number): Promise<Buffer> {
    const have = await this.ensure(n);
    const out = this.buf.subarray(this.pos, this.pos + have);
    this.pos += have;
    return out;
  }

  async close(): Promise<void> {
    await this.source.close();
  }
}

/**
 * An Avro `long` (zig-zag varint) at `pos`, or null when the buffer ends first. Multiplication instead of shifts,
 * because shifts in JavaScript are 32-bit.
 */
export function readVarLong(buf: Buffer, pos: number): { value: number; next: number } | null {
  let result = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const byte = buf[i]!;
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      // zig-zag: even values are positive, odd ones negative.
      const value = result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      return { value, next: i + 1 };
    }
    scale *= 128;
  }
  return null;
}
