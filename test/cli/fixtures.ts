import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avsc, { type Schema } from 'avsc';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { QuarantineRecord } from '../../src/types.js';
import { avroRecordOf, avroSchemaOf, sampleEvent } from '../catalog/samples.js';
import { allRows } from '../helpers/app.js';

/**
 * A folder of Currents files as a user would have them: Avro storage files (null and deflate codecs) in Braze's
 * layout, an NDJSON file with one bad line, and an Avro file cut short mid-block.
 */

export const PARTITIONS = 16;

/** Braze's storage layout for one Avro file. */
export function storagePath(root: string, type: string, name: string): string {
  return join(
    root,
    'currents',
    'dataexport.prod-01.S3.integration.65f0c0ffee',
    `event_type=${type}`,
    'date=2026-01-15-10',
    '412',
    'eu-west-1',
    `${name}+0+0000000000.avro`,
  );
}

async function writeAvro(path: string, type: string, ids: string[], codec: 'null' | 'deflate'): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const records = ids.map((id) => avroRecordOf(type, { id }));
  // Small blocks, so a cut file still holds whole blocks before the cut.
  const encoder = new avsc.streams.BlockEncoder(avroSchemaOf(type) as Schema, { codec, blockSize: 2048 });
  await pipeline(Readable.from(records), encoder, createWriteStream(path));
}

export interface ImportFolder {
  root: string;
  /** Ids of the events in the readable files (every one of them must be stored). */
  intact: string[];
  truncated: { path: string; ids: string[]; blockAt: number };
  ndjson: { path: string; badLine: string; badOffset: number };
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

export async function writeImportFolder(root: string): Promise<ImportFolder> {
  const email = 'users.messages.email.Send';
  const push = 'users.messages.pushnotification.Open';
  const plain = ids('avro-null', 40);
  const deflated = ids('avro-deflate', 60);
  await writeAvro(storagePath(root, email, 'plain'), email, plain, 'null');
  await writeAvro(storagePath(root, push, 'deflated'), push, deflated, 'deflate');

  const lines = ids('ndjson', 4).map((id) => JSON.stringify(sampleEvent(email, { id })));
  const badLine = '{"event_type": "users.messages.email.Send", "id": "ndjson-bad", "time": 1764300000,';
  const text = [lines[0], lines[1], badLine, lines[2], lines[3]].join('\n') + '\n';
  const ndjsonPath = join(root, 'exports', 'manual.ndjson');
  await mkdir(dirname(ndjsonPath), { recursive: true });
  await writeFile(ndjsonPath, text);
  const badOffset = Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`);

  // Cut the file inside its last block: the block starts right after the previous sync marker (the file's last
  // 16 bytes are the marker that ends every block).
  const cutIds = ids('avro-cut', 50);
  const cutPath = storagePath(root, email, 'cut');
  await writeAvro(cutPath, email, cutIds, 'null');
  const full = await readFile(cutPath);
  const sync = full.subarray(full.length - 16);
  const lastBlockAt = full.subarray(0, full.length - 16).lastIndexOf(sync) + 16;
  await writeFile(cutPath, full.subarray(0, lastBlockAt + Math.floor((full.length - lastBlockAt) / 2)));

  return {
    root,
    intact: [...plain, ...deflated, ...ids('ndjson', 4)],
    truncated: { path: cutPath, ids: cutIds, blockAt: lastBlockAt },
    ndjson: { path: ndjsonPath, badLine, badOffset },
  };
}

/** What a data folder's store holds, read after the CLI has exited. */
export async function readStore(data: string): Promise<{ ids: string[]; quarantine: QuarantineRecord[] }> {
  const store = await openSqliteStore({ path: join(data, 'currents.db') });
  try {
    return {
      ids: (await allRows(store, PARTITIONS)).map((r) => r.eventId),
      quarantine: await store.listQuarantine({ limit: 1000 }),
    };
  } finally {
    await store.close();
  }
}

/** An operator's fix of a quarantined record's text, made in the database file (the port has no such call). */
export function rewriteQuarantined(data: string, id: number, raw: string): void {
  const db = new Database(join(data, 'currents.db'));
  try {
    db.prepare('UPDATE quarantine SET raw = ? WHERE id = ?').run(raw, id);
  } finally {
    db.close();
  }
}
