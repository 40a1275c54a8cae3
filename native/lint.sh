#!/bin/sh
# clang-format (as `npm run format:native` leaves it) and clang-tidy over native/ and the native
# unit tests (test/native/) with the checks
# in .clang-tidy (warnings are errors): `npm run lint`.
set -eu
cd "$(dirname "$0")/.."
find native benchmarks test/native -name '*.c' -o -name '*.cc' -o -name '*.h' | xargs clang-format --dry-run -Werror
node_headers=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
addon_api=$(node -p "require('node-addon-api').include_dir")
# shellcheck disable=SC2046
clang-tidy --quiet native/nl/*.cc native/ns/*.cc native/binding/*.cc test/native/*.cc -- \
  -std=c++17 -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -D_GNU_SOURCE \
  -I"$node_headers" -I"$addon_api" $(pkg-config --cflags libmnl)
