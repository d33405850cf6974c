/*
 * arm64 console for c-hello: the PL011 UART of QEMU's `virt` board at 0x0900_0000.
 * Wait while the transmit FIFO is full (flag register +0x18, TXFF = bit 5), then write the
 * data register. The MMU is off, so these are plain physical addresses.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#define ARCH_NAME "arm64"

#define PL011_BASE 0x09000000UL
#define PL011_DR (*(volatile unsigned int *)(PL011_BASE + 0x00))
#define PL011_FR (*(volatile unsigned int *)(PL011_BASE + 0x18))
#define PL011_FR_TXFF (1u << 5)

static inline void console_putc(char c) {
  while (PL011_FR & PL011_FR_TXFF) {
  }
  PL011_DR = (unsigned char)c;
}

#endif
