import { describe, expect, it } from 'vitest';
import { tokenHash } from '../../src/secrets.js';
import { SourceDirectory } from '../../src/server/sources/directory.js';
import type { SourceRecord } from '../../src/types.js';

/** How often the ingest route reads the sources: a fake store counts the reads, a fake clock moves time. */

const INGEST = 'ingest-token-0123456789abcdef';
const source = (id: string, over: Partial<SourceRecord> = {}): SourceRecord => ({
  id,
  key: id.length,
  name: id,
  state: 'active',
  tokenHash: null,
  config: { kind: 'http' },
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

function setup() {
  let now = 1_000_000;
  const sources: SourceRecord[] = [source('default')];
  let reads = 0;
  const directory = new SourceDirectory(
    {
      listSources: () => {
        reads += 1;
        return Promise.resolve([...sources]);
      },
    },
    INGEST,
    { ttlMs: 2000, missIntervalMs: 1000, now: () => now },
  );
  return {
    directory,
    sources,
    reads: () => reads,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('SourceDirectory', () => {
  it('reads the sources once per ttl while pushes flow', async () => {
    const d = setup();
    for (let i = 0; i < 50; i++) {
      expect(await d.directory.resolve(`Bearer ${INGEST}`, undefined)).toMatchObject({ ok: true });
      d.advance(100);
    }
    expect(d.reads()).toBe(3);
  });

  it('reads again at most once a second for wrong tokens, however many arrive', async () => {
    const d = setup();
    for (let i = 0; i < 100; i++) {
      expect(await d.directory.resolve('Bearer wrong-token-0123456789', undefined)).toMatchObject({ status: 401 });
    }
    expect(d.reads()).toBe(2);
  });

  it('takes a token made elsewhere at its first use, and sees a pause after the ttl (or at once when told)', async () => {
    const d = setup();
    await d.directory.resolve(`Bearer ${INGEST}`, undefined);
    d.advance(1500);
    d.sources.push(source('brand-a', { tokenHash: tokenHash('own-token-0123456789abcdef') }));
    expect(await d.directory.resolve('Bearer own-token-0123456789abcdef', undefined)).toMatchObject({
      ok: true,
      source: { id: 'brand-a' },
    });
    d.sources[1] = { ...d.sources[1]!, state: 'paused' };
    expect(await d.directory.resolve('Bearer own-token-0123456789abcdef', undefined)).toMatchObject({ ok: true });
    d.directory.invalidate();
    expect(await d.directory.resolve('Bearer own-token-0123456789abcdef', undefined)).toMatchObject({ status: 503 });
  });
});
