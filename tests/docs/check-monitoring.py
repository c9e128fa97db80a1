#!/usr/bin/env python3
"""Checks the monitoring examples against the metrics icmpkit monitor serves.

  check-monitoring.py SOURCE_DIR

- examples/monitoring/grafana-dashboard.json is valid JSON with panels for
  loss, RTT percentiles, sent/received rate, ICMP errors and local drops,
  each querying the metrics that answer it;
- every PromQL expression in the dashboard, in examples/monitoring/rules.yml
  and in the ```promql blocks of docs/monitoring.md names only our metrics
  (the list below, which docs/monitoring.md's reference table must match);
- with promtool (Debian: prometheus): prometheus.yml and rules.yml pass
  `promtool check config` / `check rules`.
The checker first proves it refuses a foreign metric name.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The series of issue 20 point 2 (the histogram as its three series), and the
# count of failed name lookups.
METRICS = {
    "icmpkit_probes_sent_total",
    "icmpkit_rtt_seconds_bucket",
    "icmpkit_rtt_seconds_sum",
    "icmpkit_rtt_seconds_count",
    "icmpkit_duplicates_total",
    "icmpkit_late_replies_total",
    "icmpkit_icmp_errors_total",
    "icmpkit_send_errors_total",
    "icmpkit_local_drops_total",
    "icmpkit_resolve_errors_total",  # names whose lookup failed (re-resolution)
    "icmpkit_reply_ttl",
    "icmpkit_target_info",
    "icmpkit_build_info",
}
FAMILIES = {re.sub(r"_(bucket|sum|count)$", "", m) for m in METRICS}

# PromQL words that are not metric names.
WORDS = {
    "sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "rate", "irate", "increase", "delta", "idelta", "deriv", "resets", "changes",
    "histogram_quantile", "avg_over_time", "min_over_time", "max_over_time", "sum_over_time",
    "count_over_time", "stddev_over_time", "quantile_over_time", "last_over_time",
    "abs", "clamp_min", "clamp_max", "scalar", "vector", "time", "label_replace", "sort_desc",
    "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
    "unless", "bool",
}


def names_in(expr):
    """The metric names an expression reads (PromQL words and labels removed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values, strings
    e = re.sub(r"\{[^}]*\}", "", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)  # ranges and subqueries
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\{?\w+\}?", "", e)  # Grafana variables
    e = re.sub(r"(?<![A-Za-z0-9_:])\d+(\.\d+)?(ms|s|m|h|d|w|y)?\b", "", e)  # numbers, durations
    return {t for t in re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", e) if t not in WORDS}


def foreign(expr, recorded):
    return sorted(n for n in names_in(expr) if n not in METRICS and n not in recorded)


def main():
    src = Path(sys.argv[1])
    ex = src / "examples" / "monitoring"
    errors = []

    # The checker itself: a foreign name is seen, ours are not.
    assert foreign("rate(smokeping_requests_total[5m])", set()) == ["smokeping_requests_total"]
    assert foreign('1 - increase(icmpkit_rtt_seconds_count{target=~"$t"}[5m]) / '
                   "increase(icmpkit_probes_sent_total[5m] offset 1h)", set()) == []

    rules_text = (ex / "rules.yml").read_text()
    recorded = set(re.findall(r"record:\s*(\S+)", rules_text))
    rule_exprs = re.findall(r"expr:\s*>?\s*\n?((?:.+\n?)+?)(?=\s*- record:|\Z)", rules_text)
    for e in rule_exprs:
        for n in foreign(e, set()):
            errors.append(f"rules.yml: {n} is not an icmpkit metric")

    dash = json.loads((ex / "grafana-dashboard.json").read_text())
    panels = {p["title"]: [t["expr"] for t in p.get("targets", [])] for p in dash["panels"]}
    need = {
        "Loss": {"icmpkit_probes_sent_total", "icmpkit_rtt_seconds_count"},
        "RTT percentiles": {"icmpkit_rtt_seconds_bucket"},
        "Sent and received": {"icmpkit_probes_sent_total", "icmpkit_rtt_seconds_count"},
        "ICMP errors": {"icmpkit_icmp_errors_total"},
        "Local drops": {"icmpkit_local_drops_total"},
    }
    for title, metrics in need.items():
        if title not in panels:
            errors.append(f"grafana-dashboard.json: no panel titled {title!r}")
            continue
        used = set().union(*(names_in(e) for e in panels[title])) if panels[title] else set()
        if not metrics <= used:
            errors.append(f"grafana-dashboard.json: panel {title!r} does not query "
                          f"{sorted(metrics - used)}")
    for title, exprs in panels.items():
        for e in exprs:
            for n in foreign(e, set()):
                errors.append(f"grafana-dashboard.json: panel {title!r}: {n} is not an icmpkit metric")
    if "histogram_quantile(0.99" not in "".join(panels.get("RTT percentiles", [])):
        errors.append("grafana-dashboard.json: RTT percentiles lacks p99")

    doc = (src / "docs" / "monitoring.md").read_text()
    blocks = re.findall(r"^```promql\s*$(.*?)^```\s*$", doc, re.M | re.S)
    if len(blocks) < 4:
        errors.append(f"docs/monitoring.md: {len(blocks)} promql blocks, expected loss, "
                      "percentiles, jitter and more")
    for b in blocks:
        for line in b.splitlines():
            line = line.split("#", 1)[0]
            for n in foreign(line, recorded):
                errors.append(f"docs/monitoring.md: {n} is not an icmpkit metric: {line.strip()}")
    table = set(re.findall(r"^\| `(icmpkit_[a-z_]+)`", doc, re.M))
    if table != FAMILIES:
        errors.append(f"docs/monitoring.md: the metrics table lists {sorted(table)}, "
                      f"the monitor serves {sorted(FAMILIES)}")

    promtool = shutil.which("promtool")
    if promtool:
        for args in (["check", "config", str(ex / "prometheus.yml")],
                     ["check", "rules", str(ex / "rules.yml")]):
            r = subprocess.run([promtool] + args, capture_output=True, text=True)
            if r.returncode != 0:
                errors.append(f"promtool {' '.join(args)}:\n{r.stdout}{r.stderr}")
    else:
        print("check-monitoring: promtool not found (Debian: prometheus): "
              "prometheus.yml and rules.yml NOT checked by promtool")

    for e in errors:
        print(e, file=sys.stderr)
    if not errors:
        print(f"check-monitoring: {len(panels)} panels, {len(rule_exprs)} rules, "
              f"{len(blocks)} promql blocks: only icmpkit metrics")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
