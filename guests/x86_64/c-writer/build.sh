#!/bin/sh
# c-writer shares c-hello's crt0.S, link.ld and console.h (../c-hello); only main.c is its own.
# Rebuild c-writer.elf for x86-64 (needs gcc for x86-64 Linux; on other hosts set CC to a
# x86_64-linux-gnu-gcc cross compiler). The committed c-writer.elf is what tests and
# `nestvm run` use; no compiler is needed for them.
#   -mgeneral-regs-only  no SSE/x87: the guest does not enable them
#   -mno-red-zone        no interrupts here, but keep the habit of kernel code
set -eu
cd "$(dirname "$0")"
CC=${CC:-gcc}
# Two builds of main.c: c-writer.elf, and c-writer-lab.elf with -DWRITER_PARAMS (its sizes, rate
# and seed in .data for the precopy lab to patch; see main.c).
build() {
  OUT=$1
  DEFS=$2
  $CC $DEFS -m64 -O2 -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -fno-pie -no-pie \
    -fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only -mno-red-zone \
    -fcf-protection=none -Wall -Wextra -Werror \
    -Wl,-T,../c-hello/link.ld -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
    -I../c-hello -o "$OUT" ../c-hello/crt0.S ../../c-writer/main.c
  echo "built $(pwd)/$OUT"
}
build c-writer.elf ""
build c-writer-lab.elf -DWRITER_PARAMS
