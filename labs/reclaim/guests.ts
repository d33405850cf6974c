/*
 * Lab `reclaim`: the three guests the grader squeezes, as x86-64 assembly made from the seed's
 * parameters. Each one is a memory-access pattern with a known best policy, and each ends by
 * printing a sum of every word it read, so a page that came back from swap stale or as zeros
 * changes the console:
 *
 *   hotscan  every round reads one word of each of HOT pages (written in round 0), then reads and
 *            rewrites one word of each of the next CHUNK pages of a SCAN-page stream that wraps
 *            round. A policy that uses Accessed keeps the hot set and lets the stream go; fifo
 *            throws hot pages out with the stream and takes them back as major faults.
 *   skewed   STEPS steps of a 64-bit LCG; three steps in four touch one of the first HOT pages,
 *            the fourth any of PAGES pages; one touch in four is a write (of the state). No
 *            single order of arrival predicts it; the Accessed bits do.
 *   loop     ROUNDS passes over PAGES pages in order, reading and rewriting one word of each: a
 *            loop just too big for memory, where clock and fifo alike miss every page.
 *
 *   memory   code and data at 1 MiB (one page), the stack page below it, buffers from 2 MiB
 *   console  "<name> sum 0x<16 hex digits>\n" on port 0xE9, then hlt (exit status 0)
 *
 * `touched` is every page a guest uses (code, stack, buffers): the grader sizes host memory for
 * 2x and 4x overcommit from it.
 */
import { rngFor } from '../framework/seeded-rng.js';

export const GUEST_MEM = 8 * 1024 * 1024;
const BUF = 0x20_0000;

export type GuestName = 'hotscan' | 'skewed' | 'loop';
export const GUEST_NAMES: readonly GuestName[] = ['hotscan', 'skewed', 'loop'];

export interface GuestParams {
  readonly hotscan: {
    readonly hot: number;
    readonly scan: number;
    readonly chunk: number;
    readonly rounds: number;
  };
  readonly skewed: {
    readonly hot: number;
    readonly pages: number;
    readonly steps: number;
    readonly seed: number;
  };
  readonly loop: { readonly pages: number; readonly rounds: number };
}

export interface GuestSource {
  readonly name: GuestName;
  readonly source: string;
  /** Pages the guest touches (code, stack, buffers). */
  readonly touched: number;
}

const head = (name: GuestName, equs: Record<string, number>): string =>
  [
    '; arch: x86_64',
    `; lab reclaim: the ${name} guest (labs/reclaim/guests.ts)`,
    ...Object.entries(equs).map(([k, v]) => `.equ ${k}, ${v}`),
    `.equ BUF, ${BUF}`,
    'start:',
    '        lea     rsp, [rip + start]',
    '        xor     r10d, r10d              ; r10 = the sum of every word read',
  ].join('\n');

/* Print "<name> sum 0x<r10 as 16 hex digits>\n" and halt. */
const tail = (name: GuestName): string => `
        lea     rsi, [rip + msg]
print:  lodsb
        test    al, al
        jz      digits_out
        out     0xe9, al
        jmp     print
digits_out:
        mov     ecx, 16                 ; 16 nibbles, the top one first: rotate it to the bottom
nibble: rol     r10, 4
        mov     eax, r10d
        and     eax, 15
        add     al, 0x30                ; '0' + n
        cmp     al, 0x3a
        jb      emit
        add     al, 0x27                ; past '9': 'a' + n - 10
emit:   out     0xe9, al
        loop    nibble
        mov     al, 10
        out     0xe9, al
        hlt
msg:    .asciz  "${name} sum 0x"
`;

function hotscan(p: GuestParams['hotscan']): GuestSource {
  const body = `
        mov     rdi, BUF                ; round 0: write the hot pages
        mov     ecx, HOT
init:   mov     qword ptr [rdi], rdi
        add     rdi, 4096
        dec     ecx
        jnz     init
        xor     r8d, r8d                ; r8 = round
        xor     r9d, r9d                ; r9 = next stream page
round:  mov     rdi, BUF
        mov     ecx, HOT
hot:    add     r10, qword ptr [rdi]
        add     rdi, 4096
        dec     ecx
        jnz     hot
        mov     ecx, CHUNK
scan:   mov     rax, r9
        add     rax, HOT
        shl     rax, 12
        add     rax, BUF
        add     r10, qword ptr [rax]
        lea     rdx, [r8 + r9 + 1]
        mov     qword ptr [rax], rdx
        inc     r9
        cmp     r9, SCAN
        jb      next
        xor     r9d, r9d
next:   dec     ecx
        jnz     scan
        inc     r8
        cmp     r8, ROUNDS
        jb      round`;
  const equs = { HOT: p.hot, SCAN: p.scan, CHUNK: p.chunk, ROUNDS: p.rounds };
  return {
    name: 'hotscan',
    source: head('hotscan', equs) + body + tail('hotscan'),
    touched: 2 + p.hot + p.scan,
  };
}

