import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avroSnappyBlock, snappyUncompress } from '../../src/ingest/snappy.js';
import { snappyCompress } from './fixtures.js';

describe('snappy', () => {
  it('decodes literals and copies built by hand from the format description', () => {
    // length 12; literal "abc" (tag (3-1)<<2); copy of 9 bytes at offset 3 with a 1-byte offset: tag 5<<2|1, 0x03.
    const oneByteOffset = Buffer.from([0x0c, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03]);
    expect(snappyUncompress(oneByteOffset).toString()).toBe('abcabcabcabc');
    // length 7; literal "xy"; copy of 5 at offset 2 with a 2-byte offset: tag (5-1)<<2|2, 0x02 0x00.
    const twoByteOffset = Buffer.from([0x07, 0x04, 0x78, 0x79, 0x12, 0x02, 0x00]);
    expect(snappyUncompress(twoByteOffset).toString()).toBe('xyxyxyx');
    // A 4-byte offset copy: tag (3-1)<<2|3, offset 1 as 4 bytes little-endian: a run of "z".
    const fourByteOffset = Buffer.from([0x04, 0x00, 0x7a, 0x0b, 0x01, 0x00, 0x00, 0x00]);
    expect(snappyUncompress(fourByteOffset).toString()).toBe('zzzz');
    // A literal whose length needs an extra byte (tag 60<<2, then length-1 = 69).
    const long = Buffer.concat([Buffer.from([70, 60 << 2, 69]), Buffer.alloc(70, 0x41)]);
    expect(snappyUncompress(long).toString()).toBe('A'.repeat(70));
  });

  it('refuses malformed data instead of returning garbage', () => {
    expect(() => snappyUncompress(Buffer.from([0x05, 0x08, 0x61]))).toThrow(/literal runs past/);
    expect(() => snappyUncompress(Buffer.from([0x04, 0x00, 0x61, 0x15, 0x05]))).toThrow(/outside the data/);
    expect(() => snappyUncompress(Buffer.from([0x05, 0x00, 0x61]))).toThrow(/holds 1 bytes, its header says 5/);
    expect(() => avroSnappyBlock(Buffer.from([0x01]))).toThrow(/shorter than its checksum/);
  });

  it('round-trips what an independent compressor writes, checking the CRC', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('alpha', 'beta', '"id":', 'x', '\u00e9'), { maxLength: 400 }), (words) => {
        const input = Buffer.from(words.join(''));
        expect(avroSnappyBlock(snappyCompress(input)).equals(input)).toBe(true);
      }),
    );
    const block = snappyCompress(Buffer.from('hello hello hello hello'));
    block[block.length - 2] ^= 0xff;
    expect(() => avroSnappyBlock(block)).toThrow(/checksum does not match/);
  });
});
