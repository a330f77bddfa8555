#!/bin/sh
# sysinfo(2) under Docker through procview-runtime, for real: a private
# dockerd whose default runtime is the shim. Docker puts its default seccomp
# profile into every ordinary container's config.json; the shim sends
# sysinfo from it to procviewd. No procviewd runs at first: the shim has
# the hook start it before it names the socket. busybox free, the static
# glibc and musl probes, glibc getconf _PHYS_PAGES; 256M + cpuset 0, 1G +
# 1.5 CPUs, no limits; unconfined and privileged containers (no profile:
# the host's sysinfo, and they start); a daemon that cannot be started (the
# container starts, with the host's sysinfo); docker exec after the daemon
# stopped.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.lib"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for t in dockerd runc python3 getconf; do
	command -v $t >/dev/null || skip_all "$t not installed (apt-get install docker.io)"
done
[ -x /usr/bin/docker ] || skip_all "/usr/bin/docker missing (apt-get install docker.io)"
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
for f in procviewd procview-hook procview-runtime probe/sysinfo-glibc probe/sysinfo-musl; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built (musl-tools missing?)"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"

W=$(mktemp -d /tmp/pv-rt-sysinfo.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
SOCK=$W/sc.sock
REC=$W/records
CGP=pv-notify-docker-$$
mkdir -p "$MNT" "$W/mnt-broken" "$REC" "$W/d"
on_exit "rm_cgroup $CGP"
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'for p in $(daemons); do kill $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

# This machine lacks CAP_SYS_RESOURCE in its bounding set, so runc cannot
# start a --privileged container here at all ("unable to apply caps"). The
# shim's real runtime is this wrapper, which drops that one capability from
# config.json and runs runc: the profile the shim wrote is what runc gets.
cat >"$W/runc-here" <<EOF
#!/bin/sh
b=.
prev=
for a in "\$@"; do
	case "\$prev" in --bundle | -b) b=\$a ;; esac
	prev=\$a
done
case " \$* " in
*" create "* | *" run "*)
	python3 - "\$b/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
caps = c.get("process", {}).get("capabilities") or {}
for k in caps:
    if caps[k] and "CAP_SYS_RESOURCE" in caps[k]:
        caps[k] = [x for x in caps[k] if x != "CAP_SYS_RESOURCE"]
json.dump(c, open(p, "w"))
PY
	;;
esac
exec $(command -v runc) "\$@"
EOF
chmod +x "$W/runc-here"

python3 - "$W/d/daemon.json" "$ROOT/$B" "$W/runc-here" "$MNT" "$REC" "$CGP" "$SOCK" "$W" <<'PY'
import json, sys
out, b, runc, mnt, rec, cgp, sock, w = sys.argv[1:]
def shim(mnt, sock, daemon):
    return {"path": b + "/procview-runtime",
            "runtimeArgs": ["--procview-runtime", runc,
                            "--procview-hook", b + "/procview-hook",
                            "--procview-seccomp-socket", sock,
                            "--procview-hook-arg", "--mountpoint=" + mnt,
                            "--procview-hook-arg", "--record-dir=" + rec,
                            "--procview-hook-arg", "--daemon=" + daemon]}
json.dump({
    "runtimes": {"procview": shim(mnt, sock, b + "/procviewd"),
                 # A daemon that cannot start: its socket never answers.
                 "pvbroken": shim(w + "/mnt-broken", w + "/broken.sock", w + "/no-such-procviewd")},
    "default-runtime": "procview",
    "cgroup-parent": cgp,
    # cgroupfs on v1 and v2 alike, so the parent stays a plain cgroup path
    # (on v2 dockerd defaults to the systemd driver, which wants a slice).
    "exec-opts": ["native.cgroupdriver=cgroupfs"],
}, open(out, "w"), indent=2)
PY
start_dockerd "$W/d" || { done_testing; exit 1; }
ok 0 "private dockerd answers, the shim is its default runtime"

