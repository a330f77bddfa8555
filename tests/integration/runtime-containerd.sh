#!/bin/sh
# procview-runtime under containerd for real (the Kubernetes path): a
# private containerd, `ctr run --runc-binary <shim> --memory-limit`. The
# shim gets no arguments there, so its settings come from runtime.conf,
# whose path PROCVIEW_RUNTIME_CONFIG gives (containerd's environment reaches
# its runc v2 shim and runc). Then the same with no procviewd running, so
# the hook starts one from under containerd-shim-runc-v2, a subreaper.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.lib"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for t in containerd ctr containerd-shim-runc-v2 runc python3; do
	command -v $t >/dev/null || skip_all "$t not installed (apt-get install containerd)"
done
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
for f in procviewd procview-hook procview-runtime; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"
SHIM=$ROOT/$B/procview-runtime
DAEMON=$ROOT/$B/procviewd

W=$(mktemp -d /tmp/pv-rt-ctr.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
REC=$W/records
CGP=pv-shim-ctr-$$
mkdir -p "$MNT" "$REC" "$W/c"
on_exit "rm_cgroup $CGP"
conf() { # conf MOUNTPOINT: runtime.conf for the shim
	cat >"$W/runtime.conf" <<CONF
# procview-runtime settings for this test
runtime = $(command -v runc)
hook = $ROOT/$B/procview-hook
hook-arg = --mountpoint=$1
hook-arg = --record-dir=$REC
hook-arg = --daemon=$DAEMON
CONF
}
conf "$MNT"
start_daemon "$MNT" || { done_testing; exit 1; }
export PROCVIEW_RUNTIME_CONFIG=$W/runtime.conf
start_containerd "$W/c" || { done_testing; exit 1; }
ok 0 "private containerd answers"

mk_image_rootfs "$W/bb" && mk_docker_archive "$W/bb.tar" pvt/busybox:1 "$W/bb-image.tar" &&
	$CTR images import "$W/bb-image.tar" >/dev/null
ok $? "ctr images import of a docker-save tarball"
IMG=$($CTR images ls -q | grep pvt/busybox | head -1)
is "$IMG" docker.io/pvt/busybox:1 "the image is there"

SHOW='grep "^MemTotal:" /proc/meminfo; echo "cpus $(grep -c ^processor /proc/cpuinfo)"
echo "meminfo-fs $(awk '"'"'$5 == "/proc/meminfo" { for (i = 7; $i != "-"; i++); print $(i + 1) }'"'"' /proc/self/mountinfo | tail -1)"'
field() { awk -v k="$1" '$1 == k || $1 == k":" { print $2 }' "$W/$2.out"; }
crun() { # crun NAME ARGS...: ctr run --rm with the shim, output in $W/NAME.out
	name=$1
	shift
	timeout 120 $CTR run --rm --runc-binary "$SHIM" --cgroup "/$CGP/$name" "$@" "$IMG" \
		"pvt-$$-$name" sh -c "$SHOW" >"$W/$name.out" 2>&1 </dev/null
}

# 1. A memory limit, no -v, procviewd already running.
crun mem --memory-limit 67108864
ok $? "ctr run --rm --runc-binary procview-runtime succeeds"
is "$(field MemTotal mem)" 65536 "ctr run --memory-limit 64M: MemTotal is 64 MB"
is "$(field meminfo-fs mem)" fuse.procviewd "ctr run: /proc/meminfo is procview's"
[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$W/mem.out"
is "$(ls -A "$REC" | wc -l)" 0 "its record is gone after it exited"

# 2. No daemon: the hook starts one from under containerd-shim-runc-v2.
MNT2=$W/mnt2
mkdir -p "$MNT2"
conf "$MNT2"
on_exit "stop_hook_units '$MNT2'; for p in \$(pgrep -f 'procviewd.* $MNT2\$'); do kill \$p; done; sleep 0.3; umount -l '$MNT2/containers' 2>/dev/null; umount -l '$MNT2' 2>/dev/null"
# Detached, so the daemon's parent can be seen while the container runs.
ID=pvt-$$-spawn
t0=$(date +%s%N)
timeout 120 $CTR run -d --runc-binary "$SHIM" --cgroup "/$CGP/spawn" --memory-limit 67108864 \
	"$IMG" "$ID" sleep 60 >"$W/spawn.out" 2>&1 </dev/null
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "no daemon: ctr run -d returns ($ms ms)"
timeout 30 $CTR task exec --exec-id show "$ID" sh -c "$SHOW" >"$W/spawn.out" 2>&1
is "$(field MemTotal spawn)" 65536 "no daemon: the hook started one and the limit shows"
dpid=$(pgrep -f "^[^ ]*procviewd( .*)? $MNT2\$" | head -1)
ok $([ -n "$dpid" ]; echo $?) "no daemon: a procviewd runs on the new mountpoint"
if [ -n "$dpid" ]; then
	ppid=$(awk '{ print $4 }' "/proc/$dpid/stat")
	echo "# while the container runs: procviewd $dpid, parent $ppid ($(cat /proc/$ppid/comm 2>/dev/null)), session $(awk '{ print $6 }' "/proc/$dpid/stat"), $(grep memory /proc/$dpid/cgroup)"
	! grep -q "$CGP" "/proc/$dpid/cgroup"
	ok $? "no daemon: the started procviewd is not in the container's cgroup"
fi
$CTR task kill -s KILL "$ID" >/dev/null 2>&1
for _ in $(seq 1 100); do
	$CTR task ls 2>/dev/null | grep -q "$ID.*RUNNING" || break
	sleep 0.1
done
t0=$(date +%s%N)
timeout 60 $CTR task delete "$ID" >/dev/null 2>&1
ok $? "no daemon: ctr task delete returns ($((($(date +%s%N) - t0) / 1000000)) ms)"
$CTR container delete "$ID" >/dev/null 2>&1
for _ in $(seq 1 100); do
	shims=$(pgrep -f "containerd-shim-runc-v2.*$W/c/sock")
	[ -z "$shims" ] && break
	sleep 0.1
done
is "$shims" "" "no daemon: containerd-shim-runc-v2 exited all the same"
if [ -n "$dpid" ]; then
	kill -0 "$dpid" 2>/dev/null
	ok $? "no daemon: the procviewd it started outlives the shim (parent now $(awk '{ print $4 }' "/proc/$dpid/stat" 2>/dev/null))"
fi
is "$(ls -A "$REC" | wc -l)" 0 "no daemon: the record is gone"

# 3. Nothing left behind but containerd and the daemons.
left=$(procs_under "$W" | while read -r p; do
	a=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
	[ "$p" = "$DAEMON_PID" ] || [ "$p" = "$CONTAINERD_PID" ] || [ "$p" = "$dpid" ] ||
		renderer_of "$p" "$DAEMON_PID" "$dpid" || echo "$p $a"
done)
is "$left" "" "no process left behind but containerd and the daemons"
is "$(cat /sys/fs/cgroup/memory/"$CGP"/*/cgroup.procs 2>/dev/null | wc -l)" 0 "no process left in the containers' cgroups"

done_testing
