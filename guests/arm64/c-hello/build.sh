#!/bin/sh
# Rebuild c-hello.elf for arm64 (needs aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu).
# The committed c-hello.elf is what tests and `nestvm run` use; no cross compiler is needed for them.
#   -mgeneral-regs-only  no FP/SIMD: the guest does not enable them
#   -mstrict-align       the MMU is off, so all data accesses are Device memory: no unaligned access
set -eu
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
$CC -O2 -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pie -no-pie \
  -fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only -mstrict-align \
  -Wall -Wextra -Werror \
  -Wl,-T,link.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
  -I. -o c-hello.elf crt0.S ../../c-hello/main.c
echo "built $(pwd)/c-hello.elf"
