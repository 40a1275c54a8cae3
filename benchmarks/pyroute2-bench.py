#!/usr/bin/python3
"""pyroute2 doing the benchmark's netlink cases, when Debian's python3-pyroute2 is installed.

    ip netns exec NETNS pyroute2-bench.py CASE N DEV [LEN]
    CASE: route4 | route6 | addr4 | dump
route4 / route6 add the first N prefixes of length LEN (default 32 / 128) of 198.18.0.0/15 or
2001:db8::/32 (the same routes nlbench -l LEN and run.ts add: 198.18.0.0 + (i << (32 - LEN))).
addr4 adds 198.18.0.0 + i /32 to DEV. dump lists the main table's routes N times (DEV unused).

Run inside the namespace (IPRoute there is pyroute2's fastest path; NetNS() would proxy every
call through a helper process). Prints one JSON line like nlbench: {"case": ..., "n": ...,
"ns": elapsed nanoseconds of the loop, "user_us" / "sys_us": this process's CPU time over the
loop (getrusage(RUSAGE_SELF): every thread, and the kernel's work in our syscalls), "items":
routes the last dump returned}.
"""
import ipaddress
import json
import resource
import sys
import time

from pyroute2 import IPRoute


def cpu_us():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime * 1e6), round(usage.ru_stime * 1e6)


def prefixes(base, bits, length, n):
    """The first n prefixes of this length in base, as 'address/length' strings."""
    if n > 1 << (length - base.prefixlen):
        sys.exit(f"only {1 << (length - base.prefixlen)} /{length} prefixes fit in {base}")
    first = int(base.network_address)
    cls = ipaddress.IPv4Address if bits == 32 else ipaddress.IPv6Address
    return [f"{cls(first + (i << (bits - length)))}/{length}" for i in range(n)]


case, n, dev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
length = int(sys.argv[4]) if len(sys.argv) > 4 else None
# The inputs are made before the clock starts, as run.ts makes them for the library and ip.
if case == "route4":
    dsts = prefixes(ipaddress.ip_network("198.18.0.0/15"), 32, length or 32, n)
elif case == "route6":
    dsts = prefixes(ipaddress.ip_network("2001:db8::/32"), 128, length or 128, n)
elif case == "addr4":
    addrs = [str(ipaddress.IPv4Address(0xC6120000 + i)) for i in range(n)]
elif case != "dump":
    sys.exit(f"unknown case {case}")

items = 0
with IPRoute() as ipr:
    index = ipr.link_lookup(ifname=dev)[0] if case != "dump" else 0
    user0, sys0 = cpu_us()
    start = time.monotonic_ns()
    if case in ("route4", "route6"):
        for dst in dsts:
            ipr.route("add", dst=dst, oif=index)
    elif case == "addr4":
        for address in addrs:
            ipr.addr("add", index=index, address=address, prefixlen=32)
    else:
        for _ in range(n):
            items = len(ipr.route("dump", table=254))
    elapsed = time.monotonic_ns() - start
    user1, sys1 = cpu_us()
print(json.dumps({"case": case, "n": n, "len": length, "ns": elapsed, "user_us": user1 - user0,
                  "sys_us": sys1 - sys0, "items": items}))
