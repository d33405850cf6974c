/*
 * x86-64 console for c-hello: the debug console on I/O port 0xE9 (QEMU isa-debugcon).
 * One `out` per character; it never has to wait.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#define ARCH_NAME "x86-64"

static inline void console_putc(char c) {
  __asm__ volatile("outb %0, %1" : : "a"(c), "Nd"((unsigned short)0xe9));
}

#endif
