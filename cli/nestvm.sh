#!/bin/sh
# The `nestvm` command: package.json's `bin`, copied to dist/cli/nestvm by scripts/bundle-cli.mjs.
#
# It does one thing before Node starts. When NODE_EXTRA_CA_CERTS names a file, Node 20 reads it and
# builds its whole root certificate store while it starts, before any JavaScript runs: 50-60 ms of
# every start on a typical machine, about half of what a tiny `nestvm run` costs (nodejs/node#40524;
# Node 23 loads the store lazily). nestvm itself opens no TLS connection (set-up fetches through
# apt), so the variable is moved aside for nestvm's own process: it travels as
# NESTVM_NODE_EXTRA_CA_CERTS, and cli/launch.ts puts it back under its own name as its first step,
# so every process nestvm starts (set-up, a lab's child, gdb) sees the user's environment unchanged.
#
# Invariant: nestvm's output, exit status and children's environment are the same as if Node had
# been started directly; only the store Node builds for nestvm's own process is left out.
if [ -n "${NODE_EXTRA_CA_CERTS+set}" ]; then
  NESTVM_NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export NESTVM_NODE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
self=$(readlink -f -- "$0" 2>/dev/null) || self=$0
exec node "${self%/*}/nestvm.cjs" "$@"
