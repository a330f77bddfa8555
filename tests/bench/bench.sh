#!/bin/sh
# make bench: native /proc, procview (per-reader and per-container) and
# lxcfs, measured in one run on this machine. Prints a table and writes
# $B/bench.csv. Figures are medians of repetitions; nothing is asserted.
set -u
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
[ "$(id -u)" = 0 ] || { echo "make bench: run as root" >&2; exit 1; }
RB="$ROOT/$B/bench/readbench"
REPS=${REPS:-5}
ITERS=${ITERS:-2000}
SAMPLED_ITERS=${SAMPLED_ITERS:-100}
FILES="meminfo cpuinfo stat uptime loadavg online"
CSV="$B/bench.csv"
W=$(mktemp -d /tmp/pv-bench.XXXXXX)
MNT="$W/mnt"
LXMNT="$W/lxcfs"
mkdir -p "$MNT" "$LXMNT"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	runc delete -f pvbench >/dev/null 2>&1
	sleep 0.3
	umount -l "$MNT/containers" 2>/dev/null
	umount -l "$MNT" 2>/dev/null
	umount -l "$W/mnt-relay/containers" 2>/dev/null
	umount -l "$W/mnt-relay" 2>/dev/null
	umount -l "$LXMNT" 2>/dev/null
	for d in /sys/fs/cgroup/*/pvbench; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT

path_of() { # path_of KIND FILE
	case "$1:$2" in
	native:online) echo /sys/devices/system/cpu/online ;;
	native:*) echo "/proc/$2" ;;
	reader:online) echo "$MNT/sys/devices/system/cpu/online" ;;
	reader:*) echo "$MNT/proc/$2" ;;
	lxcfs:online) echo "$LXMNT/sys/devices/system/cpu/online" ;;
	lxcfs:*) echo "$LXMNT/proc/$2" ;;
	esac
}

# The reader runs inside a cgroup with a 256M limit, as MACHINE.md measured.
CGS="memory cpu cpuacct cpuset blkio pids"
mkcg() {
	for c in $CGS; do
		[ -d /sys/fs/cgroup/$c ] || continue
		mkdir -p /sys/fs/cgroup/$c/pvbench/$1
	done
	[ -d /sys/fs/cgroup/cpuset/pvbench ] && {
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/pvbench/cpuset.cpus
		cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/pvbench/cpuset.mems
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/pvbench/$1/cpuset.cpus
		cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/pvbench/$1/cpuset.mems
	}
	echo $(((256 + ${2:-0}) << 20)) >/sys/fs/cgroup/memory/pvbench/$1/memory.limit_in_bytes
}
incg() { # incg NAME CMD...: run CMD inside pvbench/NAME
	_cg=$1
	shift
	sh -c 'for c in '"$CGS"'; do
		[ -d /sys/fs/cgroup/$c/pvbench/$0 ] && echo $$ > /sys/fs/cgroup/$c/pvbench/$0/cgroup.procs; done
		exec "$@"' "$_cg" "$@"
}

echo "procview bench: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2/1048576 }' /proc/meminfo), kernel $(uname -r), $(date -u +%Y-%m-%d)"
"$B/procviewd" -f --seccomp-socket "$W/seccomp.sock" "$MNT" >"$W/daemon.log" 2>&1 &
DPID=$!
PIDS="$PIDS $DPID"
for _ in $(seq 100); do [ -f "$MNT/proc/meminfo" ] && [ -d "$MNT/containers/." ] && break; sleep 0.05; done
HAVE_LXCFS=0
if command -v lxcfs >/dev/null; then
	lxcfs -f -p "$W/lxcfs.pid" "$LXMNT" >"$W/lxcfs.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 100); do [ -f "$LXMNT/proc/meminfo" ] && HAVE_LXCFS=1 && break; sleep 0.05; done
fi
mkcg r0

echo "kind,file,mode,median_us,min_us,max_us" >"$CSV"
measure() { # measure KIND MODE PATH... (runs in cgroup r0)
	kind=$1 mode=$2
	shift 2
	if [ "$mode" = hot ]; then args="--reps $REPS --iters $ITERS"; else args="--reps 3 --iters $SAMPLED_ITERS --sampled 10"; fi
	# shellcheck disable=SC2086
	incg r0 "$RB" $args "$@" | while read -r p med mn mx; do
		f=$(basename "$p")
		echo "$kind,$f,$mode,$med,$mn,$mx" >>"$CSV"
	done
}

# per-container: read from inside a runc container that the hook set up
CT_ROOT="$W/bundle"
mkdir -p "$CT_ROOT"
sh scripts/mkrootfs.sh "$CT_ROOT/rootfs" host-usr
mkdir -p "$CT_ROOT/rootfs/bench"
cp "$RB" "$W/readbench"
ct_measure() {
	mode=$1
	if [ "$mode" = hot ]; then args="--reps $REPS --iters $ITERS"; else args="--reps 3 --iters $SAMPLED_ITERS --sampled 10"; fi
	python3 scripts/mkbundle.py "$CT_ROOT" --host-usr --memory $((256 << 20)) \
		--bind "$W:/bench" --hook "$B/procview-hook" --daemon "$B/procviewd" --mountpoint "$MNT" \
		-- /bench/readbench $args /proc/meminfo /proc/cpuinfo /proc/stat /proc/uptime /proc/loadavg /sys/devices/system/cpu/online
	(cd "$CT_ROOT" && runc run pvbench) 2>"$W/ct.err" | while read -r p med mn mx; do
		echo "container,$(basename "$p"),$mode,$med,$mn,$mx" >>"$CSV"
	done
}

for mode in hot sampled; do
	echo "measuring read latency ($mode)..."
	for kind in native reader; do
		# shellcheck disable=SC2046
		measure $kind $mode $(for f in $FILES; do path_of $kind $f; done)
	done
	[ $HAVE_LXCFS = 1 ] && measure lxcfs $mode $(for f in $FILES; do path_of lxcfs $f; done)
	[ -x "$B/procview-hook" ] && ct_measure $mode
done

# Kernels before 6.9 (no FUSE_NOTIFY_RESEND): the holder relays every
# request to the renderer (PROCVIEW_NO_RESEND=1 takes that path here), one
# more hop than the direct per-reader reads just measured.
RMNT="$W/mnt-relay"
mkdir -p "$RMNT"
PROCVIEW_NO_RESEND=1 "$B/procviewd" -f --no-seccomp --record-dir "$W/rec-relay" "$RMNT" >"$W/relay.log" 2>&1 &
PIDS="$PIDS $!"
for _ in $(seq 100); do [ -f "$RMNT/proc/meminfo" ] && break; sleep 0.05; done
echo "measuring the no-RESEND relay (hot)..."
measure relayed hot "$RMNT/proc/meminfo" "$RMNT/proc/stat"
measure reader hot "$MNT/proc/meminfo" "$MNT/proc/stat"

# sysinfo(2): native, then answered by procviewd through a seccomp notify
# fd, in the same process (the 256M cgroup r0); and the CONTINUE path of a
# process in the root cgroups, which procviewd hands back to the kernel.
echo "measuring sysinfo latency (native against notified)..."
SB="$ROOT/$B/bench/sysinfobench"
for i in $(seq ${SYSINFO_RUNS:-5}); do
	incg r0 "$SB" "$W/seccomp.sock" 20000 >>"$W/sysinfo-limited.txt"
	sh -c 'for c in '"$CGS"'; do [ -d /sys/fs/cgroup/$c ] && echo $$ > /sys/fs/cgroup/$c/cgroup.procs; done
		exec "$@"' sh "$SB" "$W/seccomp.sock" 20000 >>"$W/sysinfo-host.txt"
done
smed() { tr ' ' '\n' <"$1" | awk -F= -v k="$2" '$1 == k { print $2 }' | sort -n |
	awk '{ a[NR] = $1 } END { if (NR) printf "%.2f", a[int((NR + 1) / 2)] }'; }
echo "sysinfo,native,256M,$(smed "$W/sysinfo-limited.txt" native_us),," >>"$CSV"
echo "sysinfo,notified,256M,$(smed "$W/sysinfo-limited.txt" notified_us),," >>"$CSV"
echo "sysinfo,continue,host,$(smed "$W/sysinfo-host.txt" notified_us),," >>"$CSV"

# hook cost: runc run of a trivial container without any hook, with a
# no-op /bin/true createRuntime hook (what any hook costs runc: a fork and
# an exec), with procview-hook at createRuntime (the start cost), and with
# its poststop too (runs after exit). Runs are interleaved so drift hits
# all four alike; procview-hook's own cost is "start" minus "noop".
echo "measuring the hook's cost on runc run..."
for v in none noop start both; do
	mkdir -p "$W/hb-$v"
	sh scripts/mkrootfs.sh "$W/hb-$v/rootfs"
done
python3 scripts/mkbundle.py "$W/hb-none" --memory $((64 << 20)) -- /bin/true
python3 scripts/mkbundle.py "$W/hb-noop" --memory $((64 << 20)) --hook /bin/true --no-poststop -- /bin/true
python3 scripts/mkbundle.py "$W/hb-start" --memory $((64 << 20)) --hook "$B/procview-hook" --daemon "$B/procviewd" --mountpoint "$MNT" --record-dir "$W/records" --no-poststop -- /bin/true
python3 scripts/mkbundle.py "$W/hb-both" --memory $((64 << 20)) --hook "$B/procview-hook" --daemon "$B/procviewd" --mountpoint "$MNT" --record-dir "$W/records" -- /bin/true
for i in $(seq ${HOOK_RUNS:-31}); do
	for v in none noop start both; do
		t0=$(date +%s%N)
		(cd "$W/hb-$v" && runc run "pvbench-$v-$i" >/dev/null 2>&1)
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$W/hook-$v.us"
	done
done
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'; }
echo "hook,runc-run,without,$(med "$W/hook-none.us"),," >>"$CSV"
echo "hook,runc-run,noop-hook,$(med "$W/hook-noop.us"),," >>"$CSV"
echo "hook,runc-run,with,$(med "$W/hook-start.us"),," >>"$CSV"
echo "hook,runc-run,with-poststop,$(med "$W/hook-both.us"),," >>"$CSV"

# scale: per-reader latency with 1, 100 and 1000 live cgroups known to the daemon
echo "measuring scale (1, 100, 1000 cgroups)..."
have=1
for n in 1 100 1000; do
	while [ $have -lt $n ]; do
		mkcg "s$have" $((have % 512))
		incg "s$have" cat "$MNT/proc/meminfo" >/dev/null
		have=$((have + 1))
	done
	incg r0 "$RB" --reps $REPS --iters $ITERS "$MNT/proc/meminfo" | while read -r p med mn mx; do
		echo "scale,meminfo,$n,$med,$mn,$mx" >>"$CSV"
	done
done

# idle CPU over 30 s with 100 containers registered and nobody reading,
# and RSS with 1000 registered
echo "measuring idle CPU (30 s) and RSS..."
SLEEPERS=""
register() { # register N: N sleeping processes in their own cgroups, each looked up once
	i=0
	while [ $i -lt "$1" ]; do
		mkcg "c$i"
		sh -c 'for c in '"$CGS"'; do
			[ -d /sys/fs/cgroup/$c/pvbench/$0 ] && echo $$ > /sys/fs/cgroup/$c/pvbench/$0/cgroup.procs; done
			exec sleep 600' "c$i" &
		SLEEPERS="$SLEEPERS $!"
		i=$((i + 1))
	done
	sleep 0.5
	for p in $SLEEPERS; do
		st=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$p/stat 2>/dev/null)
		cat "$MNT/containers/$p-$st/proc/meminfo" >/dev/null 2>&1
	done
}
register 100
PIDS="$PIDS $SLEEPERS"
sleep 11 # let idle per-reader entries age past the sampler's first pass
t0=$(awk '{ print $14 + $15 }' /proc/$DPID/stat)
sleep 30
t1=$(awk '{ print $14 + $15 }' /proc/$DPID/stat)
IDLE=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) / hz / 30 * 100 }')
echo "idle,cpu-percent,100-containers,$IDLE,," >>"$CSV"
for p in $SLEEPERS; do kill "$p" 2>/dev/null; done
SLEEPERS=""
register 1000
PIDS="$PIDS $SLEEPERS"
RSS=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$DPID/status)
echo "rss,MiB,1000-containers,$RSS,," >>"$CSV"
for p in $SLEEPERS; do kill "$p" 2>/dev/null; done

# issue 14: contention between containers, and 10,000 containers churned
MNT="$MNT" DPID="$DPID" CSV="$CSV" B="$B" sh tests/bench/harden.sh
# procview-runtime under Docker (its own dockerd; skipped without docker.io)
B=$B CSV="$ROOT/$CSV" sh tests/bench/shim.sh

python3 tests/bench/report.py "$CSV"
