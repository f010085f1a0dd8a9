/**
 * The request bodies of one lane's step, written one after another into one buffer that the lane's next step writes
 * over. A body a request at a time came from malloc (the bodies are 30–250 KB, under glibc's mmap threshold once it
 * has moved up), and a drain's worth of them left the main thread's malloc heap at ~55 MiB that it never gave back;
 * one buffer per lane, reused, holds what one step needs and nothing more.
 *
 * A step's bodies are read (sent, split, dead-lettered) only while the step runs, and a lane's steps run one after
 * another, so the next step may write over them. A step cut off while requests may still be in the air (the lane is
 * stopping) lets the buffer go instead, as does a lane with nothing to send.
 */
export class BodyArena {
  #buf: Buffer | null = null;
  #at = 0;

  constructor(private readonly firstBytes = 64 * 1024) {}

  /** Bytes held now (0 once let go). */
  get size(): number {
    return this.#buf?.length ?? 0;
  }

  /** Room for a body of `bytes`, after the bodies taken since the last `reuse`. */
  take = (bytes: number): Buffer => {
    if (this.#buf === null || this.#at + bytes > this.#buf.length) {
      // Outgrown: a larger one (the bodies already taken keep the old one alive until the step ends).
      const grown = this.#buf === null ? this.firstBytes : this.#buf.length * 2;
      this.#buf = Buffer.allocUnsafeSlow(Math.max(bytes, grown));
      this.#at = 0;
    }
    const body = this.#buf.subarray(this.#at, this.#at + bytes);
    this.#at += bytes;
    return body;
  };

  /** The bodies taken so far are done with: the next ones are written over them. */
  reuse(): void {
    this.#at = 0;
  }

  /** Let the buffer go: nothing to send for now, or a body may still be in the air. */
  release(): void {
    this.#buf = null;
    this.#at = 0;
  }
}
