#!/bin/sh
# `npm run prebuild:arm64`: prebuilds/linux-arm64/netsandbox.glibc.node, cross-built on an x64
# Debian with its multiarch packages (as root, once: dpkg --add-architecture arm64; apt-get update;
# apt-get install g++-aarch64-linux-gnu libmnl-dev:arm64). It cannot be loaded here: there is no
# arm64 Node to run it, so `test/pack.sh` checks its architecture, links and glibc only.
set -eu
cd "$(dirname "$0")/.."
CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig npx prebuildify --napi --tag-libc --arch arm64
# prebuildify's --strip runs the host's strip, which does not know AArch64.
aarch64-linux-gnu-strip prebuilds/linux-arm64/netsandbox.glibc.node
# The x64 build directory now holds arm64 objects: rebuild it for this machine.
npx node-gyp rebuild >/dev/null
