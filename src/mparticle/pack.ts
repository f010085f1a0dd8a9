import type { BulkPath, OutBatch, OutRequest } from './types.js';

/** mParticle's bulk endpoint takes up to 100 batches in a body under 256 KB. */
export const MAX_BATCHES_PER_REQUEST = 100;
export const MAX_REQUEST_BYTES = 256 * 1024;

/**
 * Batches -> bulk requests, keeping batch order: at most `maxBatches` batches and under `maxBytes` bytes per body.
 * Historical and live batches never share a request (they go to different endpoints); a run of one kind is closed
 * when the other kind comes, so the order of batches across requests is the order given.
 * Throws for a batch that cannot fit in a request alone: buildBatches never returns one.
 */
export function packRequests(
  batches: readonly OutBatch[],
  opts: { maxBatches?: number; maxBytes?: number } = {},
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
    // One join with the brackets inside its first and last parts gives the body as one flat string; brackets added
    // around a join would give a rope that undici's Buffer.from copies flat once more (110 KB a request).
    const parts = current.map((b) => b.json);
    parts[0] = `[${parts[0]}`;
    parts[parts.length - 1] = `${parts[parts.length - 1]}]`;
    const body = parts.join(',');
    // Each batch's text becomes a view of the body (the same characters, no copy), so a chunk in flight keeps one
    // copy of its batches' text rather than two, and the batch's own text dies young.
    let at = 1;
    for (const batch of current) {
      const end = at + batch.json.length;
      batch.json = body.slice(at, end);
      at = end + 1;
    }
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