sh "$ROOT/scripts/mkrootfs.sh" "$W/bb" && cp "$ROOT/$B/probe/sysinfo-glibc" "$ROOT/$B/probe/sysinfo-musl" "$W/bb/bin/" &&
	tar -C "$W/bb" -cf "$W/bb.tar" . && $DOCKER import "$W/bb.tar" pvt/probe:1 >/dev/null
ok $? "docker import of a busybox rootfs with the probes"
mk_image_rootfs "$W/usr" host-usr && $DOCKER import "$W/usr.tar" pvt/hostusr:1 >/dev/null
ok $? "docker import of a rootfs for the host's /usr"

SHOW='free | awk '"'"'$1 == "Mem:" { print "bbfree", $2 }'"'"'
grep "^MemTotal:" /proc/meminfo
echo "glibc $(/bin/sysinfo-glibc)"
echo "musl $(/bin/sysinfo-musl)"'
drun() { # drun NAME ARGS...: docker run --rm ... pvt/probe:1 sh -c SHOW, output in $W/NAME.out
	name=$1
	shift
	$DOCKER run --rm "$@" pvt/probe:1 sh -c "$SHOW" >"$W/$name.out" 2>&1 </dev/null
}
# get NAME TAG KEY: KEY=value from the line starting with TAG
get() { awk -v t="$2" '$1 == t' "$W/$1.out" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }
field() { awk -v k="$1" '$1 == k || $1 == k":" { print $2 }' "$W/$2.out"; }
host() { "$ROOT/$B/probe/sysinfo-glibc" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
show_on_fail() { [ "$T_FAIL" = "$1" ] || sed 's/^/#   /' "$W/$2.out"; }

# 1. 256M, cpuset 0, no daemon beforehand.
is "$(daemons | wc -l)" 0 "no procviewd before the first container"
f=$T_FAIL
drun m256 -m 256m --cpuset-cpus 0
ok $? "docker run -m 256m --cpuset-cpus 0 starts (no daemon before)"
is "$(daemons | wc -l)" 1 "the shim had the hook start procviewd"
is "$(field bbfree m256)" 262144 "256M: busybox free total 262144 kB"
is "$(get m256 glibc totalram)" 268435456 "256M: glibc static sysinfo totalram"
is "$(get m256 glibc phys_bytes)" 268435456 "256M: glibc static sysconf(_SC_PHYS_PAGES)"
is "$(get m256 musl totalram)" 268435456 "256M: musl static sysinfo totalram"
is "$(get m256 musl phys_bytes)" 268435456 "256M: musl sysconf(_SC_PHYS_PAGES)"
is "$(field MemTotal m256)" 262144 "256M: /proc/meminfo agrees"
show_on_fail $f m256

$DOCKER run --rm -m 256m -v /usr:/usr:ro pvt/hostusr:1 getconf _PHYS_PAGES >"$W/gc.out" 2>&1
is "$(cat "$W/gc.out")" $((268435456 / $(getconf PAGESIZE))) "256M: glibc getconf _PHYS_PAGES"

# What the shim wrote: one sysinfo rule, NOTIFY, and the listener.
cid=$($DOCKER run -d -m 256m pvt/probe:1 sleep 600)
cfg=$(find "$W/d/exec" -path "*$cid*" -name config.json 2>/dev/null | head -1)
python3 - "$cfg" "$SOCK" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["linux"]["seccomp"]
rules = [r for r in s["syscalls"] if "sysinfo" in r["names"]]
assert s["listenerPath"] == sys.argv[2], s.get("listenerPath")
assert rules == [{"names": ["sysinfo"], "action": "SCMP_ACT_NOTIFY"}], rules
assert s["defaultAction"] == "SCMP_ACT_ERRNO"
assert len(s["syscalls"]) > 10
PY
ok $? "the running container's config.json: Docker's profile, sysinfo in one NOTIFY rule, listenerPath"

# 2. 1G, 1.5 CPUs.
f=$T_FAIL
drun g1 -m 1g --cpus 1.5
is "$(field bbfree g1)" 1048576 "1G, --cpus 1.5: busybox free total"
is "$(get g1 glibc totalram)" 1073741824 "1G: glibc sysinfo totalram"
is "$(get g1 musl phys_bytes)" 1073741824 "1G: musl _SC_PHYS_PAGES"
show_on_fail $f g1

# 3. No limits: the host's totals exactly.
f=$T_FAIL
drun free
is "$(get free glibc totalram)" "$(host totalram)" "no limits: totalram is the host's exactly"
is "$(get free musl totalswap)" "$(host totalswap)" "no limits: totalswap is the host's exactly"
is "$(get free glibc phys_bytes)" "$(host phys_bytes)" "no limits: _SC_PHYS_PAGES is the host's"
show_on_fail $f free

# 4. No profile: unconfined and privileged. They start, keep the host's
# sysinfo (nothing to add a rule to), and still get the files.
f=$T_FAIL
drun unconf -m 256m --security-opt seccomp=unconfined
ok $? "--security-opt seccomp=unconfined starts"
is "$(get unconf musl totalram)" "$(host totalram)" "unconfined: sysinfo is the host's (documented limit)"
is "$(field MemTotal unconf)" 262144 "unconfined: /proc/meminfo is still the container's"
show_on_fail $f unconf
f=$T_FAIL
drun priv -m 256m --privileged
ok $? "--privileged starts"
is "$(get priv glibc totalram)" "$(host totalram)" "privileged: sysinfo is the host's (documented limit)"
is "$(field MemTotal priv)" 262144 "privileged: /proc/meminfo is still the container's"
show_on_fail $f priv

# 5. A daemon that cannot be started: its socket never answers, so the shim
# leaves the profile alone and the container starts.
f=$T_FAIL
t0=$(date +%s%N)
drun broken -m 256m --runtime pvbroken
ok $? "socket down and no daemon can start: the container starts all the same"
t1=$(date +%s%N)
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
# Diagnostics, interleaved (no assertion: timings belong to make bench).
times="broken $(((t1 - t0) / 1000000))"
for i in 1 2; do
	t0=$(date +%s%N)
	drun normal -m 256m
	times="$times, normal $(ms $t0)"
	t0=$(date +%s%N)
	drun broken2 -m 256m --runtime pvbroken
	times="$times, broken $(ms $t0)"
done
echo "# docker run ms, daemon that cannot start (broken) vs normal: $times (load $(cut -d' ' -f1 /proc/loadavg))"
is "$(get broken musl totalram)" "$(host totalram)" "... with the host's sysinfo"
! grep -q procview "$W/broken.out"
ok $? "... and nothing from the shim in the container's own output (its note goes to syslog)"
show_on_fail $f broken

# 6. The daemon stops while a container runs: docker exec still works (the
# shim has the hook start it again before runc connects the exec'd
# process), and the exec'd process is answered.
for p in $(daemons); do kill $p; done
for _ in $(seq 50); do [ -z "$(daemons)" ] && break; sleep 0.1; done
if [ -n "$(daemons)" ]; then
	echo "# finding: SIGTERM did not stop procviewd within 5 s while a container runs; kill -9"
	for p in $(daemons); do kill -9 $p; done
	sleep 0.5
fi
is "$(daemons | wc -l)" 0 "procviewd is gone"
f=$T_FAIL
$DOCKER exec "$cid" /bin/sysinfo-musl >"$W/exec.out" 2>&1
ok $? "docker exec after the daemon stopped succeeds"
is "$(tr ' ' '\n' <"$W/exec.out" | awk -F= '$1 == "totalram" { print $2 }')" 268435456 \
	"... and its sysinfo is answered by the restarted daemon"
show_on_fail $f exec
$DOCKER rm -f "$cid" >/dev/null 2>&1

# 7. Nothing left behind.
for _ in $(seq 1 50); do [ "$(ls -A "$REC" | wc -l)" = 0 ] && break; sleep 0.1; done
is "$(ls -A "$REC" | wc -l)" 0 "every container's record is gone"
is "$(cg_procs "$CGP" | wc -l)" 0 "no process left in the containers' cgroups"
done_testing
