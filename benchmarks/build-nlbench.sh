#!/bin/sh
# Builds the C netlink reference benchmark (benchmarks/nlbench.c) into
# benchmarks/bin/nlbench. Needs a C compiler, pkg-config and libmnl-dev.
# Works from any directory.
set -eu
cd "$(dirname "$0")/.."
mkdir -p benchmarks/bin
cc -O2 -Wall -Wextra -o benchmarks/bin/nlbench benchmarks/nlbench.c $(pkg-config --cflags --libs libmnl)
