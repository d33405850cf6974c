#!/bin/bash
# capture-qemu.sh: how the golden console outputs in guests/expected/ were made.
#
# arm64 samples run on real QEMU (qemu-system-aarch64 -M virt -cpu cortex-a57), and what QEMU
# prints becomes guests/expected/<name>.txt; nestvm must print exactly the same bytes.
#   - C guests: the committed ELF is booted with -kernel.
#   - assembly guests: assembled by nestvm's own assembler (guests/tools/asm2bin.mts), wrapped
#     in an ELF at 0x4008_0000 with binutils (QEMU puts its DTB in the first MiB of RAM when no
#     -kernel is given, so a raw -device loader image at 0x4008_0000 would collide with it).
#   - -semihosting lets memtouch leave through SYS_EXIT; QEMU's exit status is checked against
#     guests/index.json.
#
# x86-64 samples need a 64-bit start state that QEMU's x86 boot paths do not give a bare
# binary, so they are not run on QEMU. Instead:
#   - c-hello-x86_64: the SAME main.c is built for the host with a stdout console and run; its
#     output becomes the golden file.
#   - hello/loop/memtouch-x86_64: written by hand (guests/expected/*.txt); this script checks
#     that their computed lines equal the arm64 ones QEMU printed (same algorithms, same
#     constants), so a wrong hand-written number is caught.
#
# Needs: qemu-system-arm, gcc-aarch64-linux-gnu (binutils), gcc, node with the repo's npm deps.
# Usage: bash guests/capture-qemu.sh        (from anywhere; rewrites the arm64 and C goldens)
set -euo pipefail
cd "$(dirname "$0")/.."
out=guests/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

qemu_run() { # <elf> <golden> <expected-status>   (SMP=N in the environment: -smp N)
  local status=0
  timeout 60 qemu-system-aarch64 -M virt -cpu cortex-a57 -smp "${SMP:-1}" -nographic -semihosting \
    -kernel "$1" >"$tmp/out" 2>"$tmp/err" || status=$?
  if [ -s "$tmp/err" ]; then cat "$tmp/err" >&2; fi
  cp "$tmp/out" "$2"
  echo "$2: $(wc -c <"$2") bytes, QEMU exit status $status (expected $3)"
  [ "$status" = "$3" ] || { echo "exit status mismatch for $2" >&2; exit 1; }
}

expected_status() { # <sample name>
  node -e 'const s = require("./guests/index.json").samples.find((x) => x.name === process.argv[1]); console.log(s.exitStatus)' "$1"
}

for name in hello loop memtouch smp-sum; do
  npx tsx guests/tools/asm2bin.mts arm64 "guests/arm64/$name.s" 0x40080000 "$tmp/$name.bin"
  aarch64-linux-gnu-objcopy -I binary -O elf64-littleaarch64 -B aarch64 \
    --rename-section .data=.text,alloc,load,readonly,code,contents "$tmp/$name.bin" "$tmp/$name.o"
  aarch64-linux-gnu-ld -Ttext=0x40080000 -e 0x40080000 -z max-page-size=4096 --no-warn-rwx-segments \
    "$tmp/$name.o" -o "$tmp/$name.elf"
  if [ "$name" = smp-sum ]; then # four CPUs, started by PSCI CPU_ON (index.json: "cpus": 4)
    SMP=4 qemu_run "$tmp/$name.elf" "$out/$name-arm64.txt" "$(expected_status "$name-arm64")"
  else
    qemu_run "$tmp/$name.elf" "$out/$name-arm64.txt" "$(expected_status "$name-arm64")"
  fi
done
qemu_run guests/arm64/c-hello/c-hello.elf "$out/c-hello-arm64.txt" "$(expected_status c-hello-arm64)"
for name in c-pages c-pages-paging; do
  qemu_run "guests/arm64/c-pages/$name.elf" "$out/$name-arm64.txt" "$(expected_status "$name-arm64")"
done

# x86-64 C guest: the same program on the host, console -> stdout.
mkdir -p "$tmp/host"
cp guests/c-hello/main.c "$tmp/host/"
cat >"$tmp/host/console.h" <<'H'
#include <unistd.h>
#define ARCH_NAME "x86-64"
static inline void console_putc(char c) { (void)!write(1, &c, 1); }
H
gcc -O2 -ffreestanding -fno-builtin -o "$tmp/host/c-hello" "$tmp/host/main.c"
"$tmp/host/c-hello" >"$out/c-hello-x86_64.txt"
echo "$out/c-hello-x86_64.txt: $(wc -c <"$out/c-hello-x86_64.txt") bytes from a host build of the same main.c"
# c-pages the same way (arch.h: paging is the host's already, failing is exit(1)), both variants.
cp guests/c-pages/main.c "$tmp/host/c-pages.c"
cat >"$tmp/host/arch.h" <<'H'
#include <stdlib.h>
static inline void guest_paging_on(void) {}
static inline void guest_fail(void) { exit(1); }
H
for paging in 0 1; do
  name=c-pages
  [ "$paging" = 1 ] && name=c-pages-paging
  gcc -O2 -ffreestanding -fno-builtin -DGUEST_PAGING=$paging -o "$tmp/host/$name" "$tmp/host/c-pages.c"
  "$tmp/host/$name" >"$out/$name-x86_64.txt"
  echo "$out/$name-x86_64.txt: from a host build of the same main.c"
done

# hand-written x86-64 goldens: their computed lines must match what arm64 printed on QEMU.
check_same_line() { # <pattern> <x86 file> <arm64 file>
  local a b
  a=$(grep -E "$1" "$2") b=$(grep -E "$1" "$3")
  if [ "$a" != "$b" ]; then echo "MISMATCH: $2 says '$a' but QEMU printed '$b'" >&2; exit 1; fi
  echo "$2: '$a' agrees with QEMU"
}
check_same_line '^checksum ' "$out/loop-x86_64.txt" "$out/loop-arm64.txt"
check_same_line '^read back' "$out/memtouch-x86_64.txt" "$out/memtouch-arm64.txt"
tail -n +2 "$out/c-hello-x86_64.txt" | cmp - <(tail -n +2 "$out/c-hello-arm64.txt") &&
  echo "c-hello: x86-64 host build and arm64 QEMU agree after the first line"
for name in c-pages c-pages-paging; do
  tail -n +2 "$out/$name-x86_64.txt" | cmp - <(tail -n +2 "$out/$name-arm64.txt") &&
    echo "$name: x86-64 host build and arm64 QEMU agree after the first line"
done
