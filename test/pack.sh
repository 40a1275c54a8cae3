#!/bin/sh
# The package as users get it (issue 15): `npm pack` with a prebuilt binary, installed into a
# fresh project with no compiler, make or Python on PATH, then with install scripts skipped (as
# pnpm does by default); each runs the demo against the installed package (in a private network
# namespace). Then the same tarball without its prebuild, built from source, for the time. Prints
# the tarball's size and the install times.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
npm run prebuild --silent >/dev/null 2>&1
if command -v aarch64-linux-gnu-g++ >/dev/null 2>&1; then
  npm run prebuild:arm64 --silent >/dev/null 2>&1
  arm64=prebuilds/linux-arm64/netsandbox.glibc.node
  aarch64-linux-gnu-readelf -h "$arm64" | grep -q 'Machine:.*AArch64'
  [ "$(aarch64-linux-gnu-readelf -d "$arm64" | grep -c NEEDED)" = 2 ] # libmnl.so.0 and libc.so.6 only
  echo "netsandbox: linux-arm64 prebuild cross-built ($(du -k "$arm64" | cut -f1) KiB, needs $(aarch64-linux-gnu-objdump -T "$arm64" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1)); not loaded: no arm64 Node here"
fi
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "netsandbox: tarball $(basename "$tarball"), $(du -k "$tarball" | cut -f1) KiB, $(tar tzf "$tarball" | wc -l) files"
tar tzf "$tarball" | grep -q 'package/prebuilds/linux-x64/netsandbox.glibc.node'
if tar tzf "$tarball" | grep -q 'package/native/nl/fuzz/'; then
  echo "netsandbox: the fuzzers are in the tarball" >&2
  exit 1
fi
# The install script picks the prebuild only on a glibc at least as new as the one it needs.
needs=$(objdump -T prebuilds/linux-x64/netsandbox.glibc.node | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -n 1)
[ "$needs" = "GLIBC_$(node scripts/install.mjs --min-glibc)" ]

# A PATH with node, npm and a shell, and no c++, make or python3.
mkdir "$work/bin"
for tool in node npm sh env cat rm mkdir; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
bare="$work/bin"

now() { date +%s%N; }
# install DIR [npm install flags]: a fresh project in DIR with the tarball installed.
install() {
  dir=$1
  shift
  mkdir -p "$dir"
  printf '{ "name": "app", "version": "1.0.0", "type": "module" }\n' >"$dir/package.json"
  start=$(now)
  (cd "$dir" && PATH=$bare npm install --no-audit --no-fund --silent "$@" "$tarball")
  echo $((($(now) - start) / 1000000))
}
# demo DIR: the repository's demo, importing the installed package.
demo() {
  sed "s|'../lib/index.js'|'netsandbox'|" "$root/benchmarks/demo.ts" >"$1/demo.ts"
  (cd "$1" && sh "$root/test/in-private-netns.sh" node --import "$root/node_modules/tsx/dist/esm/index.mjs" demo.ts >/dev/null)
}

with_scripts=$(install "$work/app")
[ ! -d "$work/app/node_modules/netsandbox/build" ] # the prebuild was used: nothing was compiled
demo "$work/app"
echo "netsandbox: installed with its prebuild and no compiler on PATH in ${with_scripts} ms; the demo ran"

# Without libmnl.so.0 (hidden in a private mount namespace), loading says what to install.
mnl=$(readlink -f "$(ldconfig -p | grep -m1 'libmnl.so.0 ' | sed 's/.*=> //')")
message=$(cd "$work/app" && unshare --mount --propagation private sh -c \
  "mount --bind /dev/null $mnl && node -e 'import(\"netsandbox\")'" 2>&1 || true)
echo "$message" | grep -q 'netsandbox: libmnl.so.0 is missing or unreadable; install it'
echo "netsandbox: without libmnl.so.0, loading says: $(echo "$message" | grep -m1 -o 'netsandbox: libmnl[^(]*')"

skipped=$(install "$work/app-no-scripts" --ignore-scripts)
demo "$work/app-no-scripts"
echo "netsandbox: installed with install scripts skipped in ${skipped} ms; the prebuild loaded and the demo ran"

# Without a prebuild (and with the compiler back), install builds from source.
mkdir "$work/repack"
tar xzf "$tarball" -C "$work/repack"
rm -rf "$work/repack/package/prebuilds"
tarball=$(cd "$work/repack/package" && npm pack --silent --ignore-scripts --pack-destination "$work/repack" | tail -n 1)
tarball="$work/repack/$tarball"
# No prebuild and no compiler: one line per missing tool, not a page of gyp errors.
mkdir "$work/app-bare"
printf '{ "name": "app", "version": "1.0.0" }\n' >"$work/app-bare/package.json"
if failed=$(cd "$work/app-bare" && PATH=$bare npm install --no-audit --no-fund "$tarball" 2>&1); then
  echo "netsandbox: installed without a prebuild or a compiler?" >&2
  exit 1
fi
echo "$failed" | grep -q 'netsandbox: no prebuilt binary fits this platform, and building one needs a C++ compiler and make'
echo "$failed" | grep -q 'netsandbox: building needs Python 3'
echo "netsandbox: without a prebuild or a compiler, install says: $(echo "$failed" | grep -m1 -o 'netsandbox: no prebuilt[^:]*')"
bare=$PATH
from_source=$(install "$work/app-source")
[ -f "$work/app-source/node_modules/netsandbox/build/Release/netsandbox.node" ]
demo "$work/app-source"
echo "netsandbox: installed by building from source in ${from_source} ms; the demo ran"