function skewed(p: GuestParams['skewed']): GuestSource {
  const body = `
        movabs  r8, SEED                ; r8 = the LCG state
        movabs  r11, 6364136223846793005
        mov     r9d, STEPS
step:   imul    r8, r11
        movabs  rax, 1442695040888963407
        add     r8, rax
        mov     rax, r8
        shr     rax, 33
        xor     edx, edx
        mov     rcx, r8
        shr     rcx, 13
        and     ecx, 3
        mov     ebx, HOT
        jnz     pick                    ; three steps in four: a hot page
        mov     ebx, PAGES              ; the fourth: any page
pick:   div     rbx                     ; rdx = page
        shl     rdx, 12
        add     rdx, BUF
        add     r10, qword ptr [rdx]
        mov     rcx, r8
        shr     rcx, 40
        test    ecx, 3
        jnz     done                    ; three touches in four only read
        mov     qword ptr [rdx], r8     ; the state: no two writes alike
done:   dec     r9d
        jnz     step`;
  const equs = { HOT: p.hot, PAGES: p.pages, STEPS: p.steps, SEED: p.seed };
  return { name: 'skewed', source: head('skewed', equs) + body + tail('skewed'), touched: 2 + p.pages };
}

function loop(p: GuestParams['loop']): GuestSource {
  const body = `
        xor     r8d, r8d                ; r8 = round
round:  mov     rdi, BUF
        mov     ecx, PAGES
page:   add     r10, qword ptr [rdi]
        lea     rax, [r8 + rcx]
        mov     qword ptr [rdi], rax
        add     rdi, 4096
        dec     ecx
        jnz     page
        inc     r8
        cmp     r8, ROUNDS
        jb      round`;
  const equs = { PAGES: p.pages, ROUNDS: p.rounds };
  return { name: 'loop', source: head('loop', equs) + body + tail('loop'), touched: 2 + p.pages };
}

export function guestSource(name: GuestName, p: GuestParams): GuestSource {
  if (name === 'hotscan') return hotscan(p.hotscan);
  return name === 'skewed' ? skewed(p.skewed) : loop(p.loop);
}

/*
 * The seed's sizes. The ranges keep every guest's point: the stream is five to six times the hot
 * set, so that fifo, which loses each hot page once per cycle through the frames, takes more
 * major faults than clock, and more than the share allowed at one squeeze at least; the hot sets
 * fit at 4x with room to spare; the loop is more than twice the frames at 2x. Every guest touches
 * over 100 pages, so that at 4x reclaim still has more than the frames it keeps at least
 * (minGuestFrames). All buffers stay below GUEST_MEM (test/labs/reclaim checks these).
 */
export function reclaimParams(seed: number): GuestParams {
  const r = rngFor(seed, 'reclaim/guests');
  const hot = r.range(20, 32);
  return {
    hotscan: { hot, scan: hot * 5 + r.int(hot), chunk: 8, rounds: r.range(64, 96) },
    skewed: { hot: r.range(24, 40), pages: r.range(160, 240), steps: 3000, seed: r.range(1, 2 ** 31) },
    loop: { pages: r.range(110, 140), rounds: 6 },
  };
}

export function paramsText(p: GuestParams): string {
  const h = p.hotscan;
  const s = p.skewed;
  return [
    'The grader squeezes these guests (the sizes come from your seed):',
    '',
    '| guest | pattern | pages touched |',
    '| --- | --- | --- |',
    `| \`hotscan\` | ${h.hot} hot pages read every round, and a stream of ${h.scan} pages written ${h.chunk} a round, ${h.rounds} rounds | ${2 + h.hot + h.scan} |`,
    `| \`skewed\` | ${s.steps} random touches, three in four on the first ${s.hot} of ${s.pages} pages, one in four a write | ${2 + s.pages} |`,
    `| \`loop\` | ${p.loop.rounds} passes over ${p.loop.pages} pages in order, each page read and written | ${2 + p.loop.pages} |`,
    '',
    '"Pages touched" counts the code page and the stack page too. At 2x the host has frames for half',
    'of them (rounded up), at 4x for a quarter.',
  ].join('\n');
}
