#!/bin/sh
# The daemon under hostile conditions (issue 14): heals replace layers
# instead of stacking them; a container with a hung FUSE mount of its own
# over a target does not stop readiness or SIGTERM; a hung (not dead)
# mount is never cleared by a new daemon; host users cannot list or create
# per-container slots while container processes of any uid still read.
# A private mount namespace in a memory-limited cgroup stands in for a
# container; records go to a private --record-dir.
. "$(dirname "$0")/lib.sh"
need_root
for t in unshare nsenter setpriv; do command -v $t >/dev/null || skip_all "$t not installed"; done
[ -x "$B/procview-hook" ] && [ -x "$B/procview" ] || skip_all "hook or cli not built"
[ -n "$CG_V2" ] || [ -d /sys/fs/cgroup/memory ] || skip_all "no memory cgroup (v1 or v2)"
DAEMON=$ROOT/$B/procviewd
HOOK=$ROOT/$B/procview-hook
CLI=$ROOT/$B/procview

W=$(mktemp -d /tmp/pv-harden.XXXXXX)
MNT=$W/mnt
R=$W/records
mkdir -p "$MNT"
PIDS=""
on_exit "rm -rf '$W'"
# Shared propagation, as systemd makes every mount: the daemon's mount is
# then in a peer group, and a clone of it must not carry that group into
# a container (each heal would propagate onto every earlier layer).
mount --bind "$W" "$W" && mount --make-shared "$W"
on_exit "umount -l '$W' 2>/dev/null"
on_exit 'for p in $PIDS; do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null; rm -f "/run/procview/daemon.$(echo "$MNT" | tr / _).pid"'

