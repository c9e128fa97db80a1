# Runs Debian's python3-icmplib on the same scenario as the icmpkit CLI
# tests (tests/net/test_cli.cpp) and prints its findings as one JSON line.
#   traceroute ADDRESS COUNT TIMEOUT MAX_HOPS  -> [[distance, address], ...]
#   multiping COUNT TIMEOUT PRIV ADDRESS...    -> [is_alive, ...] in input order
#   error ADDRESS TIMEOUT PRIV                 -> {"class", "type", "code"}
import json
import sys

from icmplib import (ICMPError, ICMPRequest, ICMPv4Socket, ICMPv6Socket, PID, TimeoutExceeded,
                     is_ipv6_address, multiping, traceroute)


def main(argv):
    what = argv[1]
    if what == 'traceroute':
        hops = traceroute(argv[2], count=int(argv[3]), timeout=float(argv[4]), max_hops=int(argv[5]))
        print(json.dumps([[h.distance, h.address] for h in hops]))
    elif what == 'multiping':
        hosts = multiping(argv[5:], count=int(argv[2]), timeout=float(argv[3]),
                          privileged=argv[4] == '1')
        print(json.dumps([h.is_alive for h in hosts]))
    elif what == 'error':
        address, timeout, privileged = argv[2], float(argv[3]), argv[4] == '1'
        cls = ICMPv6Socket if is_ipv6_address(address) else ICMPv4Socket
        sock = cls(privileged=privileged)
        request = ICMPRequest(address, id=PID, sequence=1)
        sock.send(request)
        out = {'class': 'None', 'type': None, 'code': None}
        try:
            reply = sock.receive(request, timeout)
            out['type'], out['code'] = reply.type, reply.code
            reply.raise_for_status()
            out['class'] = 'EchoReply'
        except TimeoutExceeded:
            out['class'] = 'TimeoutExceeded'
        except ICMPError as e:
            out['class'] = type(e).__name__
        print(json.dumps(out))
    else:
        raise SystemExit('unknown request ' + what)


main(sys.argv)
