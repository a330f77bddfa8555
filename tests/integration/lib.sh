# Shared shell helpers for integration tests: TAP output, a daemon on a
# private mountpoint, throwaway cgroups (v1 or v2), and cleanup on exit.
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T_N=0
T_FAIL=0
CLEANUP=""

ok() { # ok COND-EXIT-STATUS DESCRIPTION; returns non-zero on a failure
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAIL=$((T_FAIL + 1))
		return 1
	fi
}
is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		echo "#   got:  '$1'"
		echo "#   want: '$2'"
	fi
}
skip_all() {
	echo "# SKIP $*"
	exit 77
}
done_testing() {
	echo "1..$T_N"
	[ "$T_FAIL" = 0 ]
}
on_exit() { CLEANUP="$*; $CLEANUP"; }
run_cleanup() { eval "$CLEANUP"; }
trap run_cleanup EXIT
# Stopped from outside (run.sh's TEST_TIMEOUT): clean up all the same.
trap 'exit 143' TERM

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse"
	[ -x "$B/procviewd" ] || skip_all "$B/procviewd not built"
}

# start_daemon MNT [ARGS...]: procviewd -f on MNT, wait until it answers.
# start_daemon MNT [ARGS...]: procviewd -f on MNT, wait until it answers.
# daemon_tree PID: a procviewd holder and its renderer (its child). A
# "stopped daemon" is both stopped: the renderer alone still serves.
daemon_tree() { echo "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); }
# renderer_of PID HOLDER...: PID is the renderer of one of the holders.
renderer_of() {
	_pp=$(awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null)
	shift
	for _h in "$@"; do [ -n "$_h" ] && [ "$_pp" = "$_h" ] && return 0; done
	return 1
}

start_daemon() {
	mnt=$1
	shift
	# A private seccomp socket unless the test names one: tests never
	# touch the global /run/procview/seccomp.sock.
	case " $* " in
	*" --seccomp-socket "* | *" --no-seccomp "*) ;;
	*) set -- --seccomp-socket "$mnt.seccomp.sock" "$@" ;;
	esac
	"$B/procviewd" -f "$@" "$mnt" >"$mnt.log" 2>&1 &
	DAEMON_PID=$!
	on_exit "kill $DAEMON_PID 2>/dev/null; sleep 0.2; umount -l '$mnt/containers' 2>/dev/null; umount -l '$mnt' 2>/dev/null; rm -f '$mnt.log'"
	for _ in $(seq 1 300); do
		[ -f "$mnt/proc/meminfo" ] && [ -d "$mnt/containers" ] &&
			grep -q " $mnt/containers " /proc/self/mountinfo && return 0
		sleep 0.1
	done
	echo "# procviewd did not answer on $mnt:"
	sed 's/^/#   /' "$mnt.log"
	return 1
}

# Throwaway cgroups on either layout. CG_V2 is set on a pure cgroup v2
# host (systemd's unified layout); otherwise the v1 hierarchies under
# /sys/fs/cgroup/<controller>/ are used (v1 or hybrid). NAME may be nested
# (parent/child); the helpers take NAME, not a path.
CGROOT=/sys/fs/cgroup
CGV1=$CGROOT
CG_V1_CTRLS="memory cpu cpuacct cpuset blkio pids"
CG_V2_CTRLS="cpu cpuset io memory pids"
CG_V2=""
[ -f "$CGROOT/cgroup.controllers" ] && CG_V2=1

