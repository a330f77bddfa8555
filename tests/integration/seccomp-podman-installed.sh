#!/bin/sh
# sysinfo(2) under podman with the profile `make install` writes and one
# containers.conf line naming it: no per-container flag but the ulimits
# this machine needs and the limits themselves. make install into a
# DESTDIR, a private containers.conf (CONTAINERS_CONF) with
#   seccomp_profile = "<DESTDIR>$(DATADIR)/procview/seccomp.json"
# and hooks_dir naming hooks.d files that point at the build. No procviewd
# runs at first. busybox free, getconf _PHYS_PAGES (glibc, the host's /usr
# bound in) and the static musl and glibc probes: 256M + cpuset 0, 1G +
# 1.5 CPUs, no limits.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
for t in podman runc python3 busybox make getconf; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
[ -r /usr/share/containers/seccomp.json ] || skip_all "no podman default seccomp profile (containers-common)"
for f in procviewd procview-hook procview probe/sysinfo-glibc probe/sysinfo-musl; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built (musl-tools missing?)"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"
HOOK=$ROOT/$B/procview-hook
DAEMON=$ROOT/$B/procviewd
IMAGE=localhost/pvsc-installed-$$
IMAGE_USR=localhost/pvsc-installed-usr-$$

W=$(mktemp -d /tmp/pv-seccomp-installed.XXXXXX)
MNT=$W/mnt
SOCK=$W/sc.sock
D=$W/dest
mkdir -p "$MNT" "$W/hooks.d"
on_exit "rm -rf '$W'"
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'for p in $(daemons); do kill -9 $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

# 1. make install: the default PREFIX, so the build in $B is reused as is.
(cd "$ROOT" && make -s --no-print-directory B="$B" DESTDIR="$D" SECCOMP_SOCKET="$SOCK" install) >"$W/install.log" 2>&1
ok $? "make install DESTDIR=... SECCOMP_SOCKET=..."
PROFILE=$(cd "$ROOT" && make -s --no-print-directory list-install | grep '/procview/seccomp.json$')
is "$PROFILE" /usr/local/share/procview/seccomp.json "the layout has the podman profile under DATADIR/procview"
PROFILE=$D$PROFILE
python3 - "$PROFILE" "$SOCK" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); base = json.load(open("/usr/share/containers/seccomp.json"))
assert p["listenerPath"] == sys.argv[2], p.get("listenerPath")
rules = [r for r in p["syscalls"] if "sysinfo" in r.get("names", [])]
assert rules == [{"names": ["sysinfo"], "action": "SCMP_ACT_NOTIFY"}], rules
assert p["defaultAction"] == base["defaultAction"]
PY
ok $? "the installed profile: podman's default, sysinfo to NOTIFY only, listenerPath"

# 2. The one containers.conf line (and where the hooks are).
for f in procview.json procview-poststop.json; do
	python3 - "$ROOT/hooks.d/$f" "$W/hooks.d/$f" "$HOOK" "$DAEMON" "$MNT" "$SOCK" <<'PY'
import json, sys
src, dst, hook, daemon, mnt, sock = sys.argv[1:]
h = json.load(open(src))
h["hook"]["path"] = hook
h["hook"]["args"] += ["--daemon", daemon, "--mountpoint", mnt, "--seccomp-socket", sock]
json.dump(h, open(dst, "w"))
PY
done
cat >"$W/containers.conf" <<CONF
[containers]
seccomp_profile = "$PROFILE"

[engine]
hooks_dir = ["$W/hooks.d"]
CONF
export CONTAINERS_CONF=$W/containers.conf

sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs"
cp "$ROOT/$B/probe/sysinfo-glibc" "$ROOT/$B/probe/sysinfo-musl" "$W/rootfs/bin/"
tar -C "$W/rootfs" -c . | podman import -q - "$IMAGE" >/dev/null 2>"$W/import.err" ||
	skip_all "podman import failed: $(head -1 "$W/import.err")"
on_exit "podman rmi -f '$IMAGE' '$IMAGE_USR' >/dev/null 2>&1"
sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs-usr" host-usr
tar -C "$W/rootfs-usr" -c . | podman import -q - "$IMAGE_USR" >/dev/null 2>&1

SHOW='free | awk '"'"'$1 == "Mem:" { print "bbfree", $2, $3 }'"'"'
echo "glibc $(/bin/sysinfo-glibc)"
echo "musl $(/bin/sysinfo-musl)"'
prun() { # prun [podman run options...] IMAGE CMD...: no seccomp flag of its own
	podman --runtime runc run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" 2>&1
}
get() { echo "$1" | awk -v t="$2" '$1 == t' | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }
host() { "$ROOT/$B/probe/sysinfo-glibc" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# 3. 256M, cpuset 0; no daemon before.
is "$(daemons | wc -l)" 0 "no procviewd before the first container"
f=$T_FAIL
out=$(prun -m 256m --cpuset-cpus 0 "$IMAGE" sh -c "$SHOW")
ok $? "podman run -m 256m --cpuset-cpus 0, profile from containers.conf: runs"
is "$(daemons | wc -l)" 1 "the hook started procviewd before runc connected"
is "$(echo "$out" | awk '$1 == "bbfree" { print $2 }')" 262144 "256M: busybox free total 262144 kB"
is "$(get "$out" musl totalram)" 268435456 "256M: musl static sysinfo totalram"
is "$(get "$out" musl phys_bytes)" 268435456 "256M: musl sysconf(_SC_PHYS_PAGES)"
is "$(get "$out" glibc phys_bytes)" 268435456 "256M: glibc static sysconf(_SC_PHYS_PAGES)"
[ "$T_FAIL" = "$f" ] || echo "$out" | sed 's/^/#   /'
out=$(prun -m 256m -v /usr:/usr:ro -v /etc:/etc:ro "$IMAGE_USR" getconf _PHYS_PAGES)
is "$out" $((268435456 / $(getconf PAGESIZE))) "256M: getconf _PHYS_PAGES (glibc, the host's /usr)"

# 4. 1G, 1.5 CPUs.
f=$T_FAIL
out=$(prun -m 1g --cpus 1.5 "$IMAGE" sh -c "$SHOW")
is "$(echo "$out" | awk '$1 == "bbfree" { print $2 }')" 1048576 "1G, --cpus 1.5: busybox free total"
is "$(get "$out" musl totalram)" 1073741824 "1G: musl sysinfo totalram"
is "$(get "$out" glibc phys_bytes)" 1073741824 "1G: glibc _SC_PHYS_PAGES"
[ "$T_FAIL" = "$f" ] || echo "$out" | sed 's/^/#   /'

# 5. No limits: the host's values exactly.
f=$T_FAIL
out=$(prun "$IMAGE" sh -c "$SHOW")
is "$(get "$out" musl totalram)" "$(host totalram)" "no limits: totalram is the host's exactly"
is "$(get "$out" glibc totalswap)" "$(host totalswap)" "no limits: totalswap is the host's exactly"
is "$(get "$out" musl phys_bytes)" "$(host phys_bytes)" "no limits: _SC_PHYS_PAGES is the host's"
[ "$T_FAIL" = "$f" ] || echo "$out" | sed 's/^/#   /'
done_testing
