#!/bin/sh
# `npm run coverage:native`: the developer build with gcov instrumentation (and the fault hooks),
# in build-dev/coverage; runs the native unit tests and all three vitest tiers
# against it in the private namespace, then prints the line coverage of native/ per file and
# fails under NATIVE_COVERAGE_MIN percent (default 95).
set -eu
cd "$(dirname "$0")/.."
out=build-dev/coverage
npx cmake-js build --silent --out "$out" --CDNETSANDBOX_COVERAGE=ON --CDNETSANDBOX_FAULT_HOOKS=ON --parallel 2 >/dev/null
find "$out" -name '*.gcda' -delete
(cd "$out" && sh ../../test/in-private-netns.sh ctest --output-on-failure >/dev/null)
# gcov writes its counts at exit: NETSANDBOX_GCOV makes the test forks exit on vitest's SIGTERM.
NETSANDBOX_ADDON="$PWD/$out/Release/netsandbox.node" NETSANDBOX_GCOV=1 \
  sh test/in-private-netns.sh npx vitest run >/dev/null
gcovr --root . --object-directory "$out" --filter 'native/' --exclude 'native/nl/fuzz/' \
  --gcov-ignore-parse-errors --print-summary --fail-under-line "${NATIVE_COVERAGE_MIN:-95}"
