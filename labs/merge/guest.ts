/*
 * Lab `merge`: the seeded parameters and the guests the grader runs, one x86-64 source per VM.
 *
 * Every VM's guest fills a buffer of guest RAM, waits while the host's merger runs, writes at
 * random into the pages that are the same in every VM, and prints a checksum of the whole buffer:
 *
 *   BUF  ┌──────────── same ────────────┬──── own ────┬──── coll (collision scenario) ────┐
 *        │ one seeded stream: the same  │ this VM's   │ first 64 bytes from the common    │
 *        │ bytes in every VM            │ own stream  │ stream, the rest this VM's own    │
 *        └──────────────────────────────┴─────────────┴───────────────────────────────────┘
 *
 *   fill ─► settle (a spin: the merger's passes find the same pages) ─► writes (seeded per VM,
 *   to same pages, a spin between them) ─► checksum of every page ─► console ─► hlt
 *
 * A merger that works changes nothing a guest sees, so each console equals the guest's run alone.
 * One that skips the full compare after a hash match, under the 'sampled' hash that reads only the
 * first 64 bytes, merges coll pages of different VMs and a checksum changes; one that leaves write
 * on a merged page lets one VM's writes reach the others.
 *
 * The parameters are a pure function of the seed (params); the sources of a scenario too.
 */
import { rngFor } from '../framework/seeded-rng.js';

export const GUEST_MEM = 2 * 1024 * 1024;
/** Where the buffer starts: clear of the image (1 MiB) and of its stack below it. */
export const BUF = 0x12_0000;
export const MAX_INSNS = 6_000_000;

export interface MergeParams {
  /** Pages the same in every VM. */
  readonly same: number;
  /** Pages of each VM's own. */
  readonly own: number;
  /** Collision pages (the full-compare scenario only). */
  readonly coll: number;
  /** Random writes per VM into same pages. */
  readonly writes: number;
  /** 64-bit seed of the common stream, as 16 hex digits. */
  readonly pageSeed: string;
}

/** One run of the grader: how many VMs, which hash the host gives, collision pages or not. */
export interface Scenario {
  readonly vms: number;
  readonly hash: 'full' | 'sampled';
  readonly coll: boolean;
}

const SETTLE = 150_000;
const GAP = 1_500;

