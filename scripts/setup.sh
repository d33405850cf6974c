#!/usr/bin/env bash
# One idempotent set-up step shared by the README's two commands (`npm run hello`, `npm test`) and
# by `nestvm setup` in an installed package:
#   1. npm packages  (npm ci, only when package-lock.json changed since the last install)
#   2. Unicorn >= 2.1 (NESTVM_LIBUNICORN, else a system libunicorn.so.2 >= 2.1, else Debian trixie's
#      libunicorn2t64 fetched with a private apt configuration inside the cache folder and unpacked
#      there); the library's path is recorded in <cache>/libunicorn.path, where the binding looks
#   2b. the block counter (emulator/unicorn/block-counter.c), built with the system's C compiler
#      (`cc`, or $CC) against that library into <cache>/block-counter/ and recorded in
#      <cache>/block-counter.path; without a compiler, or if the build fails, the record is removed
#      and nestvm counts with Unicorn's count hook (a note, not an error)
#   3. tmux and gdb-multiarch when called as `setup.sh test` (the TUI's end-to-end test needs a
#      real terminal, the gdb stub's a real gdb)
#   4. the TypeScript build (incremental), then the bundled executable (scripts/bundle-cli.mjs:
#      package.json's `bin` exists only once bundled); skipped when no input changed since the
#      last build made by this script
#
#   setup.sh [test]                          in a clone: all four steps, cache folder <clone>/.cache
#   setup.sh --unicorn-only [--cache DIR]    an installed package (`nestvm setup`): step 2 only, no
#                                            npm ci, no build; the cache folder is DIR (nestvm
#                                            passes the per-user one, ~/.cache/nestvm)
# Every failure is one line on stderr naming what to install, exit status 8; nothing here edits
# system apt config. The per-OS hints are in scripts/install-hint.cjs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
only_unicorn=0
mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --unicorn-only) only_unicorn=1;;
    --cache) [ $# -ge 2 ] || { echo "nestvm setup: --cache needs a folder" >&2; exit 2; }; cache="$(mkdir -p "$2" && cd "$2" && pwd)"; shift;;
    test) mode=test;;
    *) echo "nestvm setup: unknown argument $1 (setup.sh [test] | setup.sh --unicorn-only [--cache DIR])" >&2; exit 2;;
  esac
  shift
