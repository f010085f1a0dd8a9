import { open, type FileHandle } from 'node:fs/promises';

/**
 * Sequential reads from a file through a growing window, so a large Avro file is never held whole in memory and
 * every value read knows its byte offset in the file.
 */

const READ_SIZE = 1 << 20;

export class FileBytes {
  private buf: Buffer = Buffer.alloc(0);
  /** File offset of buf[0]. */
  private start = 0;
  private pos = 0;
  private eof = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileBytes> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      return new FileBytes(handle, stat.size);
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** File offset of the next byte to read. */
  get offset(): number {
    return this.start + this.pos;
  }

  private get available(): number {
    return this.buf.length - this.pos;
  }

  /** Make up to `n` bytes available; returns how many are (fewer only at the end of the file). */
  async ensure(n: number): Promise<number> {
    while (this.available < n && !this.eof) {
      const want = Math.max(n - this.available, READ_SIZE);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.handle.read(chunk, 0, want, this.start + this.buf.length);
      if (bytesRead === 0) {
        this.eof = true;
        break;
      }
      // Drop what was consumed so the window holds only unread bytes.
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, bytesRead)]);
      this.start += this.pos;
      this.pos = 0;
    }
    return Math.min(this.available, n);
  }

  /** The unread bytes currently in the window (a view, valid until the next read). */
  peek(): Buffer {
    return this.buf.subarray(this.pos);
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** Up to `n` bytes (fewer at the end of the file); the caller checks the length. */
  async take(n: number): Promise<Buffer> {
    const have = await this.ensure(n);
    const out = this.buf.subarray(this.pos, this.pos + have);
    this.pos += have;
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
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
