/*
 * Text helpers shared by the views: fixed-width hex, protection strings, rates, and the flag
 * decoders for rflags and nzcv. All pure and total: any input gives some string, never a throw,
 * because a view must draw whatever snapshot it is handed.
 */
import type { Arch } from '../../emulator/arch.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../mmu/prot.js';

/** 64-bit value as 16 hex digits. Numbers are assumed non-negative integers. */
export function hex64(v: bigint | number): string {
  const b = typeof v === 'bigint' ? BigInt.asUintN(64, v) : BigInt(Math.max(0, Math.trunc(v)));
  return b.toString(16).padStart(16, '0');
}

/** An address as 0x followed by at least `digits` hex digits. */
export function addr(v: number, digits = 8): string {
  return '0x' + Math.max(0, Math.trunc(v)).toString(16).padStart(digits, '0');
}

/** A short hex form (no padding), for frame numbers. */
export function shortHex(v: number | bigint): string {
  return '0x' + v.toString(16);
}

/** "rwx" with '-' for missing rights. */
export function protString(prot: number): string {
  return (prot & PROT_READ ? 'r' : '-') + (prot & PROT_WRITE ? 'w' : '-') + (prot & PROT_EXEC ? 'x' : '-');
}

/** 1234567 -> "1.23M"; plain below 10000. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  if (a < 10_000) return String(Math.round(n));
  if (a < 1e6) return (n / 1e3).toFixed(1) + 'k';
  if (a < 1e9) return (n / 1e6).toFixed(2) + 'M';
  return (n / 1e9).toFixed(2) + 'G';
}

/** Cut or pad a string to exactly `w` columns (ASCII views only). */
export function fit(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length > w ? s.slice(0, Math.max(0, w - 1)) + '~' : s.padEnd(w);
}

/** Cut a string to at most `w` columns, no padding. */
export function clip(s: string, w: number): string {
  if (w <= 0) return '';
  return s.length > w ? s.slice(0, Math.max(0, w - 1)) + '~' : s;
}

/**
 * A line broken at `sep` (a space, or two to keep "free 64"-style pairs together) into lines of at
 * most `w` columns, the ones after the first indented by `indent`. A word longer than a line is
 * split (never the case for a 16-digit hex value in a pane at least 20 columns wide). Always at
 * least one line; a line that fits is returned as it is.
 */
export function wrap(s: string, w: number, indent = '  ', sep = ' '): string[] {
  if (s.length <= w || w <= indent.length) return [clip(s, w)];
  const out: string[] = [];
  const lead = () => (out.length === 0 ? '' : indent);
  let cur = '';
  for (let word of s.split(sep)) {
    if (cur !== '' && cur.length + sep.length + word.length > w) {
      out.push(cur);
      cur = '';
    }
    if (cur !== '') {
      cur += sep + word;
      continue;
    }
    word = word.trimStart();
    while (lead().length + word.length > w) {
      const room = w - lead().length;
      out.push(lead() + word.slice(0, room));
      word = word.slice(room);
    }
    cur = lead() + word;
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

/*
 * rflags (x86-64), the bits a student meets first:
 *
 *   11 10  9  8  7  6  5  4  3  2  1  0
 *   OF DF IF TF SF ZF  0 AF  0 PF  1 CF
 */
const RFLAGS: readonly [number, string][] = [
  [0, 'CF'], [2, 'PF'], [4, 'AF'], [6, 'ZF'], [7, 'SF'], [8, 'TF'], [9, 'IF'], [10, 'DF'], [11, 'OF'],
]; // prettier-ignore

/*
 * NZCV (arm64), the condition flags in bits 31:28:
 *
 *   31 30 29 28
 *    N  Z  C  V
 */
const NZCV: readonly [number, string][] = [
  [31, 'N'], [30, 'Z'], [29, 'C'], [28, 'V'],
]; // prettier-ignore

/** Names of the set flags in rflags / nzcv, e.g. "ZF PF IF" or "N C"; "-" when none. */
export function decodeFlags(arch: Arch, value: bigint | number): string {
  const v = typeof value === 'bigint' ? value : BigInt(Math.max(0, Math.trunc(value)));
  const table = arch === 'x86_64' ? RFLAGS : NZCV;
  const set = table.filter(([bit]) => ((v >> BigInt(bit)) & 1n) === 1n).map(([, name]) => name);
  return set.length ? set.join(' ') : '-';
}

/** The flags register's name per architecture. */
export const FLAGS_REG: Record<Arch, string> = { x86_64: 'rflags', arm64: 'nzcv' };
