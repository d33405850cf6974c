/*
 * asm2bin: assemble a guest .s file with nestvm's own assembler wrapper (Keystone) into a raw
 * binary, exactly as `nestvm run` would load it. Used by guests/capture-qemu.sh.
 *
 *   npx tsx guests/tools/asm2bin.mts <arch> <file.s> <load-address> <out.bin>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { assemble } from '../../emulator/asm/assemble.js';

const [arch, path, load, out] = process.argv.slice(2);
if ((arch !== 'x86_64' && arch !== 'arm64') || !path || !load || !out) {
  process.stderr.write('usage: asm2bin.mts <x86_64|arm64> <file.s> <load-address> <out.bin>\n');
  process.exit(2);
}
const program = await assemble(arch, readFileSync(path, 'utf8'), Number(load), { origin: path });
writeFileSync(out, program.bytes);
