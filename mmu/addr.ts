/*
 * Address types.
 *
 * Three address spaces meet in nestvm, and mixing them up is the classic nested-paging bug:
 *
 *   guest-virtual  (Gva)  what a guest instruction names while guest paging is on
 *   guest-physical (Gpa)  what the guest believes is RAM; translated by the nested page table
 *   host-physical  (Hpa)  an offset into host RAM (the one ArrayBuffer) or a device aperture above it
 *
 * and each has a frame number (Gfn, Hfn = address >> 12). They are all plain JS numbers underneath
 * (48-bit spaces fit in 2^53, DESIGN §7) but carry a compile-time brand, so that passing a Gpa where
 * an Hpa is wanted is a type error. Converting between spaces is only ever done by a translation
 * (a page-table walk), never by a cast; the constructors below are for literals and decoding.
 */

declare const brand: unique symbol;
type Branded<T, B extends string> = T & { readonly [brand]: B };

export type Gva = Branded<number, 'Gva'>;
export type Gpa = Branded<number, 'Gpa'>;
export type Hpa = Branded<number, 'Hpa'>;
export type Gfn = Branded<number, 'Gfn'>;
export type Hfn = Branded<number, 'Hfn'>;

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

export const gva = (n: number): Gva => n as Gva;
export const gpa = (n: number): Gpa => n as Gpa;
export const hpa = (n: number): Hpa => n as Hpa;
export const gfn = (n: number): Gfn => n as Gfn;
export const hfn = (n: number): Hfn => n as Hfn;

/*
 * For users who hold a number or a string (labs, the CLI): a checked address of one space. The
 * number must be a non-negative safe integer; the text is decimal or 0x-prefixed hex. A value that
 * is neither throws RangeError naming it.
 */
export function parseAddress(text: string | number, what = 'address'): number {
  const t = typeof text === 'number' ? '' : text.trim();
  const n = typeof text === 'number' ? text : /^(0x[0-9a-f]+|[0-9]+)$/i.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a ${what}: ${String(text)}`);
  return n;
}
export const parseGva = (text: string | number): Gva => gva(parseAddress(text, 'guest-virtual address'));
export const parseGpa = (text: string | number): Gpa => gpa(parseAddress(text, 'guest-physical address'));
export const parseHpa = (text: string | number): Hpa => hpa(parseAddress(text, 'host-physical address'));
export const parseHfn = (text: string | number): Hfn => hfn(parseAddress(text, 'host frame number'));

/* Frame <-> address within one space. Division, not >>, because addresses exceed 2^31. */
export const gpaToGfn = (a: Gpa): Gfn => Math.floor(a / PAGE_SIZE) as Gfn;
export const gfnToGpa = (f: Gfn): Gpa => (f * PAGE_SIZE) as Gpa;
export const hpaToHfn = (a: Hpa): Hfn => Math.floor(a / PAGE_SIZE) as Hfn;
export const hfnToHpa = (f: Hfn): Hpa => (f * PAGE_SIZE) as Hpa;

export const pageOffset = (a: number): number => a % PAGE_SIZE;
export const pageAlignDown = <A extends number>(a: A): A => (a - (a % PAGE_SIZE)) as A;
export const isPageAligned = (a: number): boolean => a % PAGE_SIZE === 0;

/** Hex for display: 0x0000_4000_1000 style is left to views; this is the plain form. */
export const hex = (n: number): string => '0x' + n.toString(16);
