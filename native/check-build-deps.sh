#!/bin/sh
# Runs before node-gyp when no prebuilt binary fits (scripts/install.mjs): one clear line per
# missing tool instead of a page of gyp errors.
missing=0
# gyp's Makefile compiles with $CXX, g++ unless set (its first word: CXX may be "ccache g++").
cxx=${CXX:-g++}
if ! command -v "${cxx%% *}" >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  echo "netsandbox: no prebuilt binary fits this platform, and building one needs a C++ compiler and make: apt-get install build-essential" >&2
  missing=1
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "netsandbox: building needs Python 3 (node-gyp runs it): apt-get install python3" >&2
  missing=1
fi
if ! pkg-config --exists libmnl 2>/dev/null; then
  echo "netsandbox: building needs the libmnl headers: apt-get install libmnl-dev pkg-config" >&2
  missing=1
fi
exit $missing
