#!/bin/sh
# systemd's fd store without systemd: a stand-in service manager keeps the
# fds the holder pushes (FDSTORE=1 over NOTIFY_SOCKET) and, after a kill -9
# of the holder, starts a new one with them (LISTEN_FDS, LISTEN_FDNAMES) as
# systemd's Restart=always would. The mounts must live on: zero failed reads.
. "$(dirname "$0")/lib.sh"
need_root
command -v python3 >/dev/null || skip_all "python3 not installed"
W=$(mktemp -d /tmp/pv-fdstore.XXXXXX)
MNT=$W/mnt
mkdir -p "$MNT"
on_exit "rm -rf '$W'"
on_exit 'for p in $(ps -eo pid=,args= | awk -v m="$MNT" '"'"'$2 ~ /procviewd$/ && $NF == m { print $1 }'"'"'); do kill $p; done; sleep 0.5; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'
on_exit '[ -n "$SM" ] && kill $SM 2>/dev/null'

cat >"$W/manager.py" <<'PY'
# manager.py DAEMON MNT DIR: start DAEMON -f MNT, keep what it pushes, and
# restart it with the kept fds when DIR/restart appears.
import array, os, socket, sys, time
daemon, mnt, d = sys.argv[1:4]
sock_path = os.path.join(d, "notify")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
s.settimeout(0.05)
store = {}          # name -> fd
log = open(os.path.join(d, "manager.log"), "a", buffering=1)

def start(fds):
    pid = os.fork()
    if pid == 0:
        env = dict(os.environ, NOTIFY_SOCKET=sock_path)
        if fds:
            names = list(fds)
            for i, n in enumerate(names):
                os.dup2(fds[n], 3 + i, inheritable=True)
            env.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS=str(len(names)),
                       LISTEN_FDNAMES=":".join(names))
        out = os.open(os.path.join(d, "daemon.log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.execve(daemon, [daemon, "-f", "--no-seccomp", mnt], env)
    log.write("started %d with %d fds\n" % (pid, len(fds)))
    return pid

main = start({})
restarted = False
while True:
    try:
        msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(8 * 4))
        fds = []
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                a = array.array("i")
                a.frombytes(data[:len(data) - len(data) % 4])
                fds += list(a)
        kv = dict(l.split("=", 1) for l in msg.decode().splitlines() if "=" in l)
        if kv.get("FDSTORE") == "1" and fds:
            name = kv.get("FDNAME", "stored")
            if name in store:
                os.close(fds[0])
            else:
                store[name] = fds[0]
        if kv.get("FDSTOREREMOVE") == "1" and kv.get("FDNAME") in store:
            os.close(store.pop(kv["FDNAME"]))
            log.write("store now %s\n" % sorted(store))
        if kv.get("READY") == "1":
            log.write("ready %s, store %s\n" % (kv.get("MAINPID"), sorted(store)))
    except socket.timeout:
        pass
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        pass
    if not restarted and os.path.exists(os.path.join(d, "restart")):
        restarted = True
        main = start(dict(store))
PY
python3 "$W/manager.py" "$ROOT/$B/procviewd" "$MNT" "$W" &
SM=$!
for _ in $(seq 100); do grep -q "^ready" "$W/manager.log" 2>/dev/null && break; sleep 0.1; done

# Before Linux 6.9 (no FUSE_NOTIFY_RESEND) what a killed holder had read
# would wait forever on a connection the store kept alive: nothing is
# pushed, and a restart mounts afresh.
kernel=$(uname -r)
major=${kernel%%.*} minor=${kernel#*.}
minor=${minor%%[!0-9]*}
# PROCVIEW_NO_RESEND=1 takes that path on any kernel.
if [ -n "${PROCVIEW_NO_RESEND:-}" ] || [ "$major" -lt 6 ] || { [ "$major" = 6 ] && [ "$minor" -lt 9 ]; }; then
	grep -q "^ready .*, store \[\]" "$W/manager.log"
	ok $? "no FUSE_NOTIFY_RESEND (Linux $kernel${PROCVIEW_NO_RESEND:+, PROCVIEW_NO_RESEND set}): the holder pushes nothing ($(grep ^ready "$W/manager.log"))"
	holder=$(sed -n 1p "/run/procview/daemon.$(echo "$MNT" | tr / _).pid")
	kill -9 "$holder"
	sleep 0.3
	touch "$W/restart"
	wait_for 60 sh -c "grep -q MemTotal '$MNT/proc/meminfo' 2>/dev/null && [ \"\$(sed -n 1p /run/procview/daemon.$(echo "$MNT" | tr / _).pid)\" != $holder ]"
	ok $? "after kill -9 of the holder the restarted daemon mounts afresh and serves"
	grep -q "started .* with 0 fds" "$W/manager.log" && ! grep -q "fd store" "$W/daemon.log"
	ok $? "... with no fds from the store"
	done_testing
	exit
fi
grep -q "store \['procview-containers', 'procview-ledger', 'procview-reader'\]" "$W/manager.log"
ok $? "the holder pushes its three handles into the fd store ($(grep ^ready "$W/manager.log"))"

holder=$(sed -n 1p "/run/procview/daemon.$(echo "$MNT" | tr / _).pid")
layers0=$(grep -c " $MNT[ /]" /proc/self/mountinfo)
cat >"$W/reader.py" <<'PY'
import sys, time
end = time.monotonic() + float(sys.argv[1])
n = bad = 0
worst = 0.0
while time.monotonic() < end:
    t = time.monotonic()
    try:
        with open(sys.argv[2], "rb") as f:
            if b"MemTotal:" not in f.read():
                bad += 1
    except OSError:
        bad += 1
    worst = max(worst, time.monotonic() - t)
    n += 1
    time.sleep(0.01)
print(n, bad, int(worst * 1000))
PY
python3 "$W/reader.py" 4 "$MNT/proc/meminfo" >"$W/reads" &
RP=$!
sleep 1
kill -9 "$holder"
sleep 0.3 # what systemd's RestartSec would leave
touch "$W/restart"
wait $RP
read -r n bad worst <"$W/reads"
is "$bad" 0 "kill -9 of the holder with the fd store: zero failed reads ($n reads, longest ${worst} ms)"
new=$(sed -n 1p "/run/procview/daemon.$(echo "$MNT" | tr / _).pid")
[ -n "$new" ] && [ "$new" != "$holder" ] && kill -0 "$new"
ok $? "a new holder ($new) took the mounts from the store"
grep -q "took the mounts back from systemd's fd store" "$W/daemon.log"
ok $? "... and says so"
is "$(grep -c " $MNT[ /]" /proc/self/mountinfo)" "$layers0" "no remount: mountinfo unchanged"
kill "$new"
for _ in $(seq 50); do grep -q "store now \[\]" "$W/manager.log" && break; sleep 0.1; done
grep -q "store now \[\]" "$W/manager.log"
ok $? "a clean stop empties the fd store (a restart mounts afresh)"
echo "# holder kill -9 under an fd store: $bad of $n reads failed, longest ${worst} ms"
done_testing
