import { eventType } from '../catalog/catalog.js';
import { SLOTS, type AppPlatform, type Slot } from '../types.js';
import type { FeedPlan } from './types.js';

/**
 * Which feed an event goes to (spec §3). An app-bound event (the log's `platform` column is ios, android or web)
 * goes to its platform's slot when that slot has credentials; every other event goes to `unbound`. Slots given the
 * same key are one feed, so an event is sent once whatever the sharing. An event routed to a slot with no
 * credentials (unbound not configured) is read by no feed: `deliveryGaps` names those for a warning.
 */

const APP_SLOTS: readonly AppPlatform[] = ['ios', 'android', 'web'];

/** Slots with the same key form one feed; feeds come in slot order (ios, android, web, unbound). */
export function planFeeds(feeds: Partial<Record<Slot, { key: string }>>): FeedPlan[] {
  const byKey = new Map<string, Slot[]>();
  for (const slot of SLOTS) {
    const key = feeds[slot]?.key;
    if (key === undefined || key === '') continue;
    byKey.set(key, [...(byKey.get(key) ?? []), slot]);
  }
  return [...byKey].map(([key, slots]) => ({ id: slots.join('+'), slots, key }));
}

/** The slot an event belongs to: its app platform when that slot is configured, else unbound. */
export function routeSlot(platform: AppPlatform | null, configured: readonly Slot[]): Slot {
  return platform !== null && configured.includes(platform) ? platform : 'unbound';
}

/**
 * The store's platform filter for one feed, consistent with routeSlot: a feed reads the app events of its own
 * slots, and, when it holds unbound, every event whose platform is null or has no configured slot. An empty
 * object means the feed reads every event.
 */
export function feedReadFilter(
  feed: FeedPlan,
  configured: readonly Slot[],
): { platformsIn?: string[]; platformsNotIn?: string[] } {
  if (feed.slots.includes('unbound')) {
    // Rows of this feed's own app slots match too: they are not in the list of slots owned by other feeds.
    const elsewhere = APP_SLOTS.filter((p) => configured.includes(p) && !feed.slots.includes(p));
    return elsewhere.length === 0 ? {} : { platformsNotIn: elsewhere };
  }
  return { platformsIn: APP_SLOTS.filter((p) => feed.slots.includes(p)) };
}

export interface DeliveryGap {
  type: string;
  /** `none`: no event of the type can be delivered; `partial`: only app events of `deliveredPlatforms` can. */
  reach: 'none' | 'partial';
  deliveredPlatforms: AppPlatform[];
  /** A sentence for the export's page. */
  warning: string;
}

/**
 * Selected types an export cannot deliver, wholly or in part, with these credentials: without an unbound feed,
 * events with no app (email, SMS, canvas flow...) and app events of platforms without a feed go nowhere.
 */
export function deliveryGaps(types: readonly string[], configured: readonly Slot[]): DeliveryGap[] {
  if (configured.includes('unbound')) return [];
  const platforms = APP_SLOTS.filter((p) => configured.includes(p));
  const gaps: DeliveryGap[] = [];
  for (const type of types) {
    const info = eventType(type);
    const appBound = info !== undefined && info.platformBinding !== 'none';
    if (!appBound || platforms.length === 0) {
      gaps.push({
        type,
        reach: 'none',
        deliveredPlatforms: [],
        warning: `${type} events are not delivered: they go to the Unbound feed, which has no key. Add Unbound credentials or unselect the type.`,
      });
      continue;
    }
    gaps.push({
      type,
      reach: 'partial',
      deliveredPlatforms: platforms,
      warning: `${type} events are delivered only from ${platforms.join(', ')} apps; events of other platforms or without an app go to the Unbound feed, which has no key. Add Unbound credentials to deliver them.`,
    });
  }
  return gaps;
}
