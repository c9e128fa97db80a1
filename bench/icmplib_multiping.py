"""Debian's icmplib as a peer of the sweep: multiping every host of an IPv4
prefix once (count 1, interval 0, timeout 1, raw socket) and print how many
answered. Run with the system interpreter: /usr/bin/python3 (python3-icmplib).

    icmplib_multiping.py A.B.C.D/LEN
"""
import ipaddress
import sys

import icmplib


def main():
    net = ipaddress.ip_network(sys.argv[1], strict=False)
    hosts = [str(h) for h in net.hosts()]
    result = icmplib.multiping(hosts, count=1, interval=0, timeout=1, privileged=True)
    alive = sum(1 for h in result if h.packets_received > 0)
    print(f"sent {len(hosts)} received {alive}")
    return 0 if alive == len(hosts) else 1


if __name__ == "__main__":
    sys.exit(main())
