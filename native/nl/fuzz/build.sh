#!/bin/sh
# Builds the libFuzzer targets of native/nl (decode_fuzzer, roundtrip_fuzzer) with ASan + UBSan.
# Usage: sh native/nl/fuzz/build.sh [out-dir]    (default out-dir: native/nl/fuzz/out)
# Needs clang++ (14+, with libclang-rt-<ver>-dev for the fuzzer runtime) and libmnl-dev.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
nl=$(dirname "$here")
out=${1:-$here/out}
CXX=${CXX:-clang++}
mkdir -p "$out"

flags="-std=c++17 -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE ${FUZZ_CXXFLAGS:-}
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  $(pkg-config --cflags libmnl)"
libs="$(pkg-config --libs libmnl)"

# The plain C++ codec sources (no N-API). socket.cc is linked for ParseAck.
sources="$nl/message.cc $nl/socket.cc $nl/link.cc $nl/address.cc $nl/route.cc $nl/neighbor.cc"

for target in decode_fuzzer roundtrip_fuzzer; do
  # shellcheck disable=SC2086
  $CXX $flags -o "$out/$target" "$here/$target.cc" $sources $libs
  echo "built $out/$target"
done
