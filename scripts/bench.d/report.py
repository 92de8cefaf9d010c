#!/usr/bin/env python3
"""The report of scripts/bench: reads the rows it measured (TSV), works out the ratios
the targets are about — each from figures of this same run — prints one table and
writes it, with the machine and the settings, as JSON.

Rows (tab-separated): kind name backend size connections value unit p99_ms non2xx
requests note. kind is read, write or other.
"""

import argparse
import json
import os
import platform
import subprocess
import sys

FIRST = "location list, first page"
EXACT = "location list, exact name (1 row)"
DETAIL = "location detail"
IPS = "IP address list"
NEXT = "location list, next link of 2nd-to-last page"
BASELINE = "baseline: bare handler, location list"
UI_LIST = "UI location list"
UI_DEVICE = "UI device detail (plugin panel)"
SUPERUSER = "location list, superuser"
CONSTRAINED = "location list, constrained user (Sites)"
CUSTOM_LIST = "location list, 5 custom fields"
CUSTOM_FILTER = "location list, cf_ filter (1 row)"
RELATIONSHIPS = "location list, include=relationships"
EXPORT_RSS = "CSV export of"
BIG_SMALL_TARGETS = {FIRST: 0.8, UI_LIST: 0.8, UI_DEVICE: 0.8}


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            parts += [""] * (11 - len(parts))
            kind, name, backend, size, conns, value, unit, p99, non2xx, requests, note = parts[:11]
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "backend": backend,
                    "size": size,
                    "connections": int(conns) if conns.isdigit() else None,
                    "value": number(value),
                    "unit": unit,
                    "p99_ms": number(p99),
                    "non_2xx": int(non2xx) if non2xx.isdigit() else None,
                    "requests": int(requests) if requests.isdigit() else None,
                    "note": note,
                    "ratio": None,
                    "ratio_of": "",
                    "target": "",
                    "holds": None,
                }
            )
    return rows


