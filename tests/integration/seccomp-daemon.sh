#!/bin/sh
# procviewd's seccomp listener without a runtime: build/bench/sysinfobench
# installs a sysinfo notify filter on itself and passes the fd the way
# runc does. A 256M cgroup gets 256M; a process in the root cgroups gets
# the kernel's own struct; fds of exited clients are closed; garbage on
# the socket does not hurt; a renderer's kill -9 loses no call; --replace
# hands the notify fds over.
. "$(dirname "$0")/lib.sh"
need_root
BENCH=$ROOT/$B/bench/sysinfobench
[ -x "$BENCH" ] || skip_all "$B/bench/sysinfobench not built"
W=$(mktemp -d /tmp/pv-seccomp-daemon.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
SOCK=$W/sc.sock
mkdir -p "$MNT"
CG=pv-seccomp-$$
mk_cgroup "$CG"
cg_memory "$CG" 268435456

start_daemon "$MNT" --seccomp-socket "$SOCK" --log-level debug || exit 1
[ -S "$SOCK" ]
ok $? "the daemon listens on --seccomp-socket"
is "$(stat -c %a "$SOCK")" 600 "the socket is root's only"

val() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }

out=$(in_cgroup "$CG" "$BENCH" "$SOCK" 200)
ok $? "a client in a 256M cgroup: sysinfo succeeds ($out)"
is "$(val "$out" totalram)" 268435456 "256M cgroup: totalram is the limit"
is "$(val "$out" mem_unit)" 1 "mem_unit is 1"

out=$(as_host "$BENCH" "$SOCK" 200)
is "$(val "$out" totalram)" "$(val "$out" native_totalram)" "root cgroups: the kernel's own totalram"

# A fd per client; all of them closed once the clients are gone.
dfds() { ls "/proc/$DAEMON_PID/fd" | wc -l; }
base=$(dfds)
i=0
pids=""
while [ $i -lt 40 ]; do
	in_cgroup "$CG" "$BENCH" "$SOCK" 100 >/dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait $p; done
sleep 0.5
is "$(dfds)" "$base" "40 clients came and went: the daemon's fd count is back to $base"
n=$(grep -c 'notify fd' "$MNT.log")
[ "$n" -ge 40 ]
ok $? "the daemon received their fds ($n)"

# Garbage and silence on the socket: dropped, the daemon keeps answering.
python3 - "$SOCK" <<'PY'
import socket, sys, time
p = sys.argv[1]
for msg in (b"", b"not json", b'{"fds":["seccompFd"],"pid":1,"state":{"id":"x"}}', b"\0" * 70000):
    s = socket.socket(socket.AF_UNIX); s.connect(p); s.sendall(msg); s.close()
idle = [socket.socket(socket.AF_UNIX) for _ in range(5)]
for s in idle: s.connect(p)
time.sleep(2.5)
PY
out=$(in_cgroup "$CG" "$BENCH" "$SOCK" 100)
is "$(val "$out" totalram)" 268435456 "after garbage and idle connections: still answered"
sleep 0.3
is "$(dfds)" "$base" "garbage and idle connections left no fd behind"

# A live socket is not taken by a second daemon.
MNT2=$W/mnt2
mkdir -p "$MNT2"
"$ROOT/$B/procviewd" -f --seccomp-socket "$SOCK" "$MNT2" >"$W/d2.log" 2>&1 &
D2=$!
on_exit "kill $D2 2>/dev/null; sleep 0.2; umount -l '$MNT2/containers' 2>/dev/null; umount -l '$MNT2' 2>/dev/null"
sleep 1
grep -q 'another daemon listens' "$W/d2.log"
ok $? "a second daemon leaves a live socket alone"
kill $D2
sleep 0.3
out=$(in_cgroup "$CG" "$BENCH" "$SOCK" 100)
is "$(val "$out" totalram)" 268435456 "and does not remove it when it stops"

# started: its first line is out (the loop runs from then on)
started() { for _ in $(seq 200); do grep -q notified_us "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# kill -9 of the renderer while a client calls sysinfo in a loop: the
# holder keeps the notify fd and gives what the dead renderer was
# computing to the next one. No failed call, no caller held up.
PIDFILE=/run/procview/daemon.$(echo "$MNT" | tr / _).pid
in_cgroup "$CG" "$BENCH" "$SOCK" 100 3 >"$W/rkill.out" &
CLIENT=$!
started "$W/rkill.out"
sleep 0.5
R1=$(sed -n 4p "$PIDFILE")
[ -n "$R1" ] && [ "$R1" != "$DAEMON_PID" ] && kill -9 "$R1"
ok $? "killed the renderer ($R1; holder $DAEMON_PID)"
wait $CLIENT
loop=$(tail -1 "$W/rkill.out")
echo "# renderer kill -9 during a sysinfo loop: $loop"
is "$(val "$loop" failed)" 0 "renderer kill -9: no failed sysinfo call"
w=$(val "$loop" worst_ms)
[ -n "$w" ] && [ "${w%.*}" -lt 1000 ]
ok $? "renderer kill -9: no caller blocked for 1 s (worst ${w} ms)"
out=$(in_cgroup "$CG" "$BENCH" "$SOCK" 100)
is "$(val "$out" totalram)" 268435456 "the next renderer answers ($(sed -n 4p "$PIDFILE"))"

# --replace while a client calls sysinfo in a loop: no failed call, no
# caller held up.
in_cgroup "$CG" "$BENCH" "$SOCK" 100 4 >"$W/replace.out" &
CLIENT=$!
started "$W/replace.out"
sleep 0.5
OLD=$DAEMON_PID
"$ROOT/$B/procviewd" -f --replace --seccomp-socket "$SOCK" --log-level debug "$MNT" >"$W/new.log" 2>&1 &
DAEMON_PID=$!
on_exit "kill $DAEMON_PID 2>/dev/null"
wait $CLIENT
loop=$(tail -1 "$W/replace.out")
echo "# --replace: $loop"
is "$(val "$loop" failed)" 0 "--replace: no failed sysinfo call"
w=$(val "$loop" worst_ms)
[ -n "$w" ] && [ "${w%.*}" -lt 1000 ]
ok $? "--replace: no caller blocked for 1 s (worst ${w} ms)"
grep -q 'took over the socket and 1 notify fds' "$W/new.log"
ok $? "the new daemon took the client's notify fd over"
sleep 2.5
kill -0 $OLD 2>/dev/null
ok $((! $?)) "the old daemon has exited"
out=$(in_cgroup "$CG" "$BENCH" "$SOCK" 100)
is "$(val "$out" totalram)" 268435456 "the new daemon answers new clients"

# kill -9 while a client loops: recorded, not a goal of this issue (see
# issue 12): the kernel answers ENOSYS for good once the listener is gone.
in_cgroup "$CG" "$BENCH" "$SOCK" 100 3 >"$W/kill.out" &
CLIENT=$!
started "$W/kill.out"
sleep 0.5
kill -9 $DAEMON_PID
# the pid file a kill -9 leaves behind (runstate: slashes become '_')
on_exit "rm -f '/run/procview/daemon.$(echo "$MNT" | tr / _).pid'"
wait $CLIENT
loop=$(tail -1 "$W/kill.out")
echo "# kill -9 during a sysinfo loop: $loop"
w=$(val "$loop" worst_ms)
[ -n "$w" ] && [ "${w%.*}" -lt 1000 ]
ok $? "kill -9: no caller left blocked (worst ${w} ms)"
umount -l "$MNT/containers" 2>/dev/null
umount -l "$MNT" 2>/dev/null
done_testing
