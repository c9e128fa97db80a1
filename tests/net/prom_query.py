#!/usr/bin/env python3
"""Test helper for tests/net/test_monitor.cpp, run inside a namespace.

  prom_query.py query URL PROMQL [TIME]  one line per series: "<target> <value>"
                                         (target label, "-" when absent)
  prom_query.py get URL [ACCEPT]         the body of a GET (exit 1 on a non-200)
  prom_query.py post URL                 status code and body of a POST
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request


def main():
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "query":
        args = {"query": sys.argv[3]}
        if len(sys.argv) > 4:
            args["time"] = sys.argv[4]
        with urllib.request.urlopen(url + "/api/v1/query?" + urllib.parse.urlencode(args), timeout=10) as r:
            data = json.load(r)
        if data.get("status") != "success":
            print("error", data)
            return 1
        for s in data["data"]["result"]:
            print(s["metric"].get("target", "-"), s["value"][1])
        return 0
    req = urllib.request.Request(url, method="POST" if cmd == "post" else "GET", data=b"" if cmd == "post" else None)
    if cmd == "get" and len(sys.argv) > 3:
        req.add_header("Accept", sys.argv[3])
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            body, code, ctype = r.read().decode(), r.status, r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        body, code, ctype = e.read().decode(), e.code, ""
    if cmd == "post":
        print(code, body, end="")
        return 0
    if cmd == "get-type":
        print(ctype)
        return 0
    sys.stdout.write(body)
    return 0 if code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