def machine():
    info = {"nproc": os.cpu_count(), "platform": platform.platform()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    info["memory_mib"] = round(int(line.split()[1]) / 1024)
                    break
    except OSError:
        pass
    try:
        info["rustc"] = subprocess.run(
            ["rustc", "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pass
    return info


class Figures:
    def __init__(self, rows):
        self.rows = rows

    def find(self, name, backend, size=None, conns=None, kind=None):
        for r in self.rows:
            if r["name"] != name or r["backend"] != backend:
                continue
            if size is not None and r["size"] != size:
                continue
            if conns is not None and r["connections"] != conns:
                continue
            if kind is not None and r["kind"] != kind:
                continue
            return r
        return None

    def value(self, *args, **kwargs):
        r = self.find(*args, **kwargs)
        if r is None or not r["value"]:
            return None
        return r["value"]


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def judge(value, target):
    """target: ('>=', x) or ('<=', x)."""
    if value is None:
        return None
    op, bound = target
    return value >= bound if op == ">=" else value <= bound


def target_text(target, unit=""):
    op, bound = target
    sign = "≥" if op == ">=" else "≤"
    if unit:
        return f"{sign} {bound:g} {unit}"
    return f"{sign} {bound:g}"


def annotate(rows, figures, small, big, top):
    """The ratio column of the measurement rows."""
    for r in rows:
        if r["kind"] == "read" and r["backend"] == "postgres":
            other = figures.value(r["name"], "sqlite", r["size"], r["connections"], "read")
            r["ratio"] = ratio(r["value"], other)
            r["ratio_of"] = "postgres/sqlite"
            r["target"] = target_text((">=", 0.5))
            r["holds"] = judge(r["ratio"], (">=", 0.5))
        elif r["kind"] == "read" and r["backend"] == "sqlite" and r["size"] == big:
            other = figures.value(r["name"], "sqlite", small, r["connections"], "read")
            r["ratio"] = ratio(r["value"], other)
            r["ratio_of"] = "big/small"
            if r["name"] in BIG_SMALL_TARGETS and r["connections"] == top:
                t = (">=", BIG_SMALL_TARGETS[r["name"]])
                r["target"] = target_text(t)
                r["holds"] = judge(r["ratio"], t)
        elif r["kind"] == "write" and "(with validator)" in r["name"]:
            other = figures.value(
                r["name"].replace("(with validator)", "(no plugin)"),
                r["backend"],
                r["size"],
                r["connections"],
                "write",
            )
            r["ratio"] = ratio(r["value"], other)
            r["ratio_of"] = "validator/none"
            if r["connections"] == top and not r["name"].startswith("delete"):
                r["target"] = target_text((">=", 0.9))
                r["holds"] = judge(r["ratio"], (">=", 0.9))


def targets(figures, backends, top, bulk, scales):
    small, big = "small", "big"
    out = []

    def add(name, backend, value, ratio_of, target, unit="", conns=top):
        out.append(
            {
                "kind": "target",
                "name": name,
                "backend": backend,
                "size": "",
                "connections": conns,
                "value": None,
                "unit": unit,
                "p99_ms": None,
                "non_2xx": None,
                "requests": None,
                "note": "",
                "ratio": value,
                "ratio_of": ratio_of,
                "target": target_text(target),
                "holds": judge(value, target),
            }
        )

    for b in backends:
        v = lambda name, size, backend=b: figures.value(name, backend, size, top, "read")
        add(f"location list {scales[big]} / {scales[small]}", b, ratio(v(FIRST, big), v(FIRST, small)), "big/small", (">=", 0.8))
        add(f"exact filter (1 row) / detail, {scales[big]}", b, ratio(v(EXACT, big), v(DETAIL, big)), "filter/detail", (">=", 0.8))
        add(f"IP address list {scales[big]} / location list {scales[small]}", b, ratio(v(IPS, big), v(FIRST, small)), "ips/locations", (">=", 0.8))
        add(f"next link of 2nd-to-last page / first page, {scales[big]}", b, ratio(v(NEXT, big), v(FIRST, big)), "next/first", (">=", 0.5))
        add(
            f"location list {scales[small]} / bare handler",
            b,
            ratio(v(FIRST, small), figures.value(BASELINE, "baseline", small, top, "read")),
            "ours/baseline",
            (">=", 0.5),
        )
        first = figures.find(FIRST, b, small, top, "read")
        if b == "sqlite":
            add(
                f"p99 of location list {scales[small]}, {top} connections (ms)",
                b,
                first["p99_ms"] if first else None,
                "p99 ms",
                ("<=", 10),
            )
        for name in (UI_LIST, UI_DEVICE):
            add(f"{name} {scales[big]} / {scales[small]}", b, ratio(v(name, big), v(name, small)), "big/small", (">=", 0.8))
        for size in (small, big):
            add(
                f"constrained user's location list / superuser's, {scales[size]}",
                b,
                ratio(v(CONSTRAINED, size), v(SUPERUSER, size)),
                "constrained/superuser",
                (">=", 0.8),
            )
        for size in (small, big):
            add(
                f"location list with 5 custom fields / without, {scales[size]}",
                b,
                ratio(v(CUSTOM_LIST, size), v(FIRST, size)),
                "5 custom fields/none",
                (">=", 0.8),
            )
            add(
                f"cf_ filter (1 row) / detail, {scales[size]}",
                b,
                ratio(v(CUSTOM_FILTER, size), v(DETAIL, size)),
                "cf filter/detail",
                (">=", 0.8),
            )
            add(
                f"include=relationships on 50 rows / without, {scales[size]}",
                b,
                ratio(v(RELATIONSHIPS, size), v(CUSTOM_LIST, size)),
                "relationships/none",
                (">=", 0.5),
            )
        export = next(
            (r for r in figures.rows if r["name"].startswith(EXPORT_RSS) and r["backend"] == b and r["size"] == big),
            None,
        )
        add(
            f"CSV export of the {scales[big]} IP addresses ×4: memory growth (MiB)",
            b,
            export["value"] if export else None,
            "MiB",
            ("<=", 50),
            conns="-",
        )
        if b == "postgres":
            worst = None
            for r in figures.rows:
                if r["kind"] == "read" and r["backend"] == "postgres" and r["ratio"] is not None:
                    if worst is None or r["ratio"] < worst["ratio"]:
                        worst = r
            if worst is not None:
                add(
                    f"postgres / sqlite, worst of all reads: {worst['name']}, {scales.get(worst['size'], worst['size'])}, c={worst['connections']}",
                    b,
                    worst["ratio"],
                    "postgres/sqlite",
                    (">=", 0.5),
                    conns=None,
                )
        if b == "sqlite":
            views = [r for r in figures.rows if r["name"].startswith("plugin API view (")]
            for conns in sorted({r["connections"] for r in views if r["connections"]}):
                local = figures.value("plugin API view (in process)", b, conns=conns)
                isolated = figures.value("plugin API view (isolated)", b, conns=conns)
                add(
                    "plugin API view: isolated / in process (PLUGINS_ISOLATED overhead)",
                    b,
                    ratio(isolated, local),
                    "isolated/in process",
                    (">=", 0.5),
                    conns=conns,
                )
        if b == "sqlite":
            # Throttle off, every guess is hashed: the hashing slots alone must keep
            # other requests fast. (With the throttle, guesses get cheap 429s and the
            # load generator itself is most of the load; those figures are rows.)
            mode = "throttle off"
            quiet = figures.value(f"status median, quiet ({mode})", b)
            flooded = figures.value(f"status median, 16-connection login flood ({mode})", b)
            add(
                "login flood: status median under the flood / quiet (throttle off)",
                b,
                ratio(flooded, quiet),
                "flood/quiet",
                ("<=", 3.0),
                conns=16,
            )
        prefix = "start-up to first 200 on /health/, "
        counts = [
            int(r["name"][len(prefix):].split()[0])
            for r in figures.rows
            if r["backend"] == b and r["name"].startswith(prefix)
        ]
        most = max(counts, default=50)
        s0 = figures.value(f"{prefix}0 plugins", b)
        s_most = figures.value(f"{prefix}{most} plugins", b)
        add(
            f"start-up, {most} plugins / none",
            b,
            ratio(s_most, s0),
            f"{most}/0",
            ("<=", 1.5),
            conns=None,
        )
        for op in ("create, single", f"create, bulk lists of {bulk}", "update, single"):
            w = figures.value(f"{op} (with validator)", b, small, top, "write")
            n = figures.value(f"{op} (no plugin)", b, small, top, "write")
            add(f"{op}: with validator / without", b, ratio(w, n), "validator/none", (">=", 0.9))
        creates = figures.value("create, single (with validator)", b, small, top, "write")
        if b == "sqlite":
            add("single creates per second (with validator)", b, creates, "creates/s", (">=", 1000))
        bulk_rate = figures.value(f"create, bulk lists of {bulk} (with validator)", b, small, top, "write")
        add(
            "bulk-created objects per second (with validator)",
            b,
            bulk_rate,
            "objects/s",
            (">=", 10000 if b == "sqlite" else 5000),
        )
    return out


def fmt(x, digits=1, unit=""):
    if x is None:
        return "-"
    if unit == "s" and isinstance(x, float):
        return f"{x:.3f}"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}" if abs(x) >= 10 else f"{x:.{digits + 1}f}"
    return str(x)


def print_table(rows, meta, scales):
    for r in rows:
        if r["ratio"] is None and r["kind"] != "target":
            r["ratio_of"] = ""
    headers = ["name", "backend", "size", "conns", "value", "unit", "p99 ms", "non-2xx", "ratio", "of", "target", "holds"]
    lines = []
    for r in rows:
        holds = {True: "yes", False: "NO", None: ""}[r["holds"]]
        if r["target"] and r["holds"] is None:
            holds = "n/a"
        lines.append(
            [
                r["name"],
                r["backend"],
                scales.get(r["size"], r["size"]) if r["size"] not in ("", "-") else "",
                "" if r["connections"] is None else str(r["connections"]),
                fmt(r["value"], 1, r["unit"]),
                r["unit"] if r["value"] is not None else "",
                fmt(r["p99_ms"], 2),
                "" if r["non_2xx"] is None else str(r["non_2xx"]),
                fmt(r["ratio"], 2),
                r["ratio_of"],
                r["target"],
                holds,
            ]
        )
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(headers)]
    numeric = {3, 4, 6, 7, 8}

    def show(cells):
        return "  ".join(
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    m = meta["machine"]
    print()
    print(
        f"nautobot-server benchmark — {m.get('nproc')} cores, {m.get('memory_mib')} MiB, {m.get('cpu', '?')}; "
        f"commit {meta['commit']}{' (+ uncommitted changes)' if meta['dirty'] else ''}"
    )
    print(
        f"sizes: small = {meta['small']}, big = {meta['big']}; {meta['duration_s']:g} s per read, "
        f"{meta['write_duration_s']:g} s per write measurement ({meta['single_connection_duration_s']:g} s with 1 connection); "
        f"server: {meta['server_workers']} workers; wrk on 127.0.0.1; ratios and targets at {meta['target_connections']} connections"
    )
    print(show(headers))
    print(show(["-" * w for w in widths]))
    previous_kind = None
    for r, cells in zip(rows, lines):
        if previous_kind is not None and r["kind"] != previous_kind:
            print()
        previous_kind = r["kind"]
        print(show(cells))
    held = [t for t in rows if t["kind"] == "target"]
    failed = [t for t in held if t["holds"] is False]
    unknown = [t for t in held if t["holds"] is None]
    print()
    print(
        f"targets: {len(held) - len(failed) - len(unknown)} hold, {len(failed)} do not"
        + (f", {len(unknown)} could not be computed" if unknown else "")
        + f"; release build {meta['build_s']:.0f} s, whole run {meta['total_s']:.0f} s"
        + (f"; {meta['errors_in_logs']} error lines in the server logs" if meta["errors_in_logs"] else "")
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rows")
    p.add_argument("out")
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--write-duration", type=float, required=True)
    p.add_argument("--duration-1", type=float, default=None)
    p.add_argument("--small", required=True)
    p.add_argument("--big", required=True)
    p.add_argument("--build-seconds", type=float, default=0)
    p.add_argument("--total-seconds", type=float, default=0)
    p.add_argument("--server-workers", type=int, default=2)
    p.add_argument("--errors-in-logs", type=int, default=0)
    p.add_argument("--commit", default="")
    p.add_argument("--dirty", type=int, default=0)
    p.add_argument("--bulk", type=int, default=250)
    a = p.parse_args()

    rows = load(a.rows)
    figures = Figures(rows)
    conns = sorted({r["connections"] for r in rows if r["connections"]})
    top = conns[-1] if conns else 16
    scales = {"small": a.small, "big": a.big}
    annotate(rows, figures, "small", "big", top)
    backends = [b for b in ("sqlite", "postgres") if any(r["backend"] == b for r in rows)]
    all_rows = rows + targets(figures, backends, top, a.bulk, scales)
    for r in all_rows:
        r["role"] = r["size"] if r["size"] in scales else ""
        r["size"] = scales.get(r["size"], "" if r["size"] == "-" else r["size"])
    meta = {
        "machine": machine(),
        "commit": a.commit,
        "dirty": a.dirty > 0,
        "small": a.small,
        "big": a.big,
        "duration_s": a.duration,
        "write_duration_s": a.write_duration,
        "single_connection_duration_s": a.duration_1 if a.duration_1 is not None else a.duration,
        "server_workers": a.server_workers,
        "target_connections": top,
        "build_s": a.build_seconds,
        "total_s": a.total_seconds,
        "errors_in_logs": a.errors_in_logs,
    }
    print_table(all_rows, meta, scales)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"meta": meta, "rows": all_rows}, f, indent=2)
        f.write("\n")
    print(f"written to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
