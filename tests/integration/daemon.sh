#!/bin/sh
# procviewd for real: mount on a temp dir, read as processes inside
# cgroups (v1 or v2) with memory, cpuset and CFS limits, and as the host.
. "$(dirname "$0")/lib.sh"
need_root

# the command line
out=$("$B/procviewd" --bogus 2>&1)
rc=$?
[ $rc = 2 ] && [ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "unknown option '--bogus'"
ok $? "unknown option: one line, exit 2 ($out)"
out=$("$B/procviewd" -f /etc/passwd 2>&1)
[ $? = 2 ] && echo "$out" | grep -q "/etc/passwd: Not a directory"
ok $? "a mountpoint that is a file: one line, exit 2 ($out)"
out=$("$B/procviewd" -f relative/dir 2>&1)
[ $? = 2 ] && echo "$out" | grep -q "absolute"
ok $? "a relative mountpoint: exit 2 ($out)"
out=$("$B/procviewd" --staleness 0 2>&1)
[ $? = 2 ]
ok $? "a bad --staleness: exit 2 ($out)"
"$B/procviewd" --version | grep -q "^procviewd [0-9]"
ok $? "--version"
"$B/procviewd" --help | grep -q -- "--cgroup-root"
ok $? "--help lists the options"

MNT=$(mktemp -d /tmp/pv-daemon.XXXXXX)
on_exit "rmdir '$MNT' 2>/dev/null"
start_daemon "$MNT"
ok $? "procviewd mounts and answers on a temp dir"

CG=pvtest-daemon-$$
mk_cgroup "$CG"
cg_memory "$CG" 268435456
cg_cpuset "$CG" 0

# meminfo inside the cgroup
got=$(in_cgroup "$CG" cat "$MNT/proc/meminfo")
is "$(echo "$got" | kv MemTotal)" 262144 "meminfo: MemTotal is the 256M limit"
free=$(echo "$got" | kv MemFree)
avail=$(echo "$got" | kv MemAvailable)
[ "$free" -le "$avail" ] && [ "$avail" -le 262144 ]
ok $? "meminfo: MemFree ($free) <= MemAvailable ($avail) <= MemTotal"
is "$(echo "$got" | wc -l)" "$(wc -l </proc/meminfo)" "meminfo: same lines as the host's"

# a parent limit lower than the child's wins (a parent of its own: on v2
# a cgroup that hands controllers down holds no processes)
mk_cgroup "$CG-p/child"
cg_memory "$CG-p" 268435456
cg_memory "$CG-p/child" 1073741824
got=$(in_cgroup "$CG-p/child" cat "$MNT/proc/meminfo")
is "$(echo "$got" | kv MemTotal)" 262144 "meminfo: hierarchical limit (parent 256M, child 1G)"

# CPU: cpuset 0 -> one CPU everywhere
is "$(in_cgroup "$CG" grep -c '^processor' "$MNT/proc/cpuinfo")" 1 "cpuinfo: one processor for cpuset 0"
is "$(in_cgroup "$CG" cat "$MNT/sys/devices/system/cpu/online")" 0 "online: 0"
is "$(in_cgroup "$CG" grep -c '^cpu[0-9]' "$MNT/proc/stat")" 1 "stat: one cpuN line"

# quota below the cpuset: all host CPUs but 0.5 CPU of quota -> 1
NCPU=$(grep -c '^processor' /proc/cpuinfo)
cg_cpuset "$CG" "$(cat /sys/devices/system/cpu/online)"
cg_quota "$CG" 50000 100000
sleep 0.15 # a container's rendering is reused for one staleness tick (100 ms)
is "$(in_cgroup "$CG" grep -c '^processor' "$MNT/proc/cpuinfo")" 1 "cpuinfo: quota 0.5 CPU of $NCPU shows 1"
is "$(in_cgroup "$CG" cat "$MNT/sys/devices/system/cpu/online")" 0 "online follows the quota"
cg_quota "$CG" max
sleep 0.15
if [ "$NCPU" -ge 2 ]; then
	is "$(in_cgroup "$CG" cat "$MNT/sys/devices/system/cpu/present")" "0-$((NCPU - 1))" "no quota: all $NCPU CPUs present"
fi

# stat fields are monotonic across reads while the cgroup burns CPU
in_cgroup "$CG" sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done' &
BURN=$!
s1=$(in_cgroup "$CG" head -1 "$MNT/proc/stat")
sleep 0.3
s2=$(in_cgroup "$CG" head -1 "$MNT/proc/stat")
wait $BURN
mono=0
set -- $s1
a="$2 $3 $4 $5"
set -- $s2
b="$2 $3 $4 $5"
for i in 1 2 3 4; do
	x=$(echo "$a" | cut -d' ' -f$i)
	y=$(echo "$b" | cut -d' ' -f$i)
	[ "$y" -ge "$x" ] || mono=1
done
ok $mono "stat: cpu fields never go backwards ($a -> $b)"

# uptime: a new pid namespace started just now is young
up=$(in_cgroup "$CG" unshare -fp --mount-proc sh -c "sleep 0.5; cat $MNT/proc/uptime" | cut -d' ' -f1)
host_up=$(cut -d' ' -f1 /proc/uptime)
awk -v u="$up" 'BEGIN { exit !(u >= 0.3 && u < 10) }'
ok $? "uptime: a fresh pid namespace sees its own age ($up s, host $host_up s)"

# loadavg: 4 fields and a last pid, the container's task counts
la=$(in_cgroup "$CG" cat "$MNT/proc/loadavg")
echo "$la" | grep -Eq '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$'
ok $? "loadavg: kernel format ($la)"
total=$(echo "$la" | cut -d' ' -f4 | cut -d/ -f2)
[ "$total" -ge 1 ] && [ "$total" -lt 50 ]
ok $? "loadavg: total tasks are the container's ($total)"

# the host's view
hm=$(as_host cat "$MNT/proc/meminfo" | kv MemTotal)
is "$hm" "$(kv MemTotal </proc/meminfo)" "host reader: host MemTotal"
as_host cat "$MNT/proc/cpuinfo" | cmp -s - /proc/cpuinfo
ok $? "host reader: cpuinfo byte for byte"
as_host cat "$MNT/sys/devices/system/cpu/online" | cmp -s - /sys/devices/system/cpu/online
ok $? "host reader: online byte for byte"

# read-only
(echo x >"$MNT/proc/meminfo") 2>/dev/null
[ $? != 0 ]
ok $? "writes are refused"
(touch "$MNT/proc/newfile") 2>/dev/null
[ $? != 0 ]
ok $? "create is refused"

# chunked reads give one snapshot per open
python3 - "$MNT/proc/cpuinfo" <<'PY'
import sys
p = sys.argv[1]
full = open(p, "rb").read()
with open(p, "rb", buffering=0) as f:
    parts = []
    while True:
        b = f.read(7)
        if not b: break
        parts.append(b)
chunk = b"".join(parts)
with open(p, "rb", buffering=0) as f:
    f.seek(100); mid = f.read(50)
sys.exit(0 if chunk == full and mid == full[100:150] and len(full) > 150 else 1)
PY
ok $? "reads in 7-byte chunks and at an offset match a full read"

# per-container layout: fixed to a pid's cgroup, read from the host
spawn_in_cgroup "$CG" sleep 30
SLEEPER=$SPAWNED
on_exit "kill $SLEEPER 2>/dev/null"
wait_for 30 grep -qx sleep /proc/$SLEEPER/comm # in its cgroup once it runs sleep
ST=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$SLEEPER/stat)
CDIR="$MNT/containers/$SLEEPER-$ST"
is "$(kv MemTotal <"$CDIR/proc/meminfo")" 262144 "per-container meminfo, read by the host, is the container's"
is "$(cat "$CDIR/sys/devices/system/cpu/online")" "$(in_cgroup "$CG" cat "$MNT/sys/devices/system/cpu/online")" "per-container online agrees with the per-reader view"
size=$(stat -c %s "$CDIR/proc/meminfo")
is "$size" "$(cat "$CDIR/proc/meminfo" | wc -c)" "per-container files report their exact size"
[ ! -e "$MNT/containers/$SLEEPER-$((ST + 1))" ]
ok $? "a wrong start time does not resolve (pid reuse guard)"

