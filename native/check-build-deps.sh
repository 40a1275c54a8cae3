#!/bin/sh
# Runs before node-gyp on `npm install`: one clear line instead of a page of gyp errors.
# A prebuilt binary (prebuilds/) needs none of this.
[ -d prebuilds ] && exit 0
if ! command -v c++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  echo "netsandbox: no C++ compiler or make found; install them: apt-get install build-essential" >&2
  exit 1
fi
if ! pkg-config --exists libmnl 2>/dev/null; then
  echo "netsandbox: libmnl headers not found; install them: apt-get install libmnl-dev pkg-config" >&2
  exit 1
fi
