#!/bin/sh
# Builds the C netlink reference benchmark (benchmarks/nlbench.c) into
# benchmarks/bin/nlbench, and the getrusage(RUSAGE_CHILDREN) addon (benchmarks/rusage.c) into
# benchmarks/bin/rusage.node. Needs a C compiler, pkg-config, libmnl-dev and Node's headers
# (without them the addon is skipped and the benchmark reads children's CPU from /proc, in
# 10 ms ticks). Works from any directory.
set -eu
cd "$(dirname "$0")/.."
mkdir -p benchmarks/bin
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o benchmarks/bin/nlbench benchmarks/nlbench.c $(pkg-config --cflags --libs libmnl)

node_headers=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
if [ -f "$node_headers/node_api.h" ]; then
  cc -O2 -Wall -Wextra -shared -fPIC -I"$node_headers" -o benchmarks/bin/rusage.node benchmarks/rusage.c
else
  echo "build-nlbench: no node_api.h in $node_headers; children's CPU will come from /proc (10 ms ticks)" >&2
  rm -f benchmarks/bin/rusage.node
fi
