/*
 * The assembler and disassembler wrappers (Keystone and Capstone, Emscripten builds).
 * assemble() turns guest source into bytes with line-located errors; disassemble() turns guest
 * bytes into Intel-syntax (x86-64) or standard (arm64) text.
 */
export { assemble, AsmError, type AssembledProgram, type AssembleOptions } from './assemble.js';
export { disassemble, loadDisassembler, type Disassembler, type Insn } from './disassemble.js';
export { archHeader, parseArchName } from './source.js';
