#!/bin/sh
# CI's short fuzz run: builds both targets (CMakeLists.txt, clang, ASan + UBSan) in a scratch
# directory, replays the regressions, then fuzzes each for FUZZ_SECONDS (default 20) from the
# checked-in seeds (which are not written to). Fails on any crash or failed check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CXX=clang++ cmake -S "$root" -B "$work/build" -DSANITIZE=address,undefined >/dev/null
cmake --build "$work/build" --parallel 2 --target decode_fuzzer roundtrip_fuzzer >/dev/null
cd "$work"
for target in decode roundtrip; do
  "$work/build/${target}_fuzzer" -runs=0 "$here/regressions"
  mkdir -p "corpus-$target"
  "$work/build/${target}_fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -print_final_stats=1 \
    "corpus-$target" "$here/corpus/$target" 2>&1 | grep -E '^(Done|stat::number_of_executed_units)|ERROR|failed' || true
  # (`ls crash-* leak-* timeout-*` would need all three kinds to exist to succeed.)
  for found in crash-* leak-* timeout-*; do
    if [ -e "$found" ]; then
      echo "netsandbox: ${target}_fuzzer found a failing input: $found" >&2
      exit 1
    fi
  done
done
