#!/bin/sh
# sysinfo(2) under podman (runc runtime) with the profile `procview seccomp
# --podman` writes (podman's default profile plus the notify rule) and the
# hooks.d files: no other per-container flag. busybox free, the static
# glibc and musl probes, for 256M + cpuset 0, 1G + 1.5 CPUs, no limits.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
for t in podman runc python3 busybox; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
[ -r /usr/share/containers/seccomp.json ] || skip_all "no podman default seccomp profile"
for f in procviewd procview-hook procview probe/sysinfo-glibc probe/sysinfo-musl; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built (musl-tools missing?)"
done
HOOK=$ROOT/$B/procview-hook
DAEMON=$ROOT/$B/procviewd
IMAGE=localhost/pvsc-probe-$$

W=$(mktemp -d /tmp/pv-seccomp-podman.XXXXXX)
MNT=$W/mnt
SOCK=$W/sc.sock
mkdir -p "$MNT" "$W/hooks.d"
on_exit "rm -rf '$W'"
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'stop_hook_units "$MNT"; for p in $(daemons); do kill $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs"
cp "$ROOT/$B/probe/sysinfo-glibc" "$ROOT/$B/probe/sysinfo-musl" "$W/rootfs/bin/"
tar -C "$W/rootfs" -c . | podman import -q - "$IMAGE" >/dev/null 2>"$W/import.err" ||
	skip_all "podman import failed: $(head -1 "$W/import.err")"
on_exit "podman rmi -f '$IMAGE' >/dev/null 2>&1"

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
"$ROOT/$B/procview" seccomp --podman --socket "$SOCK" -o "$W/seccomp.json"
ok $? "procview seccomp --podman writes the profile"
python3 - "$W/seccomp.json" "$SOCK" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); base = json.load(open("/usr/share/containers/seccomp.json"))
assert p["listenerPath"] == sys.argv[2]
assert p["defaultAction"] == base["defaultAction"]
rules = [r for r in p["syscalls"] if "sysinfo" in r.get("names", [])]
assert len(rules) == 1 and rules[0]["action"] == "SCMP_ACT_NOTIFY", rules
assert len(p["syscalls"]) == len(base["syscalls"]) + 1
PY
ok $? "the profile is podman's default plus one sysinfo NOTIFY rule and listenerPath"

SHOW='free | awk '"'"'$1 == "Mem:" { print "bbfree", $2, $3 }'"'"'
echo "glibc $(/bin/sysinfo-glibc)"
echo "musl $(/bin/sysinfo-musl)"'
prun() {
	podman --runtime runc --hooks-dir "$W/hooks.d" run --rm --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 --security-opt seccomp="$W/seccomp.json" "$@" \
		"$IMAGE" sh -c "$SHOW" 2>&1
}
get() { echo "$1" | awk -v t="$2" '$1 == t' | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }
host() { "$ROOT/$B/probe/sysinfo-glibc" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

out=$(prun -m 256m --cpuset-cpus 0)
ok $? "podman -m 256m --cpuset-cpus 0 with the profile: runs (no daemon before)"
is "$(echo "$out" | awk '$1 == "bbfree" { print $2 }')" 262144 "256M: busybox free total"
used=$(echo "$out" | awk '$1 == "bbfree" { print $3 }')
[ -n "$used" ] && [ "$used" -le 262144 ]
ok $? "256M: busybox free used ($used kB) agrees with total (sysinfo and meminfo from one model)"
is "$(get "$out" glibc phys_bytes)" 268435456 "256M: glibc _SC_PHYS_PAGES"
is "$(get "$out" musl totalram)" 268435456 "256M: musl sysinfo totalram"
[ "$T_FAIL" = 0 ] || echo "$out" | sed 's/^/#   /'

out=$(prun -m 1g --cpus 1.5)
is "$(get "$out" glibc totalram)" 1073741824 "1G, 1.5 CPUs: glibc sysinfo totalram"
is "$(get "$out" musl phys_bytes)" 1073741824 "1G, 1.5 CPUs: musl _SC_PHYS_PAGES"

out=$(prun)
is "$(get "$out" glibc totalram)" "$(host totalram)" "no limits: totalram is the host's exactly"
is "$(get "$out" musl totalswap)" "$(host totalswap)" "no limits: totalswap is the host's exactly"
done_testing
