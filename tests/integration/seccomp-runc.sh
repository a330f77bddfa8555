#!/bin/sh
# sysinfo(2) answered by procviewd under runc for real: config.json carries
# `procview seccomp --oci`, the hook is in createRuntime and no daemon runs
# beforehand (so runc must connect to the listener after the hook has
# started it). busybox free and uptime, static glibc and musl probes
# (sysinfo and sysconf(_SC_PHYS_PAGES)) and glibc getconf _PHYS_PAGES, for
# 256M with cpuset 0, 1G with quota 1.5, and no limits; fds after many
# containers and execs; a kill -9 of the renderer (zero failed calls) and
# of the holder while a container loops.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
for t in runc python3 busybox getconf; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for f in procviewd procview-hook procview probe/sysinfo-glibc probe/sysinfo-musl; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built (musl-tools missing?)"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"
HOOK=$ROOT/$B/procview-hook
DAEMON=$ROOT/$B/procviewd

W=$(mktemp -d /tmp/pv-seccomp-runc.XXXXXX)
RUNC="runc --root $W/runc"
SOCK=$W/sc.sock
MNT=$W/mnt
mkdir -p "$MNT"
on_exit "rm -rf '$W'"
IDS=""
on_exit 'for id in $IDS; do $RUNC delete -f $id >/dev/null 2>&1; done'
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'stop_hook_units "$MNT"; for p in $(daemons); do kill $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

"$ROOT/$B/procview" seccomp --oci --socket "$SOCK" >"$W/seccomp.json"
ok $? "procview seccomp --oci"
sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs-bb"
cp "$ROOT/$B/probe/sysinfo-glibc" "$ROOT/$B/probe/sysinfo-musl" "$W/rootfs-bb/bin/"
sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs-usr" host-usr

SHOW='free | awk '"'"'$1 == "Mem:" { print "bbfree", $2, $3 }'"'"'
echo "bbuptime $(uptime)"
echo "glibc $(/bin/sysinfo-glibc)"
echo "musl $(/bin/sysinfo-musl)"'

