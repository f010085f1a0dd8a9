import type { OutRequest } from '../mparticle/index.js';
import type { SendResult } from './send.js';

/**
 * Sending a chunk's requests with up to `width` in flight. Requests are launched in order; the outcome that counts
 * is the longest run of requests, from the first, that ended (sent, or expired and dropped): that is how far the
 * chunk's `done` may move. At the first request that could not be sent (the feed was held, the lane stopped) no more
 * are launched; requests that ended after it are not counted and will be sent again, under the same
 * source_request_id, which mParticle recognises.
 */
export interface WindowResult {
  /** Requests [from, end) ended, in order. */
  end: number;
  results: (SendResult | undefined)[];
  halted: boolean;
}

export async function sendInWindow(
  count: number,
  from: number,
  width: number,
  send: (index: number) => Promise<SendResult>,
): Promise<WindowResult> {
  const results: (SendResult | undefined)[] = new Array(count);
  let next = from;
  let halted = false;
  const worker = async (): Promise<void> => {
    while (!halted && next < count) {
      const index = next++;
      const result = await send(index);
      results[index] = result;
      if (result.kind === 'held' || result.kind === 'stopped') halted = true;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, count - from)) }, worker));
  let end = from;
  while (end < count && (results[end]?.kind === 'sent' || results[end]?.kind === 'expired')) end++;
  return { end, results, halted };
}

/**
 * Whether a chunk's requests may travel side by side without breaking order per user: true when no user (the
 * batch's identities) has batches in two of them.
 */
export function independent(requests: readonly OutRequest[]): boolean {
  const seen = new Map<string, number>();
  for (let i = 0; i < requests.length; i++) {
    for (const batch of requests[i]!.batches) {
      const user = JSON.stringify(batch.batch.user_identities);
      const at = seen.get(user);
      if (at !== undefined && at !== i) return false;
      seen.set(user, i);
    }
  }
  return true;
}
