#!/bin/sh
# The procview admin CLI: usage errors, `show` against real cgroups
# (computed in-process, no daemon), and `status`/`heal` against a daemon on
# a private mountpoint. Never touches /var/lib/procview.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

[ -x "$B/procview" ] || skip_all "$B/procview not built"
PV=$B/procview
W=$(mktemp -d)
on_exit "rm -rf '$W'"

# --- usage ----------------------------------------------------------------
want_version=$(sed -n 's/.*PROCVIEW_VERSION "\(.*\)"/\1/p' lib/util.h)
is "$("$PV" --version)" "procview $want_version" "--version"
"$PV" --help >"$W/out" 2>&1
ok $? "--help exits 0"
grep -q status "$W/out" && grep -q show "$W/out" && grep -q heal "$W/out"
ok $? "--help lists status, show and heal"
"$PV" frobnicate >"$W/out" 2>"$W/err"
is "$?" 2 "an unknown command exits 2"
is "$(wc -l <"$W/err" | tr -d ' '):$(grep -c frobnicate "$W/err")" "1:1" \
	"... with one line naming it"
"$PV" --frob status >/dev/null 2>"$W/err"
is "$?" 2 "an unknown option exits 2"
"$PV" >/dev/null 2>&1
is "$?" 2 "no command exits 2"
"$PV" show >/dev/null 2>&1
is "$?" 2 "show without a pid exits 2"
"$PV" --mountpoint relative status >/dev/null 2>&1
is "$?" 2 "a relative --mountpoint exits 2"

# --- show: errors -----------------------------------------------------------
"$PV" show 12x meminfo >/dev/null 2>"$W/err"
is "$?:$(grep -c "'12x'" "$W/err")" "1:1" "show 12x: exit 1 naming '12x'"
sleep 0 &
gone=$!
wait $gone
"$PV" show $gone meminfo >/dev/null 2>"$W/err"
is "$?:$(grep -c "$gone" "$W/err")" "1:1" "show of a pid that has exited: exit 1 naming it"
"$PV" show $$ bogusinfo >/dev/null 2>"$W/err"
is "$?:$(grep -c bogusinfo "$W/err")" "1:1" "an unknown FILE: exit 1 naming it"

# --- show: the host ---------------------------------------------------------
as_host sleep 30 &
HOSTPID=$!
on_exit "kill $HOSTPID 2>/dev/null; wait $HOSTPID 2>/dev/null"
host_total=$(kv MemTotal </proc/meminfo)
got=$("$PV" show $HOSTPID meminfo | kv MemTotal)
is "$got" "$host_total" "show of a host process: MemTotal is the host's"
is "$("$PV" show $HOSTPID online)" "$(cat /sys/devices/system/cpu/online)" \
	"show of a host process: online is the host's"
"$PV" show $HOSTPID >"$W/all"
ok $? "show PID with no FILE exits 0"
is "$(head -1 "$W/all")" "==> proc/meminfo <==" "... and starts with the meminfo header"
n=$(grep -c '^==> .* <==$' "$W/all")
[ "$n" -ge 10 ]
ok $? "... and has a header for every file ($n)"
grep -q '^==> sys/devices/system/cpu/online <==$' "$W/all"
ok $? "... including sys/devices/system/cpu/online"

# --- show: a process in a limited cgroup -----------------------------------
[ "$(id -u)" = 0 ] || {
	done_testing
	exit
}
NAME=pvtest-cli-$$
CG=""
if [ -d "$CGV1/memory" ] && [ ! -f "$CGV1/cgroup.controllers" ]; then
	CG=$CGV1/memory/$NAME
	mkdir "$CG" && echo 256M >"$CG/memory.limit_in_bytes"
	MEMCG_OK=$?
	CPUSET=""
	if [ -d "$CGV1/cpuset" ]; then
		CPUSET=$CGV1/cpuset/$NAME
		mkdir "$CPUSET" && echo 0 >"$CPUSET/cpuset.cpus" &&
			cat "$CGV1/cpuset/cpuset.mems" >"$CPUSET/cpuset.mems"
	fi
elif [ -f "$CGV1/cgroup.controllers" ] && grep -qw memory "$CGV1/cgroup.subtree_control"; then
	CG=$CGV1/$NAME
	mkdir "$CG" && echo 256M >"$CG/memory.max"
	MEMCG_OK=$?
	CPUSET=""
	grep -qw cpuset "$CGV1/cgroup.subtree_control" && echo 0 >"$CG/cpuset.cpus" && CPUSET=$CG