# mkb NAME ROOTFS [mkbundle args...] -- CMD...
mkb() {
	name=$1 rootfs=$2
	shift 2
	mkdir -p "$W/$name"
	cp -a "$W/$rootfs" "$W/$name/rootfs"
	python3 "$ROOT/scripts/mkbundle.py" "$W/$name" --hook "$HOOK" --daemon "$DAEMON" \
		--mountpoint "$MNT" --seccomp-socket "$SOCK" --seccomp "$W/seccomp.json" "$@"
}
run() {
	id=pvsc-$$-$1
	IDS="$IDS $id"
	(cd "$W/$1" && $RUNC run "$id" >"$W/$1.out" 2>&1 </dev/null)
}
# get NAME LINE-TAG KEY: KEY=value from the line starting with LINE-TAG
get() { awk -v t="$2" '$1 == t' "$W/$1.out" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }
host() { "$ROOT/$B/probe/sysinfo-glibc" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# 1. 256M, cpuset 0; no daemon before.
is "$(daemons | wc -l)" 0 "no daemon before the first container"
mkb m256 rootfs-bb --memory 268435456 --cpus 0 -- sh -c "$SHOW"
run m256
rc=$?
ok $rc "runc run with the seccomp profile and the hook, no daemon before: the container starts"
[ $rc = 0 ] || sed 's/^/#   /' "$W/m256.out"
is "$(daemons | wc -l)" 1 "the hook started the daemon before runc connected to its socket"
is "$(awk '$1 == "bbfree" { print $2 }' "$W/m256.out")" 262144 "256M: busybox free total 262144 kB"
used=$(awk '$1 == "bbfree" { print $3 }' "$W/m256.out")
[ -n "$used" ] && [ "$used" -le 262144 ]
ok $? "256M: busybox free used ($used kB) within total: sysinfo agrees with the attached meminfo"
is "$(get m256 glibc totalram)" 268435456 "256M: glibc static sysinfo totalram"
is "$(get m256 glibc phys_bytes)" 268435456 "256M: glibc static sysconf(_SC_PHYS_PAGES)"
is "$(get m256 musl totalram)" 268435456 "256M: musl static sysinfo totalram"
is "$(get m256 musl phys_bytes)" 268435456 "256M: musl sysconf(_SC_PHYS_PAGES)"
is "$(get m256 glibc mem_unit)" 1 "256M: mem_unit 1"
fr=$(get m256 glibc freeram)
[ -n "$fr" ] && [ "$fr" -le 268435456 ] && [ "$fr" -gt 0 ]
ok $? "256M: freeram within the limit ($fr)"
up=$(get m256 glibc uptime)
[ -n "$up" ] && [ "$up" -lt 60 ] && [ "$(host uptime)" -gt 60 ]
ok $? "256M: uptime is the container's age ($up s)"
pr=$(get m256 glibc procs)
[ -n "$pr" ] && [ "$pr" -lt 20 ]
ok $? "256M: procs counts the container's tasks ($pr; host $(host procs))"
grep -q "bbuptime.* up 0 min" "$W/m256.out"
ok $? "256M: busybox uptime says up 0 min ($(awk '$1 == "bbuptime"' "$W/m256.out" | cut -c10-))"
[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$W/m256.out"

# 2. 1G, quota 1.5 CPUs.
mkb g1 rootfs-bb --memory 1073741824 --quota 150000 -- sh -c "$SHOW"
run g1
ok $? "1G, quota 1.5: runc run"
is "$(awk '$1 == "bbfree" { print $2 }' "$W/g1.out")" 1048576 "1G: busybox free total 1048576 kB"
is "$(get g1 glibc totalram)" 1073741824 "1G: glibc sysinfo totalram"
is "$(get g1 musl phys_bytes)" 1073741824 "1G: musl _SC_PHYS_PAGES"

# 3. No limits: the host's totals exactly (free/used, uptime, loads and
# procs stay the container's, as in its /proc files).
mkb free rootfs-bb -- sh -c "$SHOW"
run free
ok $? "no limits: runc run"
is "$(get free glibc totalram)" "$(host totalram)" "no limits: totalram is the host's exactly"
is "$(get free musl totalswap)" "$(host totalswap)" "no limits: totalswap is the host's exactly"
is "$(get free glibc phys_bytes)" "$(host phys_bytes)" "no limits: _SC_PHYS_PAGES is the host's"

# 4. glibc getconf _PHYS_PAGES (the host's /usr bound in).
mkb gc rootfs-usr --memory 268435456 --host-usr -- /usr/bin/getconf _PHYS_PAGES
run gc
is "$(cat "$W/gc.out")" $((268435456 / $(getconf PAGESIZE))) "256M: getconf _PHYS_PAGES"

# 5. fds: every container and every exec brings one; all closed after.
dpid=$(daemons)
dfds() { ls "/proc/$dpid/fd" | wc -l; }
base=$(dfds)
i=0
while [ $i -lt 10 ]; do
	mkb many$i rootfs-bb --memory 268435456 -- /bin/sysinfo-musl >/dev/null
	run many$i
	i=$((i + 1))
done
mkb long rootfs-bb --memory 268435456 -- sleep 600
id=pvsc-$$-long
IDS="$IDS $id"
(cd "$W/long" && $RUNC run -d "$id" >"$W/long.out" 2>&1 </dev/null)
ok $? "a long-running container starts detached"
i=0 bad=0
while [ $i -lt 20 ]; do
	v=$($RUNC exec "$id" /bin/sysinfo-glibc | tr ' ' '\n' | awk -F= '$1 == "totalram" { print $2 }')
	[ "$v" = 268435456 ] || bad=$((bad + 1))
	i=$((i + 1))
done
is "$bad" 0 "20 runc exec: every one answered 256M"
sleep 0.3
is "$(dfds)" $((base + 1)) "10 containers and 20 execs later: only the running container's fd is held"
$RUNC delete -f "$id" >/dev/null 2>&1
sleep 0.5
is "$(dfds)" "$base" "its fd is closed once it is gone"

# 6. kill -9 of the renderer, twice, while a container calls sysinfo in a
# loop: the holder keeps the notify fds, and what a dead renderer was
# computing goes to the next one. Zero failed calls, none blocked 1 s.
PIDFILE=/run/procview/daemon.$(echo "$MNT" | tr / _).pid
field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
holder=$(daemons)
mkb rloop rootfs-bb --memory 268435456 -- /bin/sysinfo-glibc loop 6 268435456
id=pvsc-$$-rloop
IDS="$IDS $id"
(cd "$W/rloop" && $RUNC run "$id" >"$W/rloop.out" 2>&1 </dev/null) &
RUNPID=$!
for _ in $(seq 200); do grep -q calls= "$W/rloop.out" 2>/dev/null && break; sleep 0.05; done
r1=$(sed -n 4p "$PIDFILE")
kill -9 "$r1"
r2=""
for _ in $(seq 500); do
	r2=$(sed -n 4p "$PIDFILE")
	[ -n "$r2" ] && [ "$r2" != "$r1" ] && break
	sleep 0.01
done
sleep 0.5
kill -9 "$r2"
wait $RUNPID
res=$(tail -1 "$W/rloop.out")
echo "# renderer kill -9 ($r1, then $r2) during a sysinfo loop: $res"
is "$(field "$res" failed)" 0 "renderer kill -9: zero failed sysinfo calls ($(field "$res" calls) calls)"
w=$(field "$res" worst_ms)
[ -n "$w" ] && [ "${w%.*}" -lt 1000 ]
ok $? "renderer kill -9: no caller blocked 1 s or more (worst call $w ms)"
echo "# calls answered with another total (the kernel's, after 700 ms without a renderer): $(field "$res" other_total)"
is "$(daemons)" "$holder" "the holder ($holder) kept the notify fds"
mkb rafter rootfs-bb --memory 268435456 -- sh -c "$SHOW"
run rafter
is "$(get rafter glibc totalram)" 268435456 "after the renderer kills: a new container is answered by the new renderer"

# 7. kill -9 of the holder while a container calls sysinfo in a loop: no
# worse than before the split. The kernel answers ENOSYS for good once
# the notify fds are gone; no caller may stay blocked.
mkb loop rootfs-bb --memory 268435456 -- /bin/sysinfo-glibc loop 4
id=pvsc-$$-loop
IDS="$IDS $id"
(cd "$W/loop" && $RUNC run "$id" >"$W/loop.out" 2>&1 </dev/null) &
RUNPID=$!
for _ in $(seq 200); do grep -q calls= "$W/loop.out" 2>/dev/null && break; sleep 0.05; done
kill -9 $(daemons)
wait $RUNPID
res=$(tail -1 "$W/loop.out")
echo "# kill -9 during a sysinfo loop in a runc container: $res"
w=$(echo "$res" | tr ' ' '\n' | awk -F= '$1 == "worst_ms" { print $2 }')
[ -n "$w" ] && [ "${w%.*}" -lt 1000 ]
ok $? "kill -9: no caller blocked (worst call $w ms)"
# The next container: the hook starts a new daemon, which replaces the
# dead socket file, and runc connects after that.
mkb after rootfs-bb --memory 268435456 -- sh -c "$SHOW"
run after
ok $? "after kill -9: the next container starts (the hook restarted the daemon)"
is "$(get after glibc totalram)" 268435456 "after kill -9: the new daemon answers"
done_testing
