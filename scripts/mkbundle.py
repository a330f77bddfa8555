#!/usr/bin/env python3
"""Write a runc bundle's config.json for procview's demo, tests and bench.

mkbundle.py BUNDLE [--memory BYTES] [--cpus LIST] [--quota US] [--hook PATH]
            [--hook-timeout SECONDS] [--daemon PATH] [--mountpoint DIR] [--annotation K=V] [--host-usr]
            [--bind SRC:DST] [--no-proc] -- ARGS...

The rootfs is BUNDLE/rootfs (made by mkrootfs.sh). --host-usr binds the
host's /usr and /etc read-only so real tools (procps, glibc getconf,
python3) run inside.
"""
import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bundle")
    p.add_argument("--memory", type=int)
    p.add_argument("--cpus")
    p.add_argument("--quota", type=int)
    p.add_argument("--hook")
    p.add_argument("--hook-timeout", type=int, default=10)
    p.add_argument("--daemon")
    p.add_argument("--mountpoint")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--record-dir")
    p.add_argument("--no-poststop", action="store_true")
    p.add_argument("--annotation", action="append", default=[])
    p.add_argument("--host-usr", action="store_true")
    p.add_argument("--bind", action="append", default=[])
    p.add_argument("--no-proc", action="store_true")
    p.add_argument("--no-sys", action="store_true")
    p.add_argument("--terminal", action="store_true")
    p.add_argument("--seccomp")
    p.add_argument("--seccomp-socket")
    p.add_argument("args", nargs="+")
    a = p.parse_args()

    mounts = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
         "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
    ]
    if a.no_proc:
        mounts = [m for m in mounts if m["destination"] != "/proc"]
    if a.no_sys:
        mounts = [m for m in mounts if m["destination"] != "/sys"]
    if a.host_usr:
        for d in ("/usr", "/etc"):
            mounts.append({"destination": d, "type": "bind", "source": d,
                           "options": ["rbind", "ro"]})
    for b in a.bind:
        src, dst = b.split(":", 1)
        mounts.append({"destination": dst, "type": "bind", "source": src,
                       "options": ["bind", "ro"]})

    resources = {"devices": [{"allow": False, "access": "rwm"}]}
    if a.memory:
        resources["memory"] = {"limit": a.memory}
    cpu = {}
    if a.cpus:
        cpu["cpus"] = a.cpus
        cpu["mems"] = "0"
    if a.quota:
        cpu["quota"] = a.quota
        cpu["period"] = 100000
    if cpu:
        resources["cpu"] = cpu

    cfg = {
        "ociVersion": "1.0.2",
        "process": {
            "terminal": a.terminal, "user": {"uid": 0, "gid": 0}, "args": a.args,
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"]
                             for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "procview-demo",
        "mounts": mounts,
        "linux": {
            "resources": resources,
            "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                              "/proc/sysrq-trigger"],
        },
        "annotations": dict(kv.split("=", 1) for kv in a.annotation),
    }
    if a.seccomp:
        with open(a.seccomp) as f:
            cfg["linux"]["seccomp"] = json.load(f)
    if a.hook:
        args = ["procview-hook", "createRuntime"]
        if a.daemon:
            args += ["--daemon", os.path.abspath(a.daemon)]
        if a.mountpoint:
            args += ["--mountpoint", a.mountpoint]
        if a.strict:
            args.append("--strict")
        if a.seccomp_socket:
            args += ["--seccomp-socket", a.seccomp_socket]
        if a.record_dir:
            args += ["--record-dir", a.record_dir]
        post = [x if x != "createRuntime" else "poststop" for x in args]
        cfg["hooks"] = {
            "createRuntime": [{"path": os.path.abspath(a.hook), "args": args, "timeout": a.hook_timeout}],
        }
        if not a.no_poststop:
            cfg["hooks"]["poststop"] = [{"path": os.path.abspath(a.hook), "args": post, "timeout": a.hook_timeout}]
    with open(os.path.join(a.bundle, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
