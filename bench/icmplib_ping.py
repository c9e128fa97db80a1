"""Debian's icmplib as a peer of the RTT test: COUNT pings at INTERVAL
seconds to one address (raw socket), printing every RTT in milliseconds,
one per line, for the harness to take the median. Run with /usr/bin/python3.

icmplib 2.1.1's ping() keeps only min/avg/max rounded to 1 us, so this is
its loop (send, receive, reply.time - request.time, sleep) with each RTT
printed instead of summed.

    icmplib_ping.py ADDRESS COUNT INTERVAL
"""
import sys
import time

import icmplib


def main():
    address, count, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    family = icmplib.ICMPv6Socket if icmplib.is_ipv6_address(address) else icmplib.ICMPv4Socket
    sock = family(privileged=True)
    received = 0
    for sequence in range(count):
        request = icmplib.ICMPRequest(destination=address, id=icmplib.PID, sequence=sequence)
        try:
            sock.send(request)
            reply = sock.receive(request, 1)
            reply.raise_for_status()
            received += 1
            print(f"{(reply.time - request.time) * 1000:.6f}")
        except icmplib.ICMPLibError:
            pass
        if sequence < count - 1:
            time.sleep(interval)
    sock.close()
    return 0 if received == count else 1


if __name__ == "__main__":
    sys.exit(main())
