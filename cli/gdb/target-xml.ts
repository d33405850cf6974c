/*
 * Target descriptions: the XML gdb reads with qXfer:features:read:target.xml to learn which
 * registers the target has, how wide they are, and in which order the `g` packet carries them.
 * Built from the register maps (registers.ts), so the description and the packets cannot disagree.
 *
 *   <target version="1.0">
 *     <architecture>i386:x86-64 | aarch64</architecture>
 *     <feature name="org.gnu.gdb.i386.core"> <reg name="rax" bitsize="64" type="int64"/> ...
 *     <feature name="org.nestvm.x86.paging"> <reg name="cr3" ... group="general"/> ...
 *   </target>
 *
 * The core features carry the names gdb's own architecture code looks for; the paging features
 * are nestvm's, and gdb shows their registers as it finds them (`info registers cr3`, `$cr3`).
 * Every register is described once, with an explicit regnum equal to its place in the list.
 */
import type { Arch } from '../../emulator/arch.js';
import { GDB_REGISTERS } from './registers.js';

const ARCHITECTURE: Record<Arch, string> = { x86_64: 'i386:x86-64', arm64: 'aarch64' };

/** The whole target.xml for an architecture. */
export function targetXml(arch: Arch): string {
  const regs = GDB_REGISTERS[arch];
  const features: string[] = [];
  let open: string | null = null;
  regs.forEach((r, i) => {
    if (r.feature !== open) {
      if (open !== null) features.push('  </feature>');
      features.push(`  <feature name="${r.feature}">`);
      open = r.feature;
    }
    const group = r.feature.startsWith('org.nestvm.') ? ' group="general"' : '';
    features.push(`    <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${i}"${group}/>`);
  });
  if (open !== null) features.push('  </feature>');
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    `  <architecture>${ARCHITECTURE[arch]}</architecture>`,
    ...features,
    '</target>',
    '',
  ].join('\n');
}

/*
 * A qXfer read: `offset,length` of the document, answered 'm' + data when more follows, 'l' +
 * data at the end. Null when the annex is not one the stub has.
 */
export function readFeature(arch: Arch, annex: string, offset: number, length: number): string | null {
  if (annex !== 'target.xml') return null;
  const doc = targetXml(arch);
  const part = doc.slice(offset, offset + length);
  return (offset + length >= doc.length ? 'l' : 'm') + part;
}
