#!/bin/sh
# Runs a command inside a private network + mount namespace, with a private tmpfs on /run/netns,
# so tests, benchmarks and the demo never touch this machine's own namespace and a crash leaves
# nothing behind: everything they made dies with the namespaces when the command exits.
set -eu
if [ "$(id -u)" != 0 ]; then
  echo "netsandbox: integration tests, benchmarks and the demo need root (network namespaces); run them with sudo" >&2
  exit 1
fi
mkdir -p /run/netns
exec unshare --net --mount --propagation private -- sh -c '
  mount -t tmpfs -o mode=755 netsandbox /run/netns
  ip link set lo up
  exec "$@"' private-netns "$@"
