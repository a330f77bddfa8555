# Shared shell helpers for integration tests: TAP output, a daemon on a
# private mountpoint, throwaway v1 cgroups, and cleanup on exit.
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T_N=0
T_FAIL=0
CLEANUP=""

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	T_N=$((T_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $T_N - $2"
	else
		echo "not ok $T_N - $2"
		T_FAIL=$((T_FAIL + 1))
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

need_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -c /dev/fuse ] || skip_all "no /dev/fuse"
	[ -x "$B/procviewd" ] || skip_all "$B/procviewd not built"
}

# start_daemon MNT [ARGS...]: procviewd -f on MNT, wait until it answers.
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
	for _ in $(seq 1 100); do
		[ -f "$mnt/proc/meminfo" ] && [ -d "$mnt/containers" ] &&
			grep -q " $mnt/containers " /proc/self/mountinfo && return 0
		sleep 0.05
	done
	echo "# procviewd did not answer on $mnt:"
	sed 's/^/#   /' "$mnt.log"
	return 1
}

# mk_cgroup NAME: create NAME in the v1 memory, cpu, cpuacct, cpuset,
# blkio and pids hierarchies. Sets CG_DIRS.
CGV1=/sys/fs/cgroup
mk_cgroup() {
	CG_DIRS=""
	for c in memory cpu cpuacct cpuset blkio pids; do
		d="$CGV1/$c/$1"
		[ -d "$CGV1/$c" ] || continue
		mkdir -p "$d"
		CG_DIRS="$CG_DIRS $d"
		on_exit "rmdir '$d' 2>/dev/null"
	done
	if [ -d "$CGV1/cpuset/$1" ]; then
		cat "$CGV1/cpuset/cpuset.cpus" >"$CGV1/cpuset/$1/cpuset.cpus"
		cat "$CGV1/cpuset/cpuset.mems" >"$CGV1/cpuset/$1/cpuset.mems"
	fi
}
# in_cgroup NAME CMD...: run CMD as a process inside the cgroup NAME.
ENTER_CG='n=$0
	for c in memory cpu cpuacct cpuset blkio pids; do
		[ -d /sys/fs/cgroup/$c/$n ] && echo $$ > /sys/fs/cgroup/$c/$n/cgroup.procs
	done
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
	sh -c 'for c in memory cpu cpuacct cpuset blkio pids; do
	           [ -d /sys/fs/cgroup/$c ] && echo $$ > /sys/fs/cgroup/$c/cgroup.procs
	       done
	       exec "$@"' sh "$@"
}
kv() { awk -v k="$1:" '$1 == k { print $2 }'; }
