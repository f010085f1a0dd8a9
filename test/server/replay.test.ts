import { afterEach, describe, expect, it } from 'vitest';
import { pgUnavailable } from '../store/postgres-helper.js';
import { newPlace, startTestService, type StoreKind, type TestService } from '../helpers/service.js';

/**
 * POST /v1/exports/:id/replay on the running service (real HTTP, the store the settings pick): every replay asked
 * for gets a generation of its own, however many arrive at once.
 */

let current: TestService | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function withExport(kind: StoreKind): Promise<{ s: TestService; id: string }> {
  const s = (current = await startTestService(await newPlace(kind)));
  const created = await s.api<{ id: string }>('POST', '/v1/exports', {
    name: 'replays',
    contact_email: 'ops@example.com',
    // Nothing listens there; with an empty log nothing is sent anyway.
    destination: { base_url: 'http://127.0.0.1:9' },
    feeds: { unbound: { key: 'replay-key', secret: 'replay-secret' } },
    events: ['users.messages.email.Send'],
  });
  expect(created.status).toBe(201);
  return { s, id: created.body.id };
}

const replay = (s: TestService, id: string) =>
  s.api<{ generation: number; code?: string }>('POST', `/v1/exports/${id}/replay`, { from: '2024-01-01T00:00:00Z' });

describe.each([
  ['sqlite', null],
  ['postgres', pgUnavailable],
] as const)('POST /v1/exports/:id/replay on %s', (kind, unavailable) => {
  it.skipIf(unavailable !== null)(
    'gives ten concurrent replays ten distinct generations, all 202 and all listed',
    async () => {
      const { s, id } = await withExport(kind);
      const answers = await Promise.all(Array.from({ length: 10 }, () => replay(s, id)));
      expect(answers.map((a) => `${a.status} ${a.status === 202 ? '' : JSON.stringify(a.body)}`)).toEqual(
        Array.from({ length: 10 }, () => '202 '),
      );
      const generations = answers.map((a) => a.body.generation).sort((a, b) => a - b);
      expect(generations).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

      const status = await s.api<{ replays: { generation: number; from: string }[] }>(
        'GET',
        `/v1/exports/${id}/status`,
      );
      expect(status.body.replays.map((r) => r.generation)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      for (const r of status.body.replays) expect(r.from).toBe('2024-01-01T00:00:00.000Z');
    },
  );

  it.skipIf(unavailable !== null)(
    'continues after the highest generation, and answers 404 for an unknown export',
    async () => {
      const { s, id } = await withExport(kind);
      expect((await replay(s, id)).body).toMatchObject({ generation: 1 });
      expect((await replay(s, id)).body).toMatchObject({ generation: 2 });
      const missing = await replay(s, 'no-such-export');
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ code: 'not_found' });
    },
  );
});
