#!/bin/sh
# `npm run test:asan`: the developer build (CMakeLists.txt, by cmake-js) with AddressSanitizer,
# UBSan and the fault hooks tests use to reach failure paths deterministically, in build-dev/asan.
# Runs the native unit tests (ctest), then the integration and lifecycle tiers against that addon
# (NETSANDBOX_ADDON), all in the private namespace. The install build (build/) is not touched.
# Child processes (ip, strace) inherit the preload; replace_str=0 keeps ASan from judging their
# string calls (iproute2 6.1's print_route overlaps a strncpy).
set -eu
cd "$(dirname "$0")/.."
out=build-dev/asan
npx cmake-js build --silent --out "$out" --CDSANITIZE=address,undefined --CDNETSANDBOX_FAULT_HOOKS=ON --parallel 2 >/dev/null
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd "$out" && sh ../../test/in-private-netns.sh ctest --output-on-failure)
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0:replace_str=0:intercept_strlen=0:intercept_strchr=0:intercept_strndup=0 \
NETSANDBOX_ASAN=1 NETSANDBOX_ADDON="$PWD/$out/Release/netsandbox.node" \
  sh test/in-private-netns.sh npx vitest run --project integration --project lifecycle
