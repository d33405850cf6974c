#!/bin/sh
# Rebuild c-pages.elf (guest paging off) and c-pages-paging.elf (on) for arm64 (needs aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu).
# The committed .elf files are what tests and `nestvm run` use; no compiler is needed for them.
# The start-up code, the linker script and the console are c-hello's (../c-hello); arch.h here
# holds what c-pages adds: turning the guest's paging on, and failing. Flags as for c-hello.
set -eu
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
for paging in 0 1; do
  out=c-pages.elf
  [ "$paging" = 1 ] && out=c-pages-paging.elf
  $CC -O2 -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pie -no-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only -mstrict-align \
    -Wall -Wextra -Werror -DGUEST_PAGING=$paging \
    -Wl,-T,../c-hello/link.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
    -I. -I../c-hello -o "$out" ../c-hello/crt0.S ../../c-pages/main.c
  echo "built $(pwd)/$out"
done
