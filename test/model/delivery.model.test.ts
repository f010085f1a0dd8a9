import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { PatchExportBody } from '../../src/server/exports/schemas.js';
import { CALM, type Weather } from './fake-mparticle.js';
import { checkInvariants } from './invariants.js';
import { KEYS, SOURCES, TYPES, World } from './world.js';

/**
 * The delivery loop against a model (see README "How the promise is tested"): random sequences of pushes, pauses,
 * resumes, every kind of export edit, crashes and clean stops of processes, a second process taking over (leases),
 * mParticle answering every class of answer (per request, by the weather of the moment; 403 per key; 400 per
 * user), Retry-After, clock jumps past the hold window, replays and dead-letter retries, on a fake clock, a fake
 * mParticle and the real SQLite store. After each sequence the world settles and invariants.ts checks it.
 *
 * MODEL_RUNS sets the number of sequences (default below); MODEL_SEED, MODEL_PATH and MODEL_REPLAY replay a failure
 * that fast-check printed (its seed, its path, and the counterexample's replayPath):
 *   MODEL_SEED=<seed> MODEL_PATH=<path> MODEL_REPLAY=<replayPath> npx vitest run test/model
 */
type Real = World;
type Model = Record<string, never>;
type Cmd = fc.AsyncCommand<Model, Real>;

const USERS = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
const SLOTS = ['ios', 'android', 'web', 'unbound'] as const;

function cmd(name: string, run: (w: World) => Promise<void>): Cmd {
  return {
    check: () => true,
    run: async (_m, w) => {
      await run(w);
      await w.clock.settle();
    },
    toString: () => name,
  };
}

const push = fc
  .array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      user: fc.option(fc.constantFrom(...USERS), { freq: 8, nil: null }),
      platform: fc.constantFrom(null, 'ios', 'android', 'web'),
      source: fc.constantFrom(...SOURCES),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((specs) => cmd(`push(${specs.length})`, (w) => w.push(specs)));

const advance = fc
  .constantFrom(10, 100, 500, 2_000, 5_000, 30_000, 120_000)
  .map((ms) => cmd(`advance(${ms})`, (w) => w.clock.advance(ms)));

const pastHoldWindow = fc.constant(cmd('advance(past the hold window)', (w) => w.clock.advance(61 * 60_000)));

const pause = fc.constant(cmd('pause', (w) => w.setState('paused')));
const resume = fc.constant(cmd('resume', (w) => w.setState('active')));

const edit: fc.Arbitrary<Cmd> = fc.oneof(
  fc.boolean().map((merge) => patchCmd(`merge=${merge}`, { merge_batches: merge })),
  fc.constantFrom('customer_id', 'other').map((identity) => patchCmd(`identity=${identity}`, { identity })),
  fc.constantFrom('production', 'development').map((environment) => patchCmd(`env=${environment}`, { environment })),
  fc
    .boolean()
    .map((named) => patchCmd(`names=${named}`, { event_names: named ? { [TYPES[0]]: 'Email went out' } : {} })),
  fc.constantFrom(0, 20).map((rate) => patchCmd(`rate=${rate}`, { rate_limit: rate })),
  fc
    .constantFrom<(string[] | null)[]>(null, ['default'], ['brand-b'], ['brand-b', 'default'])
    .map((sources) => patchCmd(`sources=${sources?.join('+') ?? 'all'}`, { sources })),
  fc.constantFrom(1, 2).map((hours) => patchCmd(`hold=${hours}h`, { hold_window_hours: hours })),
  fc
    .constantFrom<PatchExportBody['transformations'][]>(
      [],
      [{ field: 'email_address', action: 'hash' }],
      [{ field: 'external_user_id', action: 'hash' }],
      [
        { field: 'campaign_name', action: 'remove' },
        { field: 'email_address', action: 'remove' },
      ],
    )
    .map((list) =>
      patchCmd(`transformations=${list!.map((t) => `${t.action}(${t.field})`).join('+') || 'none'}`, {
        transformations: list,
      }),
    ),
  fc
    .subarray([...TYPES], { minLength: 1 })
    .map((events) => patchCmd(`types=${events.map((t) => t.split('.').pop()).join('+')}`, { events })),
  fc.tuple(fc.constantFrom(...SLOTS), fc.option(fc.constantFrom(...KEYS), { freq: 3, nil: null })).map(([slot, key]) =>
    cmd(`feed ${slot}=${key ?? 'none'}`, async (w) => {
      const current = await w.record();
      const others = Object.keys(current.feeds).filter((s) => s !== slot);
      if (key === null && others.length === 0) return;
      await w.patch({ feeds: { [slot]: key === null ? null : { key, secret: `secret-${key}` } } });
    }),
  ),
  fc.constantFrom(...KEYS).map((key) =>
    cmd(`new secret for ${key}`, async (w) => {
      const current = await w.record();
      const slots = Object.entries(current.feeds).filter(([, c]) => c.key === key);
      if (slots.length === 0) return;
      await w.patch({ feeds: Object.fromEntries(slots.map(([s]) => [s, { secret: `secret-${key}-2` }])) });
    }),
  ),
);

function patchCmd(name: string, body: PatchExportBody): Cmd {
  return cmd(name, (w) => w.patch(body));
}