starttime() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $20 }'; }
daemon() { # daemon LOG [ARGS]: procviewd -f on MNT; pid in DPID
	log=$1
	shift
	"$DAEMON" -f --record-dir "$R" "$@" "$MNT" >"$log" 2>&1 &
	DPID=$!
	PIDS="$PIDS $DPID"
}
wait_log() { # wait_log FILE PATTERN: up to 20 s (a bound on a hang, not a timing)
	for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
exited() { # exited PID: gone within 10 s
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
pv_layers() { # pv_layers PID FILE: procview mounts on FILE in PID's namespace
	nsenter -t "$1" -m awk -v f="$2" '$5 == f && / - fuse.procviewd / { n++ } END { print n + 0 }' /proc/self/mountinfo
}

CG=pvharden-$$
mk_cgroup "$CG"
cg_memory "$CG" 67108864
spawn_in_cgroup "$CG" unshare -m --propagation private sleep 600
P=$SPAWNED
PIDS="$PIDS $P"
for _ in $(seq 100); do [ "$(readlink /proc/$P/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break; sleep 0.02; done
mkdir -p "$W/b"
printf '{"ociVersion":"1.0.2","root":{"path":"/"},"mounts":[]}' >"$W/b/config.json"

daemon "$W/d1.log"
wait_log "$W/d1.log" serving
ok $? "daemon 1 serves"
printf '{"ociVersion":"1.0.2","id":"h1","status":"creating","pid":%s,"bundle":"%s"}' "$P" "$W/b" |
	"$HOOK" createRuntime --mountpoint "$MNT" --no-start --record-dir "$R" 2>"$W/hook.err"
ok $? "hook attached the stand-in container"
is "$(nsenter -t "$P" -m awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)" 65536 "the container reads its 64M"
opt=$(nsenter -t "$P" -m awk '$5 == "/proc/meminfo" && / - fuse.procviewd / { print $7 }' /proc/self/mountinfo)
is "$opt" "-" "the attached view is a private mount, in no peer group of the daemon's (got '$opt')"

# 1. Nine heals, a crash, a restart: one layer per file, correct reads.
i=0
while [ $i -lt 9 ]; do
	"$CLI" --mountpoint "$MNT" --record-dir "$R" heal >"$W/heal.out" 2>&1 || break
	i=$((i + 1))
done
is "$i" 9 "procview heal --record-dir ran nine times ($(grep attached "$W/heal.out"))"
is "$(pv_layers "$P" /proc/meminfo)" 1 "after nine heals: one procview layer on /proc/meminfo"
is "$(pv_layers "$P" /sys/devices/system/cpu/online)" 1 "after nine heals: one layer on cpu/online"
kill -9 "$DPID"
sleep 0.3
daemon "$W/d2.log"
wait_log "$W/d2.log" "healed 1 containers"
ok $? "a restarted daemon heals from --record-dir ($(grep healed "$W/d2.log"))"
is "$(nsenter -t "$P" -m awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)" 65536 "after kill -9 and restart the container reads its 64M"
is "$(pv_layers "$P" /proc/meminfo)" 1 "after the crash heal: still one layer on /proc/meminfo"
all=$(nsenter -t "$P" -m awk '/ - fuse.procviewd / { n[$5]++ } END { for (f in n) if (n[f] != 1) bad++; print bad + 0 }' /proc/self/mountinfo)
is "$all" 0 "every attached file has exactly one procview layer"

# 2. Host users: no listing, no new slots; container processes of any uid read.
setpriv --reuid=65534 --regid=65534 --clear-groups ls "$MNT/containers" >/dev/null 2>&1
ok $((! $?)) "an unprivileged host user cannot list the containers"
sleep 600 &
S=$!
PIDS="$PIDS $S"
setpriv --reuid=65534 --regid=65534 --clear-groups stat "$MNT/containers/$S-$(starttime $S)/proc/meminfo" >/dev/null 2>&1
ok $((! $?)) "an unprivileged host user cannot create a slot"
ls "$MNT/containers" | grep -q "^$P-"
ok $? "root lists the containers"
is "$(nsenter -t "$P" -m setpriv --reuid=65534 --regid=65534 --clear-groups awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)" 65536 \
	"a container process running as nobody still reads its view"

# 2b. A container flooding its own file (128 threads of O_DIRECT reads)
# does not stop a new container's lookup: it completes while the flood
# still runs (the flood lasts 60 s; nothing is timed).
if [ -x "$B/bench/contend" ]; then
	FA=$MNT/containers/$S-$(starttime $S)/proc/meminfo
	"$ROOT/$B/bench/contend" flood "$FA" 128 60 direct >"$W/flood.out" &
	FL=$!
	PIDS="$PIDS $FL"
	sleep 1
	# A test tool: its own small leaks must not garble its output under ASAN.
	got=$(ASAN_OPTIONS=detect_leaks=0 "$ROOT/$B/bench/contend" lookup "$MNT" 5)
	kill -0 "$FL" 2>/dev/null
	ok $? "a new container's lookup completed while another container floods ($got)"
	is "$(echo "$got" | awk '{ print $4 }')" 0 "no lookup failed under the flood"
	nsenter -t "$P" -m awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo >"$W/ct.out"
	is "$(cat "$W/ct.out")" 65536 "the attached container reads its view under the flood"
	kill "$FL" 2>/dev/null
	wait "$FL" 2>/dev/null
fi

# 3. A hung FUSE mount inside the container over a target: readiness and
# SIGTERM do not wait for heal. A second procviewd serves it from inside
# the container's namespace, then is stopped.
M2=/tmp/pv-harden-inner-$$
nsenter -t "$P" -m sh -c "mkdir -p $M2 && exec $DAEMON -f $M2" >"$W/inner.log" 2>&1 &
INNER=$!
PIDS="$PIDS $INNER"
for _ in $(seq 100); do nsenter -t "$P" -m test -f "$M2/proc/meminfo" && break; sleep 0.05; done
nsenter -t "$P" -m mount --bind "$M2/proc/meminfo" /proc/meminfo
ok $? "an inner FUSE mount covers the container's /proc/meminfo"
INNER_TREE=$(daemon_tree "$INNER")
PIDS="$PIDS $INNER_TREE"
kill -STOP $INNER_TREE
kill -9 "$DPID"
sleep 0.3
daemon "$W/d3.log"
wait_log "$W/d3.log" serving
ok $? "with a hung mount in a container the new daemon still reports ready"
[ -n "$(head -c 20 "$MNT/proc/meminfo")" ]
ok $? "and answers reads"
wait_log "$W/d3.log" "no answer within"
ok $? "the hung container's heal is abandoned with a log line ($(grep -m1 'no answer' "$W/d3.log" | cut -c1-80))"
kill -TERM "$DPID"
exited "$DPID"
ok $? "SIGTERM stops it (heal never waited on)"
kill -CONT $INNER_TREE
nsenter -t "$P" -m umount -l /proc/meminfo
kill "$INNER"
nsenter -t "$P" -m umount -l "$M2" 2>/dev/null

# 4. A live but hung mount is refused, never cleared.
daemon "$W/d4.log"
wait_log "$W/d4.log" serving
OLD=$(daemon_tree "$DPID")
PIDS="$PIDS $OLD"
kill -STOP $OLD
"$DAEMON" -f --record-dir "$R" "$MNT" >"$W/d5.log" 2>&1
rc=$?
is "$rc" 1 "a new daemon refuses a hung mount"
grep -q "does not answer" "$W/d5.log"
ok $? "and says why ($(head -1 "$W/d5.log" | cut -c1-90))"
grep -q " $MNT " /proc/self/mountinfo && ! grep -q "cleared a stale" "$W/d5.log"
ok $? "the hung daemon's mount was left in place"
kill -CONT $OLD
[ -n "$(head -c 20 "$MNT/proc/meminfo")" ]
ok $? "the resumed daemon serves again"
done_testing