# cg_dir NAME CONTROLLER: the directory holding CONTROLLER's files for NAME.
cg_dir() {
	if [ -n "$CG_V2" ]; then echo "$CGROOT/$1"; else echo "$CGROOT/$2/$1"; fi
}
# cg_rmdir DIR: remove a cgroup, waiting a little for killed members to go.
cg_rmdir() {
	for _ in $(seq 1 50); do
		[ -d "$1" ] || return 0
		rmdir "$1" 2>/dev/null && return 0
		sleep 0.1
	done
}
# v2: each ancestor of NAME hands its controllers down (subtree_control).
cg_v2_enable() {
	d=$CGROOT
	for part in $(echo "$1" | tr / ' '); do
		for c in $CG_V2_CTRLS; do
			grep -qw "$c" "$d/cgroup.controllers" || continue
			grep -qw "$c" "$d/cgroup.subtree_control" || echo "+$c" >"$d/cgroup.subtree_control"
		done
		d=$d/$part
	done
}
# mk_cgroup NAME: create NAME (and missing parents) with memory, cpu,
# cpuset, io/blkio and pids, removed on exit. A new v1 cpuset copies its
# parent's CPUs and memory nodes (v1 starts them empty). Sets CG_DIRS.
mk_cgroup() {
	case "$1" in */*) mk_cgroup "${1%/*}" ;; esac
	CG_DIRS=""
	if [ -n "$CG_V2" ]; then
		cg_v2_enable "$1"
		[ -d "$CGROOT/$1" ] || { mkdir "$CGROOT/$1" && on_exit "cg_rmdir '$CGROOT/$1'"; }
		CG_DIRS=$CGROOT/$1
		return
	fi
	for c in $CG_V1_CTRLS; do
		d="$CGV1/$c/$1"
		[ -d "$CGV1/$c" ] || continue
		CG_DIRS="$CG_DIRS $d"
		[ -d "$d" ] && continue
		mkdir "$d" || continue
		on_exit "cg_rmdir '$d'"
		if [ "$c" = cpuset ]; then
			cat "${d%/*}/cpuset.cpus" >"$d/cpuset.cpus"
			cat "${d%/*}/cpuset.mems" >"$d/cpuset.mems"
		fi
	done
}
# cg_memory NAME BYTES: the memory limit (memory.limit_in_bytes, memory.max).
cg_memory() {
	if [ -n "$CG_V2" ]; then echo "$2" >"$CGROOT/$1/memory.max"; else
		echo "$2" >"$CGV1/memory/$1/memory.limit_in_bytes"
	fi
}
# cg_cpuset NAME LIST: the CPUs NAME may run on.
cg_cpuset() { echo "$2" >"$(cg_dir "$1" cpuset)/cpuset.cpus"; }
# cg_quota NAME QUOTA_US|max [PERIOD_US]: CFS bandwidth (cpu.max on v2).
cg_quota() {
	if [ -n "$CG_V2" ]; then
		echo "$2 ${3:-100000}" >"$CGROOT/$1/cpu.max"
	else
		echo "${3:-100000}" >"$CGV1/cpu/$1/cpu.cfs_period_us"
		if [ "$2" = max ]; then echo -1; else echo "$2"; fi >"$CGV1/cpu/$1/cpu.cfs_quota_us"
	fi
}
# rm_cgroup NAME [PID...]: move PIDs back to the root cgroups, remove NAME.
rm_cgroup() {
	name=$1
	shift
	if [ -n "$CG_V2" ]; then
		for p in "$@"; do echo "$p" >"$CGROOT/cgroup.procs"; done
		rmdir "$CGROOT/$name"
		return
	fi
	for c in $CG_V1_CTRLS; do
		[ -d "$CGV1/$c/$name" ] || continue
		for p in "$@"; do echo "$p" >"$CGV1/$c/cgroup.procs"; done
		rmdir "$CGV1/$c/$name" || return 1
	done
}
# in_cgroup NAME CMD...: run CMD as a process inside the cgroup NAME.
ENTER_CG='n=$0
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo $$ > /sys/fs/cgroup/$n/cgroup.procs
	else
		for c in memory cpu cpuacct cpuset blkio pids; do
			[ -d /sys/fs/cgroup/$c/$n ] && echo $$ > /sys/fs/cgroup/$c/$n/cgroup.procs
		done
	fi
	exec "$@"'
in_cgroup() {
	name=$1
	shift
	sh -c "$ENTER_CG" "$name" "$@"
}
# spawn_in_cgroup NAME CMD...: like in_cgroup, in the background; the
# process's pid is in SPAWNED (the command itself, not a subshell).
spawn_in_cgroup() {
	name=$1
	shift
	sh -c "$ENTER_CG" "$name" "$@" &
	SPAWNED=$!
}
# as_host CMD...: run CMD from the root cgroups (the host's view).
as_host() {
	sh -c 'if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	           echo $$ > /sys/fs/cgroup/cgroup.procs
	       else
	           for c in memory cpu cpuacct cpuset blkio pids; do
	               [ -d /sys/fs/cgroup/$c ] && echo $$ > /sys/fs/cgroup/$c/cgroup.procs
	           done
	       fi
	       exec "$@"' sh "$@"
}
# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds. Slow
# machines and emulated guests: never assume how long something takes.
wait_for() {
	n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}
# emulated: a guest under QEMU's software emulation (check-vm without
# KVM), where everything runs ten to twenty times slower than on a host.
emulated() { [ "$(systemd-detect-virt --vm 2>/dev/null)" = qemu ]; }
# hook_unit MNT: the transient unit procview-hook starts for MNT through
# systemd (systemd as PID 1, a mountpoint other than the installed one).
hook_unit() { echo "procview-$(printf %s "$1" | sha256sum | cut -c1-8).service"; }
# stop_hook_units MNT...: stop those units. Their Restart=always brings a
# killed daemon back, so tests stop them rather than kill their daemons.
stop_hook_units() {
	[ -d /run/systemd/system ] && [ $# -gt 0 ] || return 0
	units=""
	for m in "$@"; do units="$units $(hook_unit "$m")"; done
	# One call each: systemctl is slow in an emulated guest.
	systemctl stop $units >/dev/null 2>&1
	systemctl reset-failed $units >/dev/null 2>&1
	return 0
}
kv() { awk -v k="$1:" '$1 == k { print $2 }'; }
