import { afterEach, describe, expect, it } from 'vitest';
import { newPlace, removePlace, startTestService, type Place, type TestService } from '../helpers/service.js';
import { pgUnavailable } from '../store/postgres-helper.js';

/**
 * Changes to one export asked for at once (an operator resumes while a script PATCHes) are all applied: none undoes
 * another (a whole-record write made from a record read before the other change), and each stored change is one the
 * delivery engine notices.
 */
describe.each([
  ['sqlite', null],
  ['postgres', pgUnavailable],
] as const)('concurrent changes of an export (%s)', (kind, unavailable) => {
  let place: Place | undefined;
  let t: TestService | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
    if (place) await removePlace(place);
  });

  it.skipIf(unavailable !== null)('applies a PATCH and a resume sent together, every time', async () => {
    place = await newPlace(kind);
    t = await startTestService(place);
    const created = await t.api<{ id: string }>('POST', '/v1/exports', {
      name: 'Round 0',
      contact_email: 'ops@example.com',
      destination: { base_url: 'http://127.0.0.1:9' },
      environment: 'development',
      feeds: { unbound: { key: 'k', secret: 's' } },
      events: ['users.messages.email.Send'],
    });
    const id = created.body.id;
    const seen = new Set<string>();
    for (let round = 1; round <= 20; round++) {
      expect((await t.api('POST', `/v1/exports/${id}/pause`)).status).toBe(200);
      const [patched, resumed] = await Promise.all([
        t.api('PATCH', `/v1/exports/${id}`, { name: `Round ${round}`, merge_batches: round % 2 === 0 }),
        t.api('POST', `/v1/exports/${id}/resume`),
      ]);
      expect([patched.status, resumed.status]).toEqual([200, 200]);
      const now = await t.api<{ name: string; state: string; merge_batches: boolean; updated_at: string }>(
        'GET',
        `/v1/exports/${id}`,
      );
      expect(now.body).toMatchObject({ name: `Round ${round}`, state: 'active', merge_batches: round % 2 === 0 });
      // Every change has an updatedAt of its own: the engine, which compares them, cannot miss one.
      expect(seen.has(now.body.updated_at)).toBe(false);
      seen.add(now.body.updated_at);
    }
  });
});
