#!/usr/bin/env python3
"""Print make bench's table from its CSV, with ratios and the targets."""
import csv
import sys
from collections import defaultdict


def main(path):
    rows = list(csv.DictReader(open(path)))
    lat = defaultdict(dict)  # (file, mode) -> kind -> median
    extra = {}
    for r in rows:
        k = r["kind"]
        if k in ("native", "reader", "container", "lxcfs"):
            lat[(r["file"], r["mode"])][k] = float(r["median_us"])
        else:
            extra[(k, r["file"], r["mode"])] = r["median_us"]

    def fmt(v):
        return "-" if v is None else f"{v:.1f}"

    def ratio(a, b):
        return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}x"

    print()
    print("Read latency, open+read+close, median µs (hot loop / one read per 10 ms)")
    hdr = ("file", "mode", "native", "per-reader", "per-container", "lxcfs",
           "reader/native", "container/native", "lxcfs/reader", "lxcfs/container")
    print("| " + " | ".join(hdr) + " |")
    print("|" + "---|" * len(hdr))
    for (f, mode), d in sorted(lat.items(), key=lambda x: (x[0][1] != "hot", x[0][0])):
        n, rd, ct, lx = (d.get(k) for k in ("native", "reader", "container", "lxcfs"))
        print(f"| {f} | {mode} | {fmt(n)} | {fmt(rd)} | {fmt(ct)} | {fmt(lx)} | "
              f"{ratio(rd, n)} | {ratio(ct, n)} | {ratio(lx, rd)} | {ratio(lx, ct)} |")

    print()
    wo = extra.get(("hook", "runc-run", "without"))
    wi = extra.get(("hook", "runc-run", "with"))
    wb = extra.get(("hook", "runc-run", "with-poststop"))
    wn = extra.get(("hook", "runc-run", "noop-hook"))
    if wo and wi:
        print(f"runc run (median of 31, interleaved): {wo} ms without the hook, {wi} ms with the createRuntime "
              f"hook: the hook adds {float(wi) - float(wo):.2f} ms to a start")
    if wn and wi:
        print(f"  a no-op /bin/true hook: {wn} ms; procview-hook over it: {float(wi) - float(wn):+.2f} ms")
    if wo and wb:
        print(f"  with the poststop hook too (runs after exit): {wb} ms, "
              f"+{float(wb) - float(wo):.2f} ms for the whole run")
    dr = {m: float(v) for (k, f, m), v in extra.items() if k == "shim" and f == "docker-run-ms"}
    if dr.get("runc"):
        print("docker run --rm busybox true, median ms: " + ", ".join(
            f"{m} {v:.1f} ({v - dr['runc']:+.1f})" for m, v in dr.items()))
    for f, what in (("exec", "runc state direct vs through the shim"),
                    ("edit", "create on Docker's config.json, fake runtime vs shim + edit")):
        for unit in ("-us", "-cpu-us"):
            v = {m: float(x) for (k, ff, m), x in extra.items() if k == "shim" and ff == f + unit}
            base = v.get("runc", v.get("true"))
            if base is not None and "shim" in v:
                line = (f"{what} ({'CPU' if 'cpu' in unit else 'wall'}): {base:.0f} vs {v['shim']:.0f} µs, "
                        f"{v['shim'] - base:+.0f} µs")
                if "wrap" in v:
                    line += (f"; a do-nothing exec wrapper {v['wrap']:.0f} µs, so the shim's own work "
                             f"is {v['shim'] - v['wrap']:+.0f} µs")
                print(line)
    sn = extra.get(("sysinfo", "native", "256M"))
    sv = extra.get(("sysinfo", "notified", "256M"))
    scont = extra.get(("sysinfo", "continue", "host"))
    if sn and sv:
        print(f"sysinfo(2), median µs per call over 5 runs of 20,000: native {sn}, answered by procviewd "
              f"(256M cgroup) {sv}, handed back to the kernel (root cgroups, CONTINUE) {scont or '-'}")
    for f in ("meminfo", "stat"):
        rl = extra.get(("relayed", f, "hot"))
        dr = lat.get((f, "hot"), {}).get("reader")
        if rl and dr:
            print(f"per-reader {f} (hot) through the no-RESEND relay: {float(rl):.1f} µs, direct "
                  f"{dr:.1f} µs ({float(rl) / dr:.2f}x)")
    sc = {m: float(v) for (k, f, m), v in extra.items() if k == "scale"}
    if sc:
        s = ", ".join(f"{m} cgroups {v:.1f} µs" for m, v in sorted(sc.items(), key=lambda x: int(x[0])))
        r = sc.get("1000", 0) / sc["1"] if sc.get("1") else 0
        print(f"per-reader meminfo with live cgroups: {s} (1000 vs 1: {r:.2f}x)")
    idle = extra.get(("idle", "cpu-percent", "100-containers"))
    if idle:
        print(f"daemon idle CPU over 30 s, 100 containers registered, no readers: {idle}%")
    rss = extra.get(("rss", "MiB", "1000-containers"))
    if rss:
        print(f"daemon RSS with 1000 containers registered: {rss} MiB")

    print()
    print("Targets:")
    m = lat.get(("meminfo", "hot"), {})

    def check(name, ok, detail):
        print(f"  [{'met ' if ok else 'MISS'}] {name}: {detail}")

    if m.get("container") and m.get("native"):
        r = m["container"] / m["native"]
        check("per-container hot meminfo <= 1.5x native", r <= 1.5, f"{r:.2f}x")
    if m.get("reader") and m.get("native"):
        r = m["reader"] / m["native"]
        check("per-reader <= 12x native", r <= 12, f"{r:.2f}x")
    if m.get("lxcfs") and m.get("container"):
        r = m["lxcfs"] / m["container"]
        check(">= 10x faster than lxcfs per-container", r >= 10, f"{r:.1f}x")
    if m.get("lxcfs") and m.get("reader"):
        r = m["lxcfs"] / m["reader"]
        check(">= 3x faster than lxcfs per-reader", r >= 3, f"{r:.1f}x")
    if wo and wi:
        d = float(wi) - float(wo)
        check("hook adds <= 5 ms to a container start", d <= 5, f"{d:.2f} ms")
    if wn and wi:
        d = float(wi) - float(wn)
        check("hook <= 2 ms over a no-op hook", d <= 2, f"{d:+.2f} ms")
    # procview-runtime: Docker 20.10 calls the runtime 4 times per
    # `docker run --rm` (create, start, delete twice): one edit and three
    # plain execs, from CPU-time medians (robust to a busy machine).
    ex = extra.get(("shim", "exec-cpu-us", "shim")), extra.get(("shim", "exec-cpu-us", "runc"))
    ed = extra.get(("shim", "edit-cpu-us", "shim")), extra.get(("shim", "edit-cpu-us", "true"))
    if all(ex) and all(ed):
        per_run = (float(ed[0]) - float(ed[1]) + 3 * (float(ex[0]) - float(ex[1]))) / 1000
        check("procview-runtime adds <= 1 ms to a docker run", per_run <= 1, f"{per_run:.2f} ms CPU")
        wr = extra.get(("shim", "exec-cpu-us", "wrap"))
        if wr:
            hop = float(wr) - float(ex[1])  # one more exec, nothing else
            own = per_run - 4 * hop / 1000
            print(f"  of which one more exec per call (a do-nothing wrapper, 4 calls) is {4 * hop / 1000:.2f} ms, "
                  f"the shim's own work {own:.2f} ms")
    if sv:
        check("sysinfo answered through seccomp <= 50 µs per call", float(sv) <= 50, f"{sv} µs")
    if sc.get("1") and sc.get("1000"):
        r = sc["1000"] / sc["1"]
        check("1000 cgroups within 1.2x of 1", r <= 1.2, f"{r:.2f}x")
    if idle:
        check("idle CPU < 0.5%", float(idle) < 0.5, f"{idle}%")
    if rss:
        check("RSS <= 16 MiB", float(rss) <= 16, f"{rss} MiB")
    print(f"\nCSV: {path}")


if __name__ == "__main__":
    main(sys.argv[1])
