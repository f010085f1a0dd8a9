import { placeIn } from './batches.js';
import type { BulkPath, OutBatch, OutRequest } from './types.js';

/** mParticle's bulk endpoint takes up to 100 batches in a body under 256 KB. */
export const MAX_BATCHES_PER_REQUEST = 100;
export const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * Batches -> bulk requests, keeping batch order: at most `maxBatches` batches and under `maxBytes` bytes per body.
 * Historical and live batches never share a request (they go to different endpoints); a run of one kind is closed
 * when the other kind comes, so the order of batches across requests is the order given.
 * Throws for a batch that cannot fit in a request alone: buildBatches never returns one. `alloc` gives the room for
 * each body (a lane's arena); by default each body is a buffer of its own.
 */
export function packRequests(
  batches: readonly OutBatch[],
  opts: { maxBatches?: number; maxBytes?: number; alloc?: (bytes: number) => Buffer } = {},
): OutRequest[] {
  const maxBatches = Math.max(1, opts.maxBatches ?? MAX_BATCHES_PER_REQUEST);
  const maxBytes = opts.maxBytes ?? MAX_REQUEST_BYTES;
  const requests: OutRequest[] = [];
  let current: OutBatch[] = [];
  let currentPath: BulkPath | null = null;
  // "[" + "]" plus a comma between batches.
  let bytes = 2;

  const close = (): void => {
    if (currentPath === null || current.length === 0) return;
    // Each batch's text is written into the body (UTF-8, off the heap) and read from there from now on: the
    // strings die young, and the chunk's bodies in flight are no work for the heap's scavenges.
    const body = opts.alloc ? opts.alloc(bytes) : Buffer.allocUnsafe(bytes);
    let at = 0;
    body[at++] = 0x5b; // [
    current.forEach((batch, i) => {
      if (i > 0) body[at++] = 0x2c; // ,
      const start = at;
      at += body.write(batch.json, at, 'utf8');
      placeIn(batch, body, start, at);
    });
    body[at++] = 0x5d; // ]
    if (at !== bytes) throw new Error(`a request body came to ${at} bytes where its batches counted ${bytes}`);
    // `bytes` counted the brackets, each batch's UTF-8 length and the commas: the body's length.
    requests.push({ path: currentPath, batches: current, body, bytes });
    current = [];
    bytes = 2;
  };

  for (const batch of batches) {
    if (batch.bytes + 2 >= maxBytes) {
      throw new RangeError(
        `a batch of ${batch.bytes} bytes cannot fit in a request under ${maxBytes} bytes; dead-letter it instead of sending it`,
      );
    }
    const path: BulkPath = batch.historical ? '/v2/bulkevents/historical' : '/v2/bulkevents';
    const grown = bytes + batch.bytes + (current.length > 0 ? 1 : 0);
    if (path !== currentPath || current.length >= maxBatches || grown >= maxBytes) {
      close();
      currentPath = path;
    }
    bytes += batch.bytes + (current.length > 0 ? 1 : 0);
    current.push(batch);
  }
  close();
  return requests;
}
