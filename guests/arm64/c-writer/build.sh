#!/bin/sh
# c-writer shares c-hello's crt0.S, link.ld and console.h (../c-hello); only main.c is its own.
# Rebuild c-writer.elf for arm64 (needs aarch64-linux-gnu-gcc: apt-get install gcc-aarch64-linux-gnu).
# The committed c-writer.elf is what tests and `nestvm run` use; no cross compiler is needed for them.
#   -mgeneral-regs-only  no FP/SIMD: the guest does not enable them
#   -mstrict-align       the MMU is off, so all data accesses are Device memory: no unaligned access
set -eu
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
# Two builds of main.c: c-writer.elf, and c-writer-lab.elf with -DWRITER_PARAMS (its sizes, rate
# and seed in .data for the precopy lab to patch; see main.c).
build() {
  OUT=$1
  DEFS=$2
  $CC $DEFS -O2 -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pie -no-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only -mstrict-align \
    -Wall -Wextra -Werror \
    -Wl,-T,../c-hello/link.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
    -I../c-hello -o "$OUT" ../c-hello/crt0.S ../../c-writer/main.c
  echo "built $(pwd)/$OUT"
}
build c-writer.elf ""
build c-writer-lab.elf -DWRITER_PARAMS
