#!/bin/sh
# `npm run test:asan`: rebuilds the addon with AddressSanitizer, UBSan and the fault hooks tests
# use to reach failure paths deterministically, runs the integration and lifecycle tiers against
# it (in the private namespace), then rebuilds it as usual.
# Child processes (ip, strace) inherit the preload; replace_str=0 keeps ASan from judging their
# string calls (iproute2 6.1's print_route overlaps a strncpy).
set -eu
cd "$(dirname "$0")/.."
restore() { npx node-gyp rebuild >/dev/null; }
trap restore EXIT
CXXFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -g -DNETSANDBOX_FAULT_HOOKS" LDFLAGS="-fsanitize=address,undefined" \
  npx node-gyp rebuild >/dev/null
LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
ASAN_OPTIONS=detect_leaks=0:replace_str=0:intercept_strlen=0:intercept_strchr=0:intercept_strndup=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 NETSANDBOX_ASAN=1 \
  sh test/in-private-netns.sh npx vitest run --project integration --project lifecycle
