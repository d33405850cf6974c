// The remote protocol's framing: fast-check round trips (escapes, run-length encoding, any
// chunking) and bad input, which must become frames the server can answer, never exceptions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksum,
  encodePacket,
  escapeBinary,
  fromHex,
  MAX_PACKET,
  PacketDecoder,
  runLengthEncode,
  toBytes,
  toHex,
  unescapeBody,
  type Frame,
} from '../../../cli/gdb/packet-codec.js';

/* Byte strings (one char per byte), rich in the four special bytes. */
const byteString = fc
  .array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x23, 0x24, 0x7d, 0x2a, 0x61)), {
    maxLength: 300,
  })
  .map((a) => String.fromCharCode(...a));

/* Feed `bytes` in the chunks that `cuts` (sorted offsets) make. */
function feedChunked(bytes: Buffer, cuts: number[]): Frame[] {
  const d = new PacketDecoder();
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Frame[] = [];
  let at = 0;
  for (const p of [...points, bytes.length]) {
    out.push(...d.feed(bytes.subarray(at, p)));
    at = p;
  }
  return out;
}

describe('packet codec', () => {
  it('decodes what it encodes, for any bytes and any chunking', () => {
    fc.assert(
      fc.property(byteString, fc.array(fc.nat(), { maxLength: 6 }), (payload, cuts) => {
        const frames = feedChunked(toBytes(encodePacket(payload)), cuts);
        expect(frames).toEqual([{ kind: 'packet', payload }]);
      }),
    );
  });

  it('never puts a raw special byte in an encoded body', () => {
    fc.assert(
      fc.property(byteString, (payload) => {
        const body = escapeBinary(payload);
        for (let i = 0; i < body.length; i++) {
          if (body[i] === '}')
            i++; // the escaped byte that follows may be anything
          else expect('$#*'.includes(body[i])).toBe(false);
        }
      }),
    );
  });

  it('undoes a client run-length encoding', () => {
    fc.assert(
      fc.property(byteString, (payload) => {
        const body = runLengthEncode(escapeBinary(payload));
        expect(unescapeBody(body)).toBe(payload);
        const frames = new PacketDecoder().feed(
          toBytes(`$${body}#${checksum(body).toString(16).padStart(2, '0')}`),
        );
        expect(frames).toEqual([{ kind: 'packet', payload }]);
      }),
    );
  });

  it('reads the checksum of the body as sent: a known packet', () => {
    expect(encodePacket('OK')).toBe('$OK#9a');
    expect(encodePacket('a#b')).toBe('$a}\x03b#' + checksum('a}\x03b').toString(16).padStart(2, '0'));
    // '0' then '*' and '"' (34 - 29 = 5 more): six zeros
    const rle = '0*"';
    const sum = checksum(rle).toString(16).padStart(2, '0');
    expect(new PacketDecoder().feed(toBytes(`$${rle}#${sum}`))).toEqual([
      { kind: 'packet', payload: '000000' },
    ]);
  });

  it('tells acks, nacks and Ctrl-C apart from packets, and drops noise between packets', () => {
    const frames = new PacketDecoder().feed(toBytes('+-\x03xyz$g#67+'));
    expect(frames.map((f) => f.kind)).toEqual(['ack', 'nack', 'interrupt', 'packet', 'ack']);
  });

  it('answers a bad checksum, a malformed body, an interrupted and an over-long packet with a bad frame', () => {
    const d = new PacketDecoder();
    expect(d.feed(toBytes('$g#00'))).toEqual([{ kind: 'bad', why: 'checksum mismatch' }]);
    expect(d.feed(toBytes('$g#zz'))).toEqual([{ kind: 'bad', why: 'checksum mismatch' }]);
    const trailing = '}';
    expect(d.feed(toBytes(`$${trailing}#${checksum(trailing).toString(16)}`))[0].kind).toBe('bad');
    expect(d.feed(toBytes('$*!#4b'))[0].kind).toBe('bad'); // a repeat before any byte
    expect(d.feed(toBytes('$abc$g#67'))).toEqual([
      { kind: 'bad', why: 'packet interrupted by a new one' },
      { kind: 'packet', payload: 'g' },
    ]);
    const long = 'm'.repeat(MAX_PACKET * 2 + 10);
    expect(d.feed(toBytes(`$${long}#00`))).toEqual([
      { kind: 'bad', why: `packet longer than ${MAX_PACKET} bytes` },
    ]);
    // and the decoder still works afterwards
    expect(d.feed(toBytes('$?#3f'))).toEqual([{ kind: 'packet', payload: '?' }]);
  });

  it('never throws, whatever bytes arrive', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const frames = new PacketDecoder().feed(bytes);
        for (const f of frames) expect(['packet', 'bad', 'ack', 'nack', 'interrupt']).toContain(f.kind);
      }),
    );
  });

  it('hex round trip, and refuses odd or non-hex text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(fromHex(toHex(b))).toEqual(b);
      }),
    );
    expect(fromHex('abc')).toBeNull();
    expect(fromHex('zz')).toBeNull();
  });
});
