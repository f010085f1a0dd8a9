import { describe, expect, it } from 'vitest';
import { deliveryGaps, feedReadFilter, planFeeds, routeSlot } from '../../src/mparticle/feeds.js';
import type { FeedPlan } from '../../src/mparticle/types.js';
import type { AppPlatform, Slot } from '../../src/types.js';

const PLATFORMS: (AppPlatform | null)[] = ['ios', 'android', 'web', null];

/** The store's ReadQuery platform semantics: a row matches `platformsIn` or `platformsNotIn` (either, when both). */
function reads(filter: { platformsIn?: string[]; platformsNotIn?: string[] }, platform: AppPlatform | null): boolean {
  if (filter.platformsIn === undefined && filter.platformsNotIn === undefined) return true;
  const inMatch = filter.platformsIn !== undefined && platform !== null && filter.platformsIn.includes(platform);
  const notInMatch =
    filter.platformsNotIn !== undefined && (platform === null || !filter.platformsNotIn.includes(platform));
  return inMatch || notInMatch;
}

/** For every platform: which feeds read it, and which feed routeSlot sends it to. */
function readers(feeds: Partial<Record<Slot, { key: string }>>): Map<AppPlatform | null, string[]> {
  const plans = planFeeds(feeds);
  const configured = plans.flatMap((p) => p.slots);
  const result = new Map<AppPlatform | null, string[]>();
  for (const platform of PLATFORMS) {
    const readBy = plans.filter((p) => reads(feedReadFilter(p, configured), platform)).map((p) => p.id);
    const slot = routeSlot(platform, configured);
    const owner = plans.find((p) => p.slots.includes(slot));
    // The one consistency rule: read by exactly the feed routeSlot names, or by none when that slot has no feed.
    expect(readBy, `platform ${platform}`).toEqual(owner === undefined ? [] : [owner.id]);
    result.set(platform, readBy);
  }
  return result;
}

describe('feeds', () => {
  it('routes each platform to its own feed when all four are configured', () => {
    const feeds = { ios: { key: 'k1' }, android: { key: 'k2' }, web: { key: 'k3' }, unbound: { key: 'k4' } };
    expect(planFeeds(feeds).map((p) => p.id)).toEqual(['ios', 'android', 'web', 'unbound']);
    expect(Object.fromEntries(readers(feeds))).toEqual({
      ios: ['ios'],
      android: ['android'],
      web: ['web'],
      null: ['unbound'],
    });
  });

  it('sends everything to unbound when it is the only feed', () => {
    const feeds = { unbound: { key: 'k4' } };
    const [plan] = planFeeds(feeds);
    expect(feedReadFilter(plan!, ['unbound'])).toEqual({});
    expect([...readers(feeds).values()]).toEqual([['unbound'], ['unbound'], ['unbound'], ['unbound']]);
  });

  it('makes one feed of one key shared by all slots, reading every event once', () => {
    const feeds = { ios: { key: 'k' }, android: { key: 'k' }, web: { key: 'k' }, unbound: { key: 'k' } };
    const plans = planFeeds(feeds);
    expect(plans).toEqual([{ id: 'ios+android+web+unbound', slots: ['ios', 'android', 'web', 'unbound'], key: 'k' }]);
    expect([...readers(feeds).values()].every((r) => r.length === 1)).toBe(true);
  });

  it('joins ios and unbound sharing a key, leaving android its own feed', () => {
    const feeds = { ios: { key: 'shared' }, android: { key: 'k2' }, unbound: { key: 'shared' } };
    expect(planFeeds(feeds).map((p) => p.id)).toEqual(['ios+unbound', 'android']);
    expect(Object.fromEntries(readers(feeds))).toEqual({
      ios: ['ios+unbound'],
      android: ['android'],
      web: ['ios+unbound'],
      null: ['ios+unbound'],
    });
  });

  it('reads nothing for events whose slot has no feed, and warns about those types', () => {
    const feeds = { ios: { key: 'k1' } };
    expect(Object.fromEntries(readers(feeds))).toEqual({ ios: ['ios'], android: [], web: [], null: [] });
    const gaps = deliveryGaps(['users.messages.email.Send', 'users.messages.pushnotification.Open'], ['ios']);
    expect(gaps.map((g) => [g.type, g.reach, g.deliveredPlatforms])).toEqual([
      ['users.messages.email.Send', 'none', []],
      ['users.messages.pushnotification.Open', 'partial', ['ios']],
    ]);
    expect(gaps[0]?.warning).toMatch(/Add Unbound credentials/);
    expect(deliveryGaps(['users.messages.email.Send'], ['ios', 'unbound'])).toEqual([]);
  });

  it('routes app-bound events of a configured platform to it and all else to unbound', () => {
    expect(routeSlot('ios', ['ios', 'unbound'])).toBe('ios');
    expect(routeSlot('android', ['ios', 'unbound'])).toBe('unbound');
    expect(routeSlot(null, ['ios', 'android', 'web'])).toBe('unbound');
    const plan: FeedPlan = { id: 'android+web', slots: ['android', 'web'], key: 'k' };
    expect(feedReadFilter(plan, ['android', 'web', 'unbound'])).toEqual({ platformsIn: ['android', 'web'] });
  });
});
