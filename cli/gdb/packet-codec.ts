/*
 * The framing of the GDB remote serial protocol: what travels on the socket between gdb and the
 * stub, byte by byte. Nothing here knows what a packet means (commands.ts does).
 *
 *   packet      '$' payload '#' c1 c2       c1 c2: two hex digits, the sum of the payload's bytes
 *                                           modulo 256 (as sent, escapes included)
 *   ack / nack  '+' / '-'                   the receiver got the packet intact / please resend;
 *                                           both ends stop sending them after QStartNoAckMode
 *   interrupt   0x03 outside a packet       Ctrl-C in gdb: stop the running guest
 *
 * Inside a payload four bytes are special. '}' escapes the next byte, which is sent XOR 0x20, so
 * '$', '#', '}' and '*' can travel as data (binary packets: X, qXfer replies). '*' starts run-length
 * encoding: the byte before it repeats (n - 29) more times, n being the byte after the '*'. A
 * client may use both; the stub decodes both, and encodes with escapes only (RLE is optional for
 * the sender).
 *
 * Payloads are byte strings held in JS strings with one char per byte (code 0..255, "latin1"), so
 * binary data and text share one type. Invariants: decode(encode(p)) === p for every byte string
 * p; the decoder never throws on any input: a bad checksum, an over-long packet or stray bytes
 * become values (a 'bad' frame, so the server answers '-'), never exceptions; memory held per
 * connection is bounded by MAX_PACKET.
 */

/** Longest payload the stub accepts (and advertises as PacketSize). */
export const MAX_PACKET = 0x4000;

/** One thing the decoder found in the byte stream. */
export type Frame =
  | { readonly kind: 'packet'; readonly payload: string }
  /** A packet whose checksum did not match, or that grew past MAX_PACKET: ask for it again. */
  | { readonly kind: 'bad'; readonly why: string }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'interrupt' };

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Sum of the bytes of a byte string, modulo 256. */
export function checksum(s: string): number {
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum = (sum + s.charCodeAt(i)) & 0xff;
  return sum;
}

/** Escape the four special bytes of a byte string. */
export function escapeBinary(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c === 0x23 || c === 0x24 || c === 0x7d || c === 0x2a ? '}' + String.fromCharCode(c ^ 0x20) : s[i];
  }
  return out;
}

/** A complete packet, `$...#cc`, for a payload (its special bytes escaped). */
export function encodePacket(payload: string): string {
  const body = escapeBinary(payload);
  return `$${body}#${hex2(checksum(body))}`;
}

/*
 * Undo escapes and run-length encoding of a received body; null when the body is malformed (an
 * escape or '*' at the very end, a repeat before any byte, or a repeat count below 3).
 */
export function unescapeBody(body: string): string | null {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '}') {
      if (i + 1 >= body.length) return null;
      out += String.fromCharCode(body.charCodeAt(++i) ^ 0x20);
    } else if (ch === '*') {
      if (i + 1 >= body.length || out.length === 0) return null;
      const n = body.charCodeAt(++i) - 29;
      if (n < 3 || n > 97) return null;
      out += out[out.length - 1].repeat(n);
    } else out += ch;
  }
  return out;
}

/** Run-length encode an escaped body as a client may (for tests: the stub itself never sends RLE). */
export function runLengthEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length;) {
    if (s[i] === '}') {
      out += s.slice(i, i + 2); // an escape pair is never the start of a run
      i += 2;
      continue;
    }
    let n = 1;
    while (i + n < s.length && s[i + n] === s[i] && n < 98) n++;
    const repeat = n - 1;
    // counts whose count byte would be '#' (6) or '$' (7), or is one of the escapes, are split off
    if (repeat >= 3 && repeat !== 6 && repeat !== 7) {
      out += s[i] + '*' + String.fromCharCode(repeat + 29);
    } else out += s.slice(i, i + n);
    i += n;
  }
  return out;
}

type State = 'idle' | 'body' | 'sum1' | 'sum2';

/** Turns the bytes of a connection into frames, across any chunking. */
export class PacketDecoder {
  private state: State = 'idle';
  private body = '';
  private sum = '';
  private overflow = false;

  /** Feed received bytes; returns the frames they completed, in order. */
  feed(chunk: Uint8Array): Frame[] {
    const out: Frame[] = [];
    for (const b of chunk) {
      const f = this.step(b);
      if (f !== null) out.push(f);
    }
    return out;
  }

  private step(b: number): Frame | null {
    const ch = String.fromCharCode(b);
    switch (this.state) {
      case 'idle':
        if (ch === '$') return this.start();
        if (ch === '+') return { kind: 'ack' };
        if (ch === '-') return { kind: 'nack' };
        if (b === 0x03) return { kind: 'interrupt' };
        return null; // noise between packets is dropped
      case 'body':
        if (ch === '#') this.state = 'sum1';
        else if (ch === '$') return this.restart();
        else if (this.body.length < MAX_PACKET * 2) this.body += ch;
        else this.overflow = true;
        return null;
      case 'sum1':
        this.sum = ch;
        this.state = 'sum2';
        return null;
      case 'sum2':
        this.state = 'idle';
        return this.finish(this.sum + ch);
    }
  }

  private start(): null {
    this.state = 'body';
    this.body = '';
    this.overflow = false;
    return null;
  }

  /* A '$' inside a packet: the sender gave up on the last one and starts again. */
  private restart(): Frame {
    this.start();
    return { kind: 'bad', why: 'packet interrupted by a new one' };
  }

  private finish(sumText: string): Frame {
    if (this.overflow) return { kind: 'bad', why: `packet longer than ${MAX_PACKET} bytes` };
    if (!/^[0-9a-fA-F]{2}$/.test(sumText) || parseInt(sumText, 16) !== checksum(this.body))
      return { kind: 'bad', why: 'checksum mismatch' };
    const payload = unescapeBody(this.body);
    if (payload === null || payload.length > MAX_PACKET)
      return { kind: 'bad', why: 'malformed escape or repeat' };
    return { kind: 'packet', payload };
  }
}

/** Bytes of a latin1 byte string, for the socket. */
export const toBytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** A byte string from hex digits ("48656c" -> "Hel"), or null when they are not an even run of hex. */
export function fromHex(h: string): Uint8Array | null {
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) return null;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, hex2).join('');
