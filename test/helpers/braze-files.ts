import { randomUUID } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import avsc, { type Schema } from 'avsc';
import { avroRecordOf, avroSchemaOf } from '../catalog/samples.js';

/**
 * Avro files as Braze's storage Currents write them, made by the tests (never read from ../shared): one file per event
 * type and hour, under `<prefix>dataexport.<cluster>.S3.integration.<id>/event_type=<type>/date=<YYYY-MM-DD-HH>/...`.
 */

export const HOUR = 3_600_000;

export function hourText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace('T', '-');
}

/** The key of one file in Braze's layout. */
export function brazeKey(prefix: string, type: string, hour: number, name: string): string {
  return (
    `${prefix}dataexport.prod-03.S3.integration.5f1a2b3c4d/event_type=${type}/date=${hourText(hour)}/` +
    `321/us-east-1/${name}+0+0000000000.avro`
  );
}

/** `count` records of `type` with fresh ids, as Avro record values; `user` is every record's external user id. */
export function records(type: string, count: number, user?: string): Record<string, unknown>[] {
  return Array.from({ length: count }, () => {
    const r = avroRecordOf(type, { id: randomUUID(), optional: true });
    if (user !== undefined && 'external_user_id' in r) r.external_user_id = user;
    return r;
  });
}

/** An Avro object container file of these records, as bytes. */
export async function avroFile(
  type: string,
  recs: readonly object[],
  opts: { codec?: 'null' | 'deflate'; blockSize?: number } = {},
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const encoder = new avsc.streams.BlockEncoder(avroSchemaOf(type) as Schema, {
    codec: opts.codec ?? 'deflate',
    ...(opts.blockSize ? { blockSize: opts.blockSize } : {}),
  });
  await pipeline(
    Readable.from(recs),
    encoder,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

/** The ids of records. */
export const idsOf = (recs: readonly Record<string, unknown>[]): string[] => recs.map((r) => r.id as string);