# per-container freshness: usage changes show within the staleness bound
u1=$(kv MemFree <"$CDIR/proc/meminfo")
cg_memory "$CG" 134217728
sleep 0.25
is "$(kv MemTotal <"$CDIR/proc/meminfo")" 131072 "per-container view refreshes after a limit change (was MemFree $u1)"

# a second daemon on a live mountpoint refuses; without -f the parent
# returns only once the mount answers
out=$("$B/procviewd" -f "$MNT" 2>&1)
[ $? = 1 ] && echo "$out" | grep -q "already served"
ok $? "a second daemon on a live mountpoint refuses ($out)"
M2=$(mktemp -d /tmp/pv-daemon2.XXXXXX)
"$B/procviewd" "$M2"
rc=$?
[ $rc = 0 ] && [ -f "$M2/proc/meminfo" ]
ok $? "without -f: the parent exits 0 once the mount answers"
D2=$(ps -eo pid=,args= | awk -v m="$M2" '$NF == m && $2 ~ /procviewd$/ { print $1 }')
[ -n "$D2" ] && [ "$(ls -l /proc/$D2/fd 2>/dev/null | grep -c -- '-> /dev/null')" -ge 3 ]
ok $? "the detached daemon has its stdio on /dev/null"
kill $D2 2>/dev/null
wait_for 30 sh -c "! grep -q ' $M2 ' /proc/self/mountinfo"
ok $? "SIGTERM unmounts"
rmdir "$M2" 2>/dev/null

# A new daemon whose probe of the old mount is in flight when the old
# daemon dies gets ECONNABORTED, not ENOTCONN: that mount is dead too, and
# is cleared, not refused as "not answering" (reliability.sh hit it).
M3=$(mktemp -d /tmp/pv-daemon3.XXXXXX)
PF3=/run/procview/daemon.$(echo "$M3" | tr / _).pid
on_exit "umount -l '$M3/containers' 2>/dev/null; umount -l '$M3' 2>/dev/null; rm -f '$PF3'; rmdir '$M3' 2>/dev/null"
"$B/procviewd" -f --no-seccomp --record-dir "$M3.rec" "$M3" >/dev/null 2>&1 &
H3=$!
wait_for 30 test -f "$M3/proc/meminfo"
R3=$(sed -n 4p "$PF3")
kill -STOP "$R3" # the next probe's stat waits for an answer
"$B/procviewd" -f --no-seccomp --record-dir "$M3.rec" "$M3" >"$M3.log" 2>&1 &
N3=$!
on_exit "kill $N3 2>/dev/null; rm -rf '$M3.rec' '$M3.log'"
sleep 0.7
kill -9 "$H3" # its renderer follows (PDEATHSIG), the connection aborts
wait_for 30 sh -c "grep -q serving '$M3.log'"
ok $? "a probe aborted by the old daemon's death clears the dead mount and serves ($(head -1 "$M3.log"))"

done_testing
