import { crc32 } from 'node:zlib';

/**
 * Snappy decompression for Avro blocks written with the `snappy` codec, so such files import without a native
 * dependency. Avro frames each block as raw snappy data followed by the big-endian CRC-32 of the uncompressed bytes.
 * Format: a varint with the uncompressed length, then elements whose tag's low two bits say literal (0) or copy
 * with a 1, 2 or 4 byte offset (1, 2, 3).
 */

export class SnappyError extends Error {
  override readonly name = 'SnappyError';
}

/** Decompress raw snappy data (no framing). Throws SnappyError on malformed input. */
export function snappyUncompress(input: Buffer): Buffer {
  let length = 0;
  let shift = 1;
  let pos = 0;
  for (;;) {
    if (pos >= input.length || pos >= 5) throw new SnappyError('the uncompressed length is cut short or too long');
    const byte = input[pos++]!;
    length += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) break;
    shift *= 128;
  }
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  while (pos < input.length) {
    const tag = input[pos++]!;
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >> 2;
      if (len >= 60) {
        const bytes = len - 59;
        if (pos + bytes > input.length) throw new SnappyError('a literal length is cut short');
        len = input.readUIntLE(pos, bytes);
        pos += bytes;
      }
      len += 1;
      if (pos + len > input.length || at + len > length) throw new SnappyError('a literal runs past the data');
      input.copy(out, at, pos, pos + len);
      pos += len;
      at += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 > input.length) throw new SnappyError('a copy is cut short');
      len = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | input[pos]!;
      pos += 1;
    } else {
      const bytes = kind === 2 ? 2 : 4;
      if (pos + bytes > input.length) throw new SnappyError('a copy is cut short');
      len = 1 + (tag >> 2);
      offset = input.readUIntLE(pos, bytes);
      pos += bytes;
    }
    if (offset === 0 || offset > at || at + len > length) throw new SnappyError('a copy points outside the data');
    // Copies may overlap their own output (a run), so copy byte by byte.
    for (let i = 0; i < len; i++, at++) out[at] = out[at - offset]!;
  }
  if (at !== length) throw new SnappyError(`the data holds ${at} bytes, its header says ${length}`);
  return out;
}

/** An Avro snappy block: snappy data plus a 4-byte big-endian CRC-32 of the result, which is checked. */
export function avroSnappyBlock(block: Buffer): Buffer {
  if (block.length < 4) throw new SnappyError('the block is shorter than its checksum');
  const out = snappyUncompress(block.subarray(0, block.length - 4));
  const expected = block.readUInt32BE(block.length - 4);
  if (crc32(out) >>> 0 !== expected) throw new SnappyError('the checksum does not match the uncompressed data');
  return out;
}
