#!/bin/sh
# procview-hook under podman (runc runtime) through --hooks-dir, on an
# imported busybox image with a 64M limit: /proc/meminfo says 64M.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
for t in podman runc python3 busybox; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
[ -x "$ROOT/$B/procviewd" ] || skip_all "$B/procviewd not built"
[ -x "$ROOT/$B/procview-hook" ] || skip_all "$B/procview-hook not built"
HOOK=$ROOT/$B/procview-hook
DAEMON=$ROOT/$B/procviewd
IMAGE=localhost/pvbusybox

W=$(mktemp -d /tmp/pv-hook-podman.XXXXXX)
MNT=$W/mnt
mkdir -p "$MNT" "$W/hooks.d"
on_exit "rm -rf '$W'"
daemons_on() { ps -eo pid=,args= | awk -v want="$DAEMON -f $1" '{ p = $1; $1 = ""; sub(/^ /, "") } $0 == want { print p }'; }
on_exit 'stop_hook_units "$MNT"; for p in $(daemons_on "$MNT"); do kill $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

if ! podman image exists "$IMAGE" 2>/dev/null; then
	sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs"
	tar -C "$W/rootfs" -c . | podman import -q - "$IMAGE" >/dev/null 2>"$W/import.err" ||
		skip_all "podman import failed: $(head -1 "$W/import.err")"
	on_exit "podman rmi -f '$IMAGE' >/dev/null 2>&1"
fi

# The installed hooks.d files, with the path and args rewritten for this tree.
for f in procview.json procview-poststop.json; do
	python3 - "$ROOT/hooks.d/$f" "$W/hooks.d/$f" "$HOOK" "$DAEMON" "$MNT" <<'PY'
import json, sys
src, dst, hook, daemon, mnt = sys.argv[1:]
h = json.load(open(src))
h["hook"]["path"] = hook
h["hook"]["args"] += ["--daemon", daemon, "--mountpoint", mnt]
json.dump(h, open(dst, "w"))
PY
done

prun() {
	podman --runtime runc --hooks-dir "$W/hooks.d" run --rm --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 "$@"
}

out=$(prun -m 64m "$IMAGE" sh -c 'grep ^MemTotal: /proc/meminfo; cat /sys/devices/system/cpu/online; free' 2>&1)
rc=$?
ok $rc "podman run with the hooks dir succeeds"
[ $rc = 0 ] || echo "$out" | sed 's/^/#   /'
is "$(echo "$out" | awk '$1 == "MemTotal:" { print $2 }')" 65536 "podman -m 64m: MemTotal 65536 kB"
is "$(daemons_on "$MNT" | wc -l)" 1 "the hook started the daemon"
# busybox free uses sysinfo(2), which no file can change: shown, not checked.
echo "# busybox free (sysinfo, host-wide): $(echo "$out" | awk '$1 == "Mem:" { print $2 }') kB"

# procps free reads /proc/meminfo: run the host's through a read-only
# bind of /usr (a tool mount, nothing procview needs) and it shows 64M.
if [ -x /usr/bin/free ]; then
	out=$(prun -m 64m -v /usr:/usr:ro -v /usr/lib:/lib:ro -v /usr/lib64:/lib64:ro "$IMAGE" /usr/bin/free -k 2>&1)
	is "$(echo "$out" | awk '$1 == "Mem:" { print $2 }')" 65536 "podman -m 64m: procps free shows 64M"
fi

out=$(prun -m 64m --cpuset-cpus 0 "$IMAGE" grep -c ^processor /proc/cpuinfo 2>&1)
is "$out" 1 "podman --cpuset-cpus 0: one processor"

out=$(prun -m 64m --annotation io.procview.disable=true "$IMAGE" grep ^MemTotal: /proc/meminfo 2>&1)
is "$(echo "$out" | awk '{ print $2 }')" "$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)" \
	"podman --annotation io.procview.disable=true: host MemTotal"
done_testing
