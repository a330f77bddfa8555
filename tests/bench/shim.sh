#!/bin/sh
# What procview-runtime costs (make bench runs this; `make bench-shim`
# alone). One private dockerd knows both runtimes; runs are interleaved
# and medians compared within this run:
#   docker run --rm IMAGE true with runc, with the shim told to leave the
#   config alone (-e PROCVIEW=off: the shim's exec and parse on every
#   runtime call), and with the shim adding the hook (the whole procview
#   start: edit, hook, poststop);
#   a non-create command (runc state) exec'd directly and through the shim;
#   the create edit alone on a real Docker config.json, against exec'ing the
#   same fake runtime directly.
# Appends "shim,..." rows to $CSV (default $B/bench.csv). Asserts nothing.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/runtime.lib"
CSV=${CSV:-$ROOT/$B/bench.csv}
RUNS=${SHIM_RUNS:-21}
EXECS=${SHIM_EXECS:-301}
SHIM=$ROOT/$B/procview-runtime
say() { echo "shim bench: $*"; }
if ! command -v dockerd >/dev/null || [ ! -x /usr/bin/docker ] || [ "$(id -u)" != 0 ]; then
	say "skipped (needs root and docker.io)"
	exit 0
fi
W=$(mktemp -d /tmp/pv-bench-shim.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
CGP=pv-shim-bench-$$
mkdir -p "$MNT" "$W/rec" "$W/d"
on_exit "rm_cgroup $CGP"
start_daemon "$MNT" || exit 1
cat >"$W/d/daemon.json" <<JSON
{"runtimes": {"procview": {"path": "$SHIM", "runtimeArgs": [
  "--procview-runtime", "$(command -v runc)", "--procview-hook", "$ROOT/$B/procview-hook",
  "--procview-hook-arg", "--mountpoint=$MNT", "--procview-hook-arg", "--record-dir=$W/rec",
  "--procview-hook-arg", "--daemon=$ROOT/$B/procviewd",
  "--procview-seccomp-socket", "$MNT.seccomp.sock"]}},
 "cgroup-parent": "$CGP"}
JSON
start_dockerd "$W/d" || exit 1
mk_image_rootfs "$W/bb" && $DOCKER import "$W/bb.tar" pvt/busybox:1 >/dev/null || exit 1

say "docker run --rm busybox true, $RUNS interleaved runs per variant..."
python3 - "$RUNS" "$W" "$DOCKER" <<'PY' >"$W/docker.csv"
import subprocess, sys, time
runs, w, docker = int(sys.argv[1]), sys.argv[2], sys.argv[3].split()
variants = {
    "runc": ["--runtime", "runc"],
    "shim-no-edit": ["--runtime", "procview", "-e", "PROCVIEW=off"],
    "shim-with-hook": ["--runtime", "procview"],
}
times = {v: [] for v in variants}
for i in range(runs + 2):
    for v, extra in variants.items():
        t0 = time.perf_counter_ns()
        subprocess.run(docker + ["run", "--rm"] + extra + ["pvt/busybox:1", "true"],
                       check=True, stdout=subprocess.DEVNULL)
        if i >= 2:  # two warm-up rounds
            times[v].append((time.perf_counter_ns() - t0) / 1e6)
for v, t in times.items():
    t.sort()
    print("shim,docker-run-ms,%s,%.2f,%.2f,%.2f" % (v, t[len(t) // 2], t[0], t[-1]))
PY

# A real Docker config.json, for the edit alone.
cid=$($DOCKER create --runtime runc pvt/busybox:1 true)
$DOCKER start "$cid" >/dev/null 2>&1 &
start_pid=$!
for _ in $(seq 1 100); do
	f=$(find "$W/d/exec" -path "*$cid*" -name config.json 2>/dev/null | head -1)
	[ -n "$f" ] && cp "$f" "$W/docker-config.json" 2>/dev/null && break
	sleep 0.02
done
wait $start_pid
$DOCKER rm -f "$cid" >/dev/null 2>&1
mkdir -p "$W/bundle"

say "exec and edit, $EXECS interleaved runs per variant..."
python3 - "$EXECS" "$W" "$SHIM" "$(command -v runc)" "$ROOT/$B/bench/execwrap" "$MNT.seccomp.sock" <<'PY' >"$W/exec.csv"
import os, shutil, subprocess, sys, time
n, w, shim, runc, wrap, sock = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
env = dict(os.environ, PROCVIEW_RUNTIME_CONFIG=w + "/none.conf")
root = ["--root", w + "/runc-root"]
b = w + "/bundle"
have_cfg = os.path.exists(w + "/docker-config.json")
variants = {
    "exec:runc": [runc] + root + ["state", "x"],
    "exec:shim": [shim, "--procview-runtime", runc] + root + ["state", "x"],
    "exec:wrap": [wrap, runc] + root + ["state", "x"],
    "edit:true": ["/bin/true", "create", "--bundle", b, "x"],
    # The socket answers (start_daemon's daemon): the edit includes the
    # connect that checks it and the sysinfo rule.
    "edit:shim": [shim, "--procview-runtime", "/bin/true", "--procview-hook", "/x/procview-hook",
                  "--procview-seccomp-socket", sock, "create", "--bundle", b, "x"],
    # The hook only: what the sysinfo step adds is the difference.
    "edit:shim-nosysinfo": [shim, "--procview-runtime", "/bin/true", "--procview-hook",
                            "/x/procview-hook", "--procview-no-sysinfo", "create", "--bundle", b, "x"],
}
# Wall time suffers from whatever else runs on the machine; the CPU time
# the child used (user + system, from wait4) does not, so both are kept.
times = {v: [] for v in variants}
cpu = {v: [] for v in variants}
for i in range(n):
    for v, argv in variants.items():
        if v.startswith("edit:"):
            if not have_cfg:
                continue
            shutil.copy(w + "/docker-config.json", b + "/config.json")
        t0 = time.perf_counter_ns()
        p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, ru = os.wait4(p.pid, 0)
        times[v].append((time.perf_counter_ns() - t0) / 1e3)
        cpu[v].append((ru.ru_utime + ru.ru_stime) * 1e6)
for v in variants:
    kind, name = v.split(":")
    for what, t in (("", times[v]), ("-cpu", cpu[v])):
        if not t:
            continue
        t.sort()
        print("shim,%s%s-us,%s,%.1f,%.1f,%.1f" % (kind, what, name, t[len(t) // 2], t[0], t[-1]))
PY
cat "$W/docker.csv" "$W/exec.csv" >>"$CSV"
cfg=$(stat -c %s "$W/docker-config.json" 2>/dev/null)

python3 - "$W/docker.csv" "$W/exec.csv" "${cfg:-?}" <<'PY'
import sys
rows = {}
for p in sys.argv[1:3]:
    for line in open(p):
        _, kind, name, med, lo, hi = line.strip().split(",")
        rows[(kind, name)] = float(med)
d = lambda k, a, b: rows[(k, a)] - rows[(k, b)]
print("docker run --rm busybox true, median ms: runc %.1f, shim leaving config.json alone %.1f (%+.1f), "
      "shim adding the hook %.1f (%+.1f: the whole procview start and stop)" % (
          rows[("docker-run-ms", "runc")], rows[("docker-run-ms", "shim-no-edit")],
          d("docker-run-ms", "shim-no-edit", "runc"), rows[("docker-run-ms", "shim-with-hook")],
          d("docker-run-ms", "shim-with-hook", "runc")))
for k in ("exec", "exec-cpu"):
    print("runc state exec'd directly %.0f us, through a do-nothing exec wrapper %.0f us, through the shim "
          "%.0f us: %+.0f us per runtime call, %+.0f us of it the shim's own work (%s)" % (
        rows[(k + "-us", "runc")], rows[(k + "-us", "wrap")], rows[(k + "-us", "shim")],
        d(k + "-us", "shim", "runc"), d(k + "-us", "shim", "wrap"),
        "CPU time" if k.endswith("cpu") else "wall"))
for k in ("edit", "edit-cpu"):
    if (k + "-us", "shim") in rows:
        print("create on Docker's %s-byte config.json: the shim's exec + edit + atomic write costs %+.0f us "
              "over exec'ing the runtime directly, %+.0f us of it the sysinfo step (connect to the "
              "socket, seccomp rule) (%s)" % (sys.argv[3], d(k + "-us", "shim", "true"),
                                               d(k + "-us", "shim", "shim-nosysinfo"),
                                               "CPU time" if k.endswith("cpu") else "wall"))
PY
