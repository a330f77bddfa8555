#!/bin/sh
# procview-hook's time budget: whatever state the daemon is in (stopped,
# dead with its mount left behind, absent, unstartable, never answering),
# the hook exits within its budget (5 s, or half the runtime's timeout for
# it), 0 (fail-open) or 3 (strict).
# Elapsed times are only checked against the budget plus a second of
# slack for a loaded machine: that is the behaviour, not a speed claim.
. "$(dirname "$0")/lib.sh"
need_root
HOOK=$ROOT/$B/procview-hook
[ -x "$HOOK" ] || skip_all "$B/procview-hook not built"
command -v unshare >/dev/null || skip_all "no unshare"

W=$(mktemp -d /tmp/pv-hook-budget.XXXXXX)
on_exit "rm -rf '$W'"
RECORDS=$W/records
LIMIT_MS=6000
SLEEPERS=""
on_exit 'for p in $SLEEPERS; do kill $p 2>/dev/null; done'

new_ns() {
	# stdout away: a sleeper holding a pipe would stall whoever reads it.
	unshare -m --propagation private sleep 300 >/dev/null 2>&1 &
	NS_PID=$!
	SLEEPERS="$SLEEPERS $NS_PID"
	for _ in $(seq 1 100); do
		[ "$(readlink /proc/$NS_PID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.02
	done
}
mkdir -p "$W/b"
echo '{"ociVersion":"1.0.2","root":{"path":"/"},"mounts":[]}' >"$W/b/config.json"
state() { printf '{"ociVersion":"1.0.2","id":"%s","status":"creating","pid":%s,"bundle":"%s"}' "$1" "$2" "$W/b"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# With systemd as PID 1 the hook starts a transient unit per mountpoint,
# and its Restart=always brings a dead daemon back, where a spawned one
# stays dead: each case starts with no unit, as it starts with no daemon.
stop_units() { stop_hook_units "$W/stopped" "$W/dead" "$W/none" "$W/half"; }
on_exit stop_units

daemons_on_mnt() { ps -eo pid=,args= | awk -v m="$1" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
# timed NAME GREP ARGS...: run the hook on a fresh "container", check its
# elapsed time and its message (GREP empty: no message expected).
timed() {
	name=$1 msg=$2
	shift 2
	stop_units
	new_ns
	t0=$(ms)
	# Through a pipe, like runc: the time counts until its stderr closes.
	state "$name" "$NS_PID" | "$HOOK" createRuntime --record-dir "$RECORDS" "$@" 2>&1 | cat >"$W/err"
	t1=$(ms)
	el=$((t1 - t0))
	[ "$el" -lt "$LIMIT_MS" ]
	ok $? "$name: over within the budget (${el} ms < ${LIMIT_MS})"
	if [ -n "$msg" ]; then
		grep -q "$msg" "$W/err"
		ok $? "$name: says why ($(head -c 300 "$W/err"))"
	fi
}
exits() { # exits WANT NAME ARGS...: the hook's exit status is WANT
	want=$1 name=$2
	shift 2
	stop_units
	new_ns
	state "$name" "$NS_PID" >"$W/state.json"
	"$HOOK" createRuntime --record-dir "$RECORDS" "$@" <"$W/state.json" >/dev/null 2>&1
	is $? "$want" "$name: exit $want"
}

UNSTARTABLE=$W/unstartable
printf '#!/bin/sh\nexit 1\n' >"$UNSTARTABLE"
chmod +x "$UNSTARTABLE"
SILENT=$W/silent # starts, never mounts
printf '#!/bin/sh\necho $$ >"%s/silent.pid"\nexec sleep 30\n' "$W" >"$SILENT"
chmod +x "$SILENT"
on_exit 'p=$(cat "$W/silent.pid" 2>/dev/null); [ -n "$p" ] && kill $p 2>/dev/null'

# 1. A SIGSTOPped daemon: its mount is there, nothing answers.
M1=$W/stopped
mkdir -p "$M1"
start_daemon "$M1" || exit 1
STOPPED=$(daemon_tree "$DAEMON_PID")
on_exit "kill -CONT $STOPPED 2>/dev/null"
kill -STOP $STOPPED
timed stopped "did not answer within" --mountpoint "$M1" --daemon "$ROOT/$B/procviewd"
exits 0 stopped-rc --mountpoint "$M1" --daemon "$ROOT/$B/procviewd"
exits 3 stopped-strict --mountpoint "$M1" --daemon "$ROOT/$B/procviewd" --strict
# --no-start goes straight to open_tree on the hung mount: only the
# watchdog ends that wait.
timed stopped-nostart "giving up" --mountpoint "$M1" --no-start
exits 0 stopped-nostart-rc --mountpoint "$M1" --no-start
exits 3 stopped-nostart-strict --mountpoint "$M1" --no-start --strict
# The watchdog's line reaches syslog too: runc and podman drop the stderr
# of a hook that exits 0. A private /dev whose /dev/log is a listener.
cat >"$W/syslog.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1], "w").close()
s.settimeout(20)
got = []
try:
    while not any("giving up" in g for g in got):
        got.append(s.recv(4096).decode(errors="replace"))
except socket.timeout:
    pass
print("\n".join(got) or "nothing")
PY
stop_units
new_ns
state stopped-syslog "$NS_PID" >"$W/state.json"
unshare -m --propagation private sh -c '
	mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 1
	python3 "$1/syslog.py" "$1/syslog.ready" >"$1/syslog" &
	for _ in $(seq 200); do [ -e "$1/syslog.ready" ] && break; sleep 0.05; done
	"$2" createRuntime --record-dir "$3" --mountpoint "$4" --no-start <"$1/state.json" >/dev/null 2>&1
	wait' sh "$W" "$HOOK" "$RECORDS" "$M1"
grep -q 'procview-hook\[[0-9]*\]: container stopped-syslog: still not done after [0-9]* ms, giving up' "$W/syslog"
ok $? "the watchdog's line goes to syslog too ($(tr '\n' ' ' <"$W/syslog" | head -c 300))"
# 1b. The budget follows the runtime's timeout for this hook (half of
# it): a config.json whose createRuntime hook is this one, by a link, with
# timeout 2 gives up at 900 ms; with 16, at 7200 ms, past the default.
with_timeout() { # with_timeout PATH SECONDS
	printf '{"ociVersion":"1.0.2","root":{"path":"/"},"mounts":[],"hooks":{"createRuntime":[{"path":"%s","timeout":%s}]}}' \
		"$1" "$2" >"$W/b/config.json"
}
ln -s "$HOOK" "$W/hook-link"
with_timeout "$W/hook-link" 2
LIMIT_MS=2000
timed stopped-timeout2 "still not done after 900 ms" --mountpoint "$M1" --no-start
with_timeout "$HOOK" 16
LIMIT_MS=9000
timed stopped-timeout16 "still not done after 7200 ms" --mountpoint "$M1" --no-start
[ "$el" -ge 7200 ]
ok $? "stopped-timeout16: waited past the default budget (${el} ms)"
echo '{"ociVersion":"1.0.2","root":{"path":"/"},"mounts":[]}' >"$W/b/config.json"
LIMIT_MS=6000
kill -CONT $STOPPED

# 2. A killed daemon's mount (ENOTCONN) and a daemon that cannot start.
M2=$W/dead
mkdir -p "$M2"
start_daemon "$M2" || exit 1
kill -9 "$DAEMON_PID"
sleep 0.2
grep -q " $M2 " /proc/self/mountinfo
ok $? "dead: the dead daemon's mount is left behind"
timed dead-unstartable "exited before answering" --mountpoint "$M2" --daemon "$UNSTARTABLE"
exits 3 dead-strict --mountpoint "$M2" --daemon "$UNSTARTABLE" --strict
timed dead-silent "did not answer on $M2 before the hook's deadline" --mountpoint "$M2" --daemon "$SILENT"
kill "$(cat "$W/silent.pid")" 2>/dev/null

# 3. No daemon at all, and nothing to start.
M3=$W/none
mkdir -p "$M3"
timed none-missing "cannot run $W/nope" --mountpoint "$M3" --daemon "$W/nope"
exits 3 none-missing-strict --mountpoint "$M3" --daemon "$W/nope" --strict
timed none-silent "before the hook's deadline" --mountpoint "$M3" --daemon "$SILENT"
exits 3 none-silent-strict --mountpoint "$M3" --daemon "$SILENT" --strict
kill "$(cat "$W/silent.pid")" 2>/dev/null

# 3b. A daemon midway through its start: its reader tree answers, its
# per-container tree is not mounted yet. Made here by a plain bind of a
# daemon's reader tree elsewhere: it answers, and its containers/ is the
# reader tree's own empty directory. The hook must wait for the
# per-container tree, not attach from that directory (it failed open with
# "no files to attach" when a daemon it had just started was slow: the
# first container on a systemd host, and concurrent starts, in check-vm).
M4=$W/full
M5=$W/half
mkdir -p "$M4" "$M5"
start_daemon "$M4" || exit 1
mount --bind "$M4" "$M5"
on_exit "umount -l '$M5' 2>/dev/null"
timed half "had not mounted its per-container tree" --mountpoint "$M5" --daemon "$ROOT/$B/procviewd"
is "$(daemons_on_mnt "$M5" | wc -l)" 0 "half: no second daemon started over a starting one"
umount -l "$M5"

# 4. And a working daemon started by the hook over the dead mount of 2:
# cleared, started, attached, recorded, within the budget.
timed dead-restart "" --mountpoint "$M2" --daemon "$ROOT/$B/procviewd"
on_exit "umount -l '$M2/containers' 2>/dev/null; umount -l '$M2' 2>/dev/null"
for c in /proc/[0-9]*/cmdline; do
	[ "$(cat "$c" 2>/dev/null | tr '\0' ' ')" = "$ROOT/$B/procviewd -f $M2 " ] || continue
	p=${c#/proc/}
	on_exit "kill ${p%/cmdline} 2>/dev/null"
done
on_exit stop_units # first: a unit's daemon would be restarted once killed
# Only the note about limits a host without CAP_SYS_RESOURCE cannot set.
is "$(grep -v "starting $ROOT/$B/procviewd: it runs with" "$W/err")" "" "dead-restart: no complaint"
[ -f "$RECORDS/dead-restart" ]
ok $? "dead-restart: attached and recorded"
done_testing