const hex16 = (hi: number, lo: number) =>
  (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');

export function mergeParams(seed: number): MergeParams {
  const r = rngFor(seed, 'merge/params');
  return {
    same: r.range(12, 20),
    own: r.range(3, 6),
    coll: 4,
    writes: r.range(24, 40),
    pageSeed: hex16(r.int(2 ** 32) | 1, r.int(2 ** 32) | 1),
  };
}

/* A VM's own stream seed: from the lab seed and the VM index (never zero: xorshift needs a bit). */
function vmSeed(seed: number, vm: number): string {
  const r = rngFor(seed, `merge/vm${vm}`);
  return hex16(r.int(2 ** 32) | 1, r.int(2 ** 32));
}

export const pagesOf = (p: MergeParams, s: Scenario): number => p.same + p.own + (s.coll ? p.coll : 0);

/** The source of VM `vm`'s guest in scenario `s`. */
export function guestSource(p: MergeParams, s: Scenario, seed: number, vm: number): string {
  const total = pagesOf(p, s);
  return [
    '; arch: x86_64',
    `; merge lab guest, seed ${seed}, VM ${vm} of ${s.vms}: ${p.same} same, ${p.own} own, ${s.coll ? p.coll : 0} coll pages`,
    'start:',
    '        cld',
    `        mov     edi, ${BUF}`,
    `        movabs  rax, 0x${p.pageSeed}`,
    `        mov     ecx, ${p.same * 512}`,
    ...fill('fill_same'),
    '        mov     r12, rax',
    `        movabs  rax, 0x${vmSeed(seed, vm)}`,
    `        mov     ecx, ${p.own * 512}`,
    ...fill('fill_own'),
    '        mov     r13, rax',
    `        mov     ebx, ${s.coll ? p.coll : 0}`,
    'coll_page:',
    '        test    ebx, ebx',
    '        jz      settle_start',
    '        mov     rax, r12',
    '        mov     ecx, 8',
    ...fill('fill_head'),
    '        mov     r12, rax',
    '        mov     rax, r13',
    '        mov     ecx, 504',
    ...fill('fill_tail'),
    '        mov     r13, rax',
    '        dec     ebx',
    '        jmp     coll_page',
    'settle_start:',
    `        mov     ecx, ${SETTLE}`,
    'settle:',
    '        dec     ecx',
    '        jnz     settle',
    ...randomWrites(p),
    ...checksumAndPrint(total),
    'label:  .asciz  "buffer checksum 0x"',
    'digits: .ascii  "0123456789abcdef"',
    '',
  ].join('\n');
}

/* p.writes seeded writes (the VM's own stream in r13) into same pages, a spin after each. */
function randomWrites(p: MergeParams): string[] {
  return [
    `        mov     r14d, ${p.writes}`,
    'write_one:',
    '        mov     rax, r13',
    ...next(),
    '        mov     r13, rax',
    '        shr     rax, 32',
    '        xor     edx, edx',
    `        mov     ecx, ${p.same}`,
    '        div     rcx',
    '        mov     rsi, r13',
    '        shr     rsi, 8',
    '        and     esi, 511',
    '        shl     rdx, 12',
    `        lea     rdi, [rdx + rsi * 8 + ${BUF}]`,
    '        mov     qword ptr [rdi], r13',
    `        mov     ecx, ${GAP}`,
    'gap:',
    '        dec     ecx',
    '        jnz     gap',
    '        dec     r14d',
    '        jnz     write_one',
  ];
}

function checksumAndPrint(total: number): string[] {
  return [
    `        mov     edi, ${BUF}`,
    `        mov     ecx, ${total * 512}`,
    '        xor     ebx, ebx',
    '        movabs  r8, 0x100000001b3',
    'sum:',
    '        imul    rbx, r8',
    '        xor     rbx, qword ptr [rdi]',
    '        add     rdi, 8',
    '        dec     ecx',
    '        jnz     sum',
    '        lea     rsi, [rip + label]',
    '        mov     dx, 0xe9',
    'say:',
    '        lodsb',
    '        test    al, al',
    '        jz      digits_out',
    '        out     dx, al',
    '        jmp     say',
    'digits_out:',
    '        mov     ecx, 16',
    'digit:',
    '        rol     rbx, 4',
    '        mov     eax, ebx',
    '        and     eax, 15',
    '        lea     rsi, [rip + digits]',
    '        mov     al, byte ptr [rsi + rax]',
    '        out     dx, al',
    '        dec     ecx',
    '        jnz     digit',
    '        mov     al, 10',
    '        out     dx, al',
    '        hlt',
  ];
}

/*
 * The xorshift64 stream in rax, one step (clobbers rdx), and a loop writing rcx of its words at
 * rdi. Written inline: the guest never touches its stack, so no page but the buffer changes.
 */
const next = (): string[] => [
  '        mov     rdx, rax',
  '        shl     rdx, 13',
  '        xor     rax, rdx',
  '        mov     rdx, rax',
  '        shr     rdx, 7',
  '        xor     rax, rdx',
  '        mov     rdx, rax',
  '        shl     rdx, 17',
  '        xor     rax, rdx',
];

const fill = (label: string): string[] => [
  `${label}:`,
  ...next(),
  '        mov     qword ptr [rdi], rax',
  '        add     rdi, 8',
  '        dec     ecx',
  `        jnz     ${label}`,
];

/** The handout's table of this seed's guest. */
export function paramsText(p: MergeParams): string {
  return [
    'The grader runs these guests (the same for every check; only the number of VMs and the hash change):',
    '',
    '| pages the same in every VM | pages of each VM | collision pages (full-compare) | random writes per VM |',
    '| --- | --- | --- | --- |',
    `| ${p.same} | ${p.own} | ${p.coll} | ${p.writes} |`,
  ].join('\n');
}
