#!/usr/bin/env python3
"""Turns a results file of bench/bench.py into tables and SVG plots.

Usage: bench/report.py [RESULTS.json]   (default: the newest in bench/results)

Writes, next to the results file, <name>.md with a table of every figure
and its ratio to its baseline (reads: p50 over the bare handler's p50;
intake: rate over the lower of the two ceilings), a table of the
fixed-rate runs, <name>-latency.svg (p95 latency of each
operation with one connection against the number of complaints) and
<name>-throughput.svg (intake and raw-insert rate with 8 clients against
the number of complaints). Standard library only.
"""

import json
import math
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
COLORS = ["#1b6ca8", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#30343f", "#e07a5f"]


def find(items, **match):
    for item in items:
        if all(item.get(k) == v for k, v in match.items()):
            return item
    return None


def line_chart(title, y_label, series, path):
    """Writes a log-log line chart. `series` maps a label to ([(x, y)], dashed)."""
    width, height = 760, 420
    left, right, top, bottom = 70, 230, 40, 50
    points = [p for data, _ in series.values() for p in data if p[1] > 0]
    if not points:
        return
    xs = [math.log10(x) for x, _ in points]
    ys = [math.log10(y) for _, y in points]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    if x0 == x1:
        x1 += 1
    if y0 == y1:
        y1 += 1

    def px(x):
        return left + (math.log10(x) - x0) / (x1 - x0) * (width - left - right)

    def py(y):
        return height - bottom - (math.log10(y) - y0) / (y1 - y0) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">{title}</text>',
    ]
    for e in range(x0, x1 + 1):
        x = left + (e - x0) / (x1 - x0) * (width - left - right)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{10 ** e:,}</text>')
    for e in range(y0, y1 + 1):
        y = height - bottom - (e - y0) / (y1 - y0) * (height - top - bottom)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10.0 ** e:g}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">'
               f'complaints in the database (log scale)</text>')
    out.append(f'<text transform="translate(18 {(top + height - bottom) / 2}) rotate(-90)" '
               f'text-anchor="middle">{y_label} (log scale)</text>')
    for i, (label, (data, dashed)) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        data = [(x, y) for x, y in sorted(data) if y > 0]
        if not data:
            continue
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in data)
        out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for x, y in data:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        ly = top + 10 + i * 18
        out.append(f'<line x1="{width - right + 12}" y1="{ly}" x2="{width - right + 40}" y2="{ly}" '
                   f'stroke="{color}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{width - right + 46}" y="{ly + 4}">{label}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def ratio(value, base):
    return f"{value / base:.2f}" if base else "-"


def tables(report):
    http = report.get("http_baseline", [])
    lines = []
    lines.append("| Backend | Complaints | Operation | Conn. | Req/s | p50 ms | p95 ms | p99 ms | Non-2xx | Baseline | Ratio "
                 "| Server peak MB |")
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    for run in report["runs"]:
        for op in run["operations"]:
            c = op["connections"]
            if op["operation"] == "intake":
                http_post = find(http, operation="post", connections=c)
                raw = find(run["raw_insert"], clients=c)
                ceilings = [("HTTP", http_post["requests_per_second"] if http_post else 0),
                            ("raw insert", raw["rows_per_second"] if raw else 0)]
                name, base = min(ceilings, key=lambda t: t[1] if t[1] else float("inf"))
                baseline = f"{name} {base:,.0f}/s"
                rel = ratio(op["requests_per_second"], base)
            else:
                # The median, because the baseline's tail is scheduling noise
                # on a shared machine.
                http_get = find(http, operation="get", connections=c)
                base = http_get["p50_ms"] if http_get else 0
                baseline = f"bare GET p50 {base:.3f} ms"
                rel = ratio(op["p50_ms"], base)
            # The server's peak resident set after this run; older results lack it.
            peak = f"{op['server_peak_kb'] / 1024:.0f}" if "server_peak_kb" in op else ""
            lines.append(
                f"| {run['backend']} | {run['size']:,} | {op['operation']} | {c} | "
                f"{op['requests_per_second']:,.0f} | {op['p50_ms']:.2f} | {op['p95_ms']:.2f} | "
                f"{op['p99_ms']:.2f} | {op['non_2xx']} | {baseline} | {rel} | {peak} |")
    fixed = [(run, op) for run in report["runs"] for op in run.get("fixed_rate", [])]
    if fixed:
        lines.append("")
        lines.append("| Backend | Complaints | Operation at a fixed rate | Closed-loop req/s | Target req/s | "
                     "Achieved req/s | p50 ms | p95 ms | p99 ms | Non-2xx | Errors |")
        lines.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for run, op in fixed:
            lines.append(
                f"| {run['backend']} | {run['size']:,} | {op['operation']} | {op['closed_loop_rate']:,.0f} | "
                f"{op['target_rate']:,} | {op['achieved_rate']:,.1f} | {op['p50_ms']:.2f} | "
                f"{op['p95_ms']:.2f} | {op['p99_ms']:.2f} | {op['non_2xx']} | {op['errors']} |")
    lines.append("")
    lines.append("| Backend | Complaints | Generate s | Start-up s | RSS idle MB | Peak RSS MB | Raw insert rows/s (1 / 8 / 64 clients) |")
    lines.append("|---|---:|---:|---:|---:|---:|---|")
    for run in report["runs"]:
        raw = " / ".join(f"{r['rows_per_second']:,.0f}" for r in run["raw_insert"])
        # A reused database shows the time its generation took when it was made.
        generated = f"{run['generate_seconds']:.1f}"
        if run.get("database_reused"):
            generated += " (earlier)"
        lines.append(
            f"| {run['backend']} | {run['size']:,} | {generated} | {run['startup_seconds']:.2f} | "
            f"{run['memory_idle_kb']['VmRSS'] / 1024:.1f} | "
            f"{run['memory_after_load_kb']['VmHWM'] / 1024:.1f} | {raw} |")
    lines.append("")
    lines.append("| Bare HTTP baseline | Conn. | Req/s | p50 ms | p95 ms | p99 ms |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for op in http:
        if "connections" in op:
            lines.append(f"| {op['operation'].upper()} | {op['connections']} | {op['requests_per_second']:,.0f} | "
                         f"{op['p50_ms']:.3f} | {op['p95_ms']:.3f} | {op['p99_ms']:.3f} |")
    if report.get("report_runs"):
        lines.append("")
        lines.append("| Quarterly report | Complaints | Generate s | In the quarter | Format | Seconds | File KB "
                     "| Peak RSS MB |")
        lines.append("|---|---:|---:|---:|---|---:|---:|---:|")
        for run in report["report_runs"]:
            # Older results do not record the generation.
            generated = run.get("generation", {}).get("generate_seconds")
            generated = f"{generated:.0f}" if generated is not None else ""
            for r in run["runs"]:
                # Older results hold the peak of the largest child so far,
                # newer ones the peak of that run's process.
                peak_kb = r.get("peak_rss_kb", r.get("peak_rss_kb_so_far", 0))
                lines.append(f"| {run['backend']} | {run['complaints']:,} | {generated} | "
                             f"{run['received_in_quarter']:,} | "
                             f"{r['format']} | {r['seconds']:.2f} | {r['bytes'] / 1024:.0f} | "
                             f"{peak_kb / 1024:.0f} |")
    return "\n".join(lines) + "\n"


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else max(RESULTS.glob("*.json"), key=lambda p: p.stat().st_mtime)
    report = json.loads(path.read_text())
    stem = path.with_suffix("")

    latency, throughput = {}, {}
    for run in report["runs"]:
        dashed = run["backend"] == "postgres"
        for op in run["operations"]:
            if op["connections"] == 1:
                key = f"{run['backend']} {op['operation']}"
                latency.setdefault(key, ([], dashed))[0].append((run["size"], op["p95_ms"]))
            if op["operation"] == "intake" and op["connections"] == 8:
                key = f"{run['backend']} intake"
                throughput.setdefault(key, ([], dashed))[0].append((run["size"], op["requests_per_second"]))
        raw = find(run["raw_insert"], clients=8)
        if raw:
            key = f"{run['backend']} raw insert"
            throughput.setdefault(key, ([], dashed))[0].append((run["size"], raw["rows_per_second"]))
    line_chart("p95 latency, 1 connection", "milliseconds", latency, Path(f"{stem}-latency.svg"))
    line_chart("Intake rate, 8 clients", "complaints per second", throughput, Path(f"{stem}-throughput.svg"))
    Path(f"{stem}.md").write_text(tables(report))
    print(f"wrote {stem}.md, {stem}-latency.svg, {stem}-throughput.svg")


if __name__ == "__main__":
    main()