done
cd "$root"
say() { printf 'nestvm setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 8; }
shown() { case "$1" in "$root"/*) echo "${1#"$root"/}";; *) echo "$1";; esac; }  # clone-relative when inside

# ---- 0. Node ---------------------------------------------------------------------------------
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  die "Node.js 20.19 or later is required (found $(node --version)); install it from your system's packages or nodejs.org"

# ---- 1. npm packages -------------------------------------------------------------------------
if [ "$only_unicorn" = 0 ]; then
  lockhash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -d node_modules ] || [ "$(cat node_modules/.nestvm-lock 2>/dev/null)" != "$lockhash" ]; then
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
    echo "$lockhash" > node_modules/.nestvm-lock
  fi
fi

# ---- 2. Unicorn 2.1 --------------------------------------------------------------------------
mkdir -p "$cache"
version_of() { node scripts/unicorn-version.cjs "$1" 2>/dev/null; }  # prints "2.1.1" or fails
at_least_21() { node -e 'const [a,b]=process.argv[1].split(".").map(Number); process.exit(a>2||(a===2&&b>=1)?0:1)' "$1"; }
record() { echo "$1" > "$cache/libunicorn.path"; }

install_hint() { node scripts/install-hint.cjs; }

fetch_trixie() {
  local apt="$cache/apt" out="$cache/unicorn"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -r "$keyring" ] || { say "installing debian-archive-keyring (to verify Debian trixie's archive)"; apt-get install -y -qq debian-archive-keyring >&2; }
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/cache" "$apt/sources.list.d" "$apt/preferences.d" "$apt/deb"
  echo "deb [signed-by=$keyring] http://deb.debian.org/debian trixie main" > "$apt/sources.list"
  local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=$apt/sources.list.d"
              -o "Dir::Etc::preferencesparts=$apt/preferences.d" -o "Dir::State::Lists=$apt/lists"
              -o "Dir::Cache=$apt/cache" -o "Dir::Cache::archives=$apt/archives" -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=root")
  say "fetching Debian trixie's libunicorn2t64 into $(shown "$cache")/ (system apt configuration untouched)"
  apt-get "${opts[@]}" -qq update >&2 || die "apt could not read Debian trixie's package list; $(install_hint)"
  rm -f "$apt/deb"/*.deb
  (cd "$apt/deb" && apt-get "${opts[@]}" -qq download libunicorn2t64 >&2) || die "apt could not download libunicorn2t64; $(install_hint)"
  rm -rf "$out" && mkdir -p "$out"
  dpkg-deb -x "$apt/deb"/libunicorn2t64_*.deb "$out"
  find "$out" -name 'libunicorn.so.2' -print -quit
}

resolve_unicorn() {
  if [ -n "${NESTVM_LIBUNICORN:-}" ]; then
    local v; v="$(version_of "$NESTVM_LIBUNICORN")" || die "NESTVM_LIBUNICORN=$NESTVM_LIBUNICORN cannot be loaded; $(install_hint)"
    at_least_21 "$v" || die "NESTVM_LIBUNICORN points at Unicorn $v, but nestvm needs 2.1 or later; $(install_hint)"
    record "$NESTVM_LIBUNICORN"; return
  fi
  local cached; cached="$(cat "$cache/libunicorn.path" 2>/dev/null || true)"
  if [ -n "$cached" ] && v="$(version_of "$cached")" && at_least_21 "$v"; then return; fi
  local sys; sys="$( { ldconfig -p || /sbin/ldconfig -p || true; } 2>/dev/null | awk '/libunicorn\.so\.2 /{print $NF; exit}')"  # ldconfig is in /sbin, off a user's PATH
  if [ -n "$sys" ] && v="$(version_of "$sys")" && at_least_21 "$v"; then record "$sys"; return; fi
  local id="" like=""
  if [ -r /etc/os-release ]; then . /etc/os-release; id="${ID:-}"; like="${ID_LIKE:-}"; fi
  case " $id $like " in
    *" debian "*|*" ubuntu "*) ;;
    *) die "no usable Unicorn 2.1 found; $(install_hint)";;
  esac
  [ "$(id -u)" = 0 ] || die "no usable Unicorn 2.1 found; $(install_hint)"
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "apt-get and dpkg-deb are needed; $(install_hint)"
  local lib; lib="$(fetch_trixie)"
  [ -n "$lib" ] && v="$(version_of "$lib")" && at_least_21 "$v" || die "the fetched libunicorn2t64 does not load here; $(install_hint)"
  record "$lib"
  say "using Unicorn $v from $(shown "$lib")"
}
resolve_unicorn

# ---- 2b. the block counter (optional: without it, Unicorn's count hook counts) ---------------
build_counter() {
  local src="$root/emulator/unicorn/block-counter.c" out="$cache/block-counter" lib cc="${CC:-cc}"
  lib="$(cat "$cache/libunicorn.path")"
  [ -r "$src" ] || return 0
  if ! command -v "$cc" >/dev/null 2>&1; then
    rm -f "$cache/block-counter.path"
    say "no C compiler ($cc): counting with Unicorn's count hook (install cc for the faster block counter)"
    return 0
  fi
  local so="$out/libnestvm-block-counter.so" stamp
  stamp="$(sha256sum "$src" | cut -d' ' -f1) $lib"
  if [ -f "$so" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$cache/block-counter.path" ]; then return 0; fi
  mkdir -p "$out"
  if "$cc" -O2 -shared -fPIC -o "$so.tmp" "$src" "$lib" -Wl,-rpath,"$(dirname "$lib")" 2>"$out/build.log"; then
    mv "$so.tmp" "$so"; echo "$stamp" > "$out/stamp"; echo "$so" > "$cache/block-counter.path"
    say "built the block counter into $(shown "$so")"
  else
    rm -f "$so.tmp" "$cache/block-counter.path"
    say "the block counter did not build (see $(shown "$out/build.log")): counting with Unicorn's count hook"
  fi
}
build_counter

# ---- 3. tmux and gdb-multiarch, for the end-to-end tests (only when called as `setup.sh test`) ----
[ "$only_unicorn" = 1 ] && exit 0

if [ "$mode" = test ] && ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing tmux (the TUI's end-to-end test drives a real terminal)"
    (apt-get install -y -qq tmux >&2 || { apt-get update -qq >&2 && apt-get install -y -qq tmux >&2; }) ||
      die "could not install tmux; install it (Debian/Ubuntu: apt-get install tmux) and run the tests again"
  else
    die "the tests need tmux: install it (Debian/Ubuntu: apt-get install tmux; Fedora: dnf install tmux; macOS: brew install tmux)"
  fi
fi

if [ "$mode" = test ] && ! command -v gdb-multiarch >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing gdb-multiarch (the gdb stub's end-to-end tests drive a real gdb)"
    (apt-get install -y -qq gdb-multiarch >&2 || { apt-get update -qq >&2 && apt-get install -y -qq gdb-multiarch >&2; }) ||
      die "could not install gdb-multiarch; install it (Debian/Ubuntu: apt-get install gdb-multiarch) and run the tests again"
  else
    die "the tests need gdb-multiarch: install it (Debian/Ubuntu: apt-get install gdb-multiarch; Fedora: dnf install gdb; macOS: brew install gdb)"
  fi
fi

# ---- 4. TypeScript build ---------------------------------------------------------------------
# Skipped when the last build made here is newer than every input (a file or folder changed, added
# or removed since then is newer); the stamp is taken before the build, so an edit during it counts.
stamp="$cache/build.stamp"
inputs=(mmu emulator cli labs index.ts package.json package-lock.json tsconfig.json tsconfig.build.json scripts/bundle-cli.mjs)
if [ -f "$stamp" ] && [ -f dist/index.js ] && [ -f dist/cli/nestvm ] &&
   [ -z "$(find "${inputs[@]}" -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  exit 0
fi
touch "$stamp.new"
npx tsc -p tsconfig.build.json --incremental --tsBuildInfoFile "$cache/build.tsbuildinfo"
node scripts/bundle-cli.mjs >/dev/null
mv "$stamp.new" "$stamp"
