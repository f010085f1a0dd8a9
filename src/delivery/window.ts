import type { OutRequest } from '../mparticle/index.js';
import type { SendEnd } from './send.js';

/**
 * Sending a chunk's requests with up to `width` in flight, launched in order. At the first request that could not
 * end (the feed was held, the lane stopped) no more are launched; those already under way finish. Each request's
 * batches record their own fates as they end, so the order in which requests end does not matter to what is counted.
 */
export interface WindowResult {
  /** How each request ended; undefined for those never launched. */
  ends: (SendEnd | undefined)[];
  halted: boolean;
}

export async function sendInWindow(
  count: number,
  width: number,
  send: (index: number) => Promise<SendEnd>,
): Promise<WindowResult> {
  const ends: (SendEnd | undefined)[] = new Array(count);
  let next = 0;
  let halted = false;
  const worker = async (): Promise<void> => {
    while (!halted && next < count) {
      const index = next++;
      const end = await send(index);
      ends[index] = end;
      if (end !== 'ended') halted = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, count)) }, worker));
  return { ends, halted };
}

/**
 * Whether a chunk's requests may travel side by side without breaking order per user: true when no user (the
 * batch's identities) has batches in two of them.
 */
export function independent(requests: readonly OutRequest[]): boolean {
  const seen = new Map<string, number>();
  for (let i = 0; i < requests.length; i++) {
    for (const batch of requests[i]!.batches) {
      const at = seen.get(batch.user);
      if (at !== undefined && at !== i) return false;
      seen.set(batch.user, i);
    }
  }
  return true;
}
