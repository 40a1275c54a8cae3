#!/usr/bin/python3
"""pyroute2 doing the benchmark's netlink cases, when Debian's python3-pyroute2 is installed.

    ip netns exec NETNS pyroute2-bench.py CASE N DEV    CASE: route4 | route6 | addr4
Run inside the namespace (IPRoute there is pyroute2's fastest path; NetNS() would proxy every
call through a helper process). Prints one JSON line like nlbench: {"case": ..., "n": ..., "ns": elapsed nanoseconds of the loop}.
"""
import json
import sys
import time

from pyroute2 import IPRoute

case, n, dev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with IPRoute() as ipr:
    index = ipr.link_lookup(ifname=dev)[0]
    start = time.monotonic_ns()
    for i in range(n):
        if case == "route4":
            ipr.route("add", dst=f"198.18.{i >> 8}.{i & 255}/32", oif=index)
        elif case == "route6":
            ipr.route("add", dst=f"2001:db8:1::{i >> 16:x}:{i & 0xffff:x}/128", oif=index)
        elif case == "addr4":
            ipr.addr("add", index=index, address=f"198.18.{i >> 8}.{i & 255}", prefixlen=32)
        else:
            sys.exit(f"unknown case {case}")
    elapsed = time.monotonic_ns() - start
print(json.dumps({"case": case, "n": n, "ns": elapsed}))