const WEATHERS: [string, Weather][] = [
  ['calm', CALM],
  [
    'stormy',
    {
      ...CALM,
      failBefore: 0.1,
      failAfter: 0.1,
      timeoutAfter: 0.05,
      network: 0.05,
      rateLimited: 0.05,
      retryAfterMs: 3_000,
      latencyMs: [5, 2_000],
    },
  ],
  ['outage', { ...CALM, failBefore: 1 }],
  ['5xx after processing', { ...CALM, failAfter: 0.7, latencyMs: [100, 3_000] }],
  ['429 Retry-After 120', { ...CALM, rateLimited: 1, retryAfterMs: 120_000 }],
  ['413 over 2 batches', { ...CALM, maxBatches: 2 }],
  ['slow', { ...CALM, latencyMs: [1_000, 2_500] }],
];
const weather = fc.constantFrom(...WEATHERS).map(([name, w]) =>
  cmd(`weather(${name})`, async (world) => {
    world.mp.weather = w;
  }),
);

const revoke = fc.constantFrom(...KEYS).map((key) => cmd(`revoke(${key})`, async (w) => void w.mp.revoked.add(key)));
const restore = fc
  .constantFrom(...KEYS)
  .map((key) => cmd(`restore(${key})`, async (w) => void w.mp.revoked.delete(key)));
const poison = fc.constantFrom(...USERS).map((u) => cmd(`poison(${u})`, async (w) => void w.mp.poison.add(u)));
const unpoison = fc.constantFrom(...USERS).map((u) => cmd(`unpoison(${u})`, async (w) => void w.mp.poison.delete(u)));

const crash = fc.nat(3).map((i) => cmd(`crash(${i})`, (w) => w.crash(i)));
const stop = fc.nat(3).map((i) => cmd(`stop(${i})`, (w) => w.stop(i)));
const start = fc.constant(
  cmd('start a process', async (w) => {
    if (w.alive.length < (w.opts.twoProcesses ? 2 : 1)) await w.start();
  }),
);

const replay = fc.tuple(fc.nat(600), fc.nat(600)).map(([a, b]) =>
  cmd(`replay(-${Math.max(a, b)}s..-${Math.min(a, b)}s)`, async (w) => {
    const now = Math.floor(w.clock.now() / 1000);
    await w.replay(now - Math.max(a, b), now - Math.min(a, b));
  }),
);
const retry = fc.constant(cmd('retry dead letters', (w) => w.retryDeadLetters()));

const commands = fc.commands(
  [
    push,
    push,
    push,
    advance,
    advance,
    advance,
    pastHoldWindow,
    pause,
    resume,
    edit,
    edit,
    weather,
    revoke,
    restore,
    poison,
    unpoison,
    crash,
    stop,
    start,
    replay,
    retry,
  ],
  {
    maxCommands: 40,
    size: 'max',
    ...(process.env.MODEL_REPLAY ? { replayPath: process.env.MODEL_REPLAY } : {}),
  },
);

const setup = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  partitions: fc.constantFrom(1, 2, 3),
  readChunk: fc.constantFrom(3, 8, 25),
  // Lanes that hold a read which is not full, for a user's events to share a batch (CURRENTS_BATCH_WAIT_MS).
  batchWaitMs: fc.constantFrom(0, 0, 150),
  // Lanes that wait their turn for one of a few chunk slots (CURRENTS_CHUNKS_IN_FLIGHT), or none.
  chunksInFlight: fc.constantFrom(0, 1, 2, 4),
  twoProcesses: fc.boolean(),
  feeds: fc.constantFrom<Partial<Record<(typeof SLOTS)[number], string>>[]>(
    { unbound: 'key-a' },
    { ios: 'key-a', unbound: 'key-b' },
    { ios: 'key-a', android: 'key-a', web: 'key-c', unbound: 'key-b' },
    { ios: 'key-a', unbound: 'key-a' },
  ),
  types: fc.subarray([...TYPES], { minLength: 1 }),
});

const RUNS = Number(process.env.MODEL_RUNS ?? 2000);

describe('the delivery loop, against its model', () => {
  it('gives every event one fate, tells it truly, and counts it once, whatever operators and mParticle do', async () => {
    await fc.assert(
      fc.asyncProperty(setup, commands, async (s, cmds) => {
        const world = new World(s.seed, s);
        await world.open({ feeds: s.feeds, types: s.types });
        try {
          const t0 = performance.now();
          await fc.asyncModelRun(() => ({ model: {} as Model, real: world }), cmds);
          const t1 = performance.now();
          await world.settle();
          const t2 = performance.now();
          await checkInvariants(world);
          const t3 = performance.now();
          if (process.env.MODEL_DEBUG)
            console.log(`ms: run ${Math.round(t1 - t0)} settle ${Math.round(t2 - t1)} check ${Math.round(t3 - t2)}`);
          if (process.env.MODEL_DEBUG) {
            console.log(
              `pushed ${world.pushed.length} received ${world.mp.receipts.length} requests ${world.mp.requests} ` +
                `crashes ${world.crashes} replays ${world.replays} notices ${world.notices.length} ` +
                `fake minutes ${Math.round((world.clock.now() - Date.UTC(2026, 10, 1)) / 60_000)} | ${cmds}`,
            );
          }
        } finally {
          await world.close();
        }
      }),
      {
        numRuns: RUNS,
        ...(process.env.MODEL_SEED ? { seed: Number(process.env.MODEL_SEED) } : {}),
        ...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}),
        verbose: 1,
        ...(process.env.MODEL_PATH ? { endOnFailure: true } : {}),
      },
    );
  }, 600_000);
});