fi
if [ -n "$CG" ] && [ "$MEMCG_OK" = 0 ]; then
	on_exit "rmdir '$CG' 2>/dev/null; [ -n '$CPUSET' ] && rmdir '$CPUSET' 2>/dev/null"
	sh -c 'for d in "$@"; do [ -n "$d" ] && echo $$ >"$d/cgroup.procs"; done; exec sleep 30' \
		sh "$CG" "$CPUSET" &
	LIMITED=$!
	on_exit "kill $LIMITED 2>/dev/null; wait $LIMITED 2>/dev/null"
	sleep 0.2
	is "$("$PV" show $LIMITED meminfo | kv MemTotal)" 262144 \
		"show of a process in a 256M memory cgroup: MemTotal 262144 kB"
	is "$("$PV" show $LIMITED /proc/meminfo | kv MemTotal)" 262144 \
		"FILE as /proc/meminfo names the same file"
	online=$("$PV" show $LIMITED online)
	if [ -n "$CPUSET" ]; then
		is "$online" 0 "show PID online in a one-CPU cpuset: 0"
		is "$("$PV" show $LIMITED sys/devices/system/cpu/online)" 0 \
			"FILE as sys/devices/system/cpu/online names the same file"
		is "$("$PV" show $LIMITED cpuinfo | grep -c '^processor')" 1 \
			"show PID cpuinfo in a one-CPU cpuset: one processor"
	else
		echo "$online" | grep -Eqx '0(-[0-9]+)?'
		ok $? "show PID online: '$online' is 0 or 0-N"
	fi
else
	ok 0 "show of a process in a memory cgroup # SKIP no writable memory cgroup"
fi

# --- status and heal against a daemon -----------------------------------------
if [ ! -c /dev/fuse ] || [ ! -x "$B/procviewd" ]; then
	ok 0 "status # SKIP no /dev/fuse or $B/procviewd"
	done_testing
	exit
fi
MNT=$(mktemp -d)
# A SIGKILLed daemon leaves its pid file behind.
on_exit "rmdir '$MNT' 2>/dev/null; rm -f '/run/procview/daemon.$(echo "$MNT" | tr / _).pid'"
"$PV" --mountpoint "$MNT" status >"$W/out" 2>&1
is "$?" 3 "status with no daemon on the mountpoint exits 3"
grep -q "^procviewd: not running" "$W/out"
ok $? "... and says not running"
"$PV" --mountpoint "$MNT" heal >/dev/null 2>&1
is "$?" 1 "heal with no daemon exits 1"

if start_daemon "$MNT"; then
	"$PV" --mountpoint "$MNT" status >"$W/out" 2>&1
	is "$?" 0 "status with a daemon exits 0"
	grep -qx "procviewd: running" "$W/out"
	ok $? "... says running"
	grep -qx "pid: $DAEMON_PID" "$W/out"
	ok $? "... shows the daemon's pid $DAEMON_PID"
	RPID=$(sed -n 's/^renderer pid: \([0-9]*\)$/\1/p' "$W/out")
	[ -n "$RPID" ] && [ "$RPID" != "$DAEMON_PID" ] && [ "$(awk '{ print $4 }' /proc/$RPID/stat)" = "$DAEMON_PID" ]
	ok $? "... and its renderer's pid $RPID, a child of it"
	grep -qx "mountpoint: $MNT" "$W/out"
	ok $? "... shows the mountpoint"
	grep -qx "version: $want_version" "$W/out"
	ok $? "... shows the version"
	grep -Eq "^uptime: [0-9]+s" "$W/out"
	ok $? "... shows the uptime"
	grep -qx "containers: 0" "$W/out"
	ok $? "... counts no containers on a fresh mountpoint"
	"$PV" status --mountpoint "$MNT/" >"$W/out2" 2>&1
	is "$?" 0 "--mountpoint after the command, with a trailing slash"
	[ "$?" = 0 ] || sed 's/^/#   /' "$W/out" "$W/out2"
	"$PV" --mountpoint "$MNT" heal >"$W/out" 2>&1
	is "$?:$(sed -n 's/^containers: //p' "$W/out")" "0:0" "heal with a daemon and no records: exit 0, 0 containers"

	# Records as the hook writes them: one live container on MNT, one dead,
	# one on another mountpoint. Only the first counts. (Removed before any
	# heal could try to attach into the host process it names.)
	R=/run/procview/containers/pvtest-cli-$$
	mkdir -p /run/procview/containers
	on_exit "rm -f '$R-live' '$R-dead' '$R-other'"
	rec() { # rec FILE PID STARTTIME MOUNTPOINT
		printf '{"id": "%s", "pid": %s, "starttime": "%s", "rootfs": "/", "mountpoint": "%s", "files": ["proc/meminfo"]}\n' \
			"$(basename "$1")" "$2" "$3" "$4" >"$1"
	}
	st=$(awk '{ print $22 }' /proc/$HOSTPID/stat)
	rec "$R-live" $HOSTPID "$st" "$MNT"
	rec "$R-dead" $HOSTPID $((st + 1)) "$MNT"
	rec "$R-other" $HOSTPID "$st" "/nonexistent/pvtest-cli-$$"
	"$PV" --mountpoint "$MNT" status >"$W/out" 2>&1
	grep -qx "containers: 1" "$W/out"
	ok $? "status counts the live containers recorded for its mountpoint only"
	[ "$?" = 0 ] || sed 's/^/#   /' "$W/out"
	rm -f "$R-live" "$R-dead" "$R-other"

	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	"$PV" --mountpoint "$MNT" status >"$W/out" 2>&1
	is "$?" 3 "status after the daemon was killed exits 3"
	grep -q "^procviewd: not running (stale mount" "$W/out"
	ok $? "... and reports the stale mount"
else
	ok 1 "procviewd starts on $MNT"
fi

done_testing
