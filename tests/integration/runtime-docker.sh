#!/bin/sh
# procview-runtime under Docker for real: a private dockerd whose default
# runtime is the shim (daemon.json "runtimes" with runtimeArgs, and
# "default-runtime"), so a plain `docker run -m 64m IMAGE` gets the views
# with no -v flags. procviewd runs on a private mountpoint with a private
# record dir, passed to the hook through --procview-hook-arg.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.lib"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for t in dockerd runc python3; do
	command -v $t >/dev/null || skip_all "$t not installed (apt-get install docker.io)"
done
[ -x /usr/bin/docker ] || skip_all "/usr/bin/docker missing (apt-get install docker.io)"
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
for f in procviewd procview-hook procview-runtime; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"

W=$(mktemp -d /tmp/pv-rt-docker.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
REC=$W/records
CGP=pv-shim-docker-$$
mkdir -p "$MNT" "$REC" "$W/d"
on_exit "rm_cgroup $CGP"
start_daemon "$MNT" || { done_testing; exit 1; }

python3 - "$W/d/daemon.json" "$ROOT/$B" "$(command -v runc)" "$MNT" "$REC" "$CGP" <<'PY'
import json, sys
out, b, runc, mnt, rec, cgp = sys.argv[1:]
json.dump({
    "runtimes": {"procview": {
        "path": b + "/procview-runtime",
        "runtimeArgs": ["--procview-runtime", runc,
                        "--procview-hook", b + "/procview-hook",
                        "--procview-hook-arg", "--mountpoint=" + mnt,
                        "--procview-hook-arg", "--record-dir=" + rec,
                        "--procview-hook-arg", "--daemon=" + b + "/procviewd",
                        "--procview-seccomp-socket", mnt + ".seccomp.sock"]}},
    "default-runtime": "procview",
    "cgroup-parent": cgp,
    # cgroupfs on v1 and v2 alike, so the parent stays a plain cgroup path
    # (on v2 dockerd defaults to the systemd driver, which wants a slice).
    "exec-opts": ["native.cgroupdriver=cgroupfs"],
}, open(out, "w"), indent=2)
PY
start_dockerd "$W/d" || { done_testing; exit 1; }
ok 0 "private dockerd answers"
is "$($DOCKER info --format '{{.DefaultRuntime}}' 2>/dev/null)" procview "the shim is Docker's default runtime"

mk_image_rootfs "$W/bb" && $DOCKER import "$W/bb.tar" pvt/busybox:1 >/dev/null
ok $? "docker import of a busybox rootfs"
mk_image_rootfs "$W/usr" host-usr && $DOCKER import "$W/usr.tar" pvt/hostusr:1 >/dev/null
ok $? "docker import of a rootfs for the host's /usr"

host_mem=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
ncpu=$(grep -c ^processor /proc/cpuinfo)
SHOW='grep "^MemTotal:" /proc/meminfo; echo "cpus $(grep -c ^processor /proc/cpuinfo)"
echo "online $(cat /sys/devices/system/cpu/online)"
echo "meminfo-fs $(awk '"'"'$5 == "/proc/meminfo" { for (i = 7; $i != "-"; i++); print $(i + 1) }'"'"' /proc/self/mountinfo | tail -1)"'
field() { awk -v k="$1" '$1 == k || $1 == k":" { print $2 }' "$W/$2.out"; }
drun() { # drun NAME ARGS...: docker run --rm, output in $W/NAME.out
	name=$1
	shift
	$DOCKER run --rm "$@" >"$W/$name.out" 2>&1 </dev/null
}

# 1. Plain docker run with a memory limit: no --runtime, no -v.
drun mem -m 64m pvt/busybox:1 sh -c "$SHOW"
ok $? "docker run --rm -m 64m succeeds"
is "$(field MemTotal mem)" 65536 "docker run -m 64m: MemTotal is 64 MB"
is "$(field meminfo-fs mem)" fuse.procviewd "docker run -m 64m: /proc/meminfo is procview's"
[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$W/mem.out"

# 2. procps free, from the host's /usr bound read-only.
drun free -m 64m -v /usr:/usr:ro pvt/hostusr:1 free -m
is "$(awk '$1 == "Mem:" { print $2 }' "$W/free.out")" 64 "procps free -m says 64 (MB)"
[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$W/free.out"

# 3. CPU views follow --cpus and --cpuset-cpus.
if [ "$ncpu" -ge 2 ]; then
	drun cpus --cpus 1 pvt/busybox:1 sh -c "$SHOW"
	is "$(field cpus cpus) $(field online cpus)" "1 0" "--cpus 1: one processor in cpuinfo, online 0"
	drun cpuset --cpuset-cpus 1 pvt/busybox:1 sh -c "$SHOW"
	is "$(field cpus cpuset) $(field online cpuset)" "1 0" "--cpuset-cpus 1: one processor, online 0"
	drun nproc --cpus 1 -v /usr:/usr:ro pvt/hostusr:1 sh -c 'getconf _NPROCESSORS_ONLN; python3 -c "import os; print(os.cpu_count())"'
	is "$(tr '\n' ' ' <"$W/nproc.out")" "1 1 " "--cpus 1: getconf _NPROCESSORS_ONLN and os.cpu_count() say 1"
	drun nolimit pvt/busybox:1 sh -c "$SHOW"
	is "$(field cpus nolimit) $(field MemTotal nolimit)" "$ncpu $host_mem" "no limits: the host's CPUs and memory"
else
	ok 0 "# SKIP one CPU here: --cpus and --cpuset-cpus cannot show less"
fi

# 4. Opt-out. Docker 20.10 puts nothing a user sets into config.json's
# annotations (--label stays Docker's, --annotation does not exist), so
# the shim also reads PROCVIEW=off from the container's environment.
drun label -m 64m --label io.procview.disable=true pvt/busybox:1 sh -c "$SHOW"
is "$(field MemTotal label)" 65536 "finding: --label io.procview.disable=true does not reach the annotations"
$DOCKER run --rm --annotation io.procview.disable=true pvt/busybox:1 true >/dev/null 2>&1
ok $((! $?)) "finding: docker run has no --annotation flag ($($DOCKER version --format '{{.Server.Version}}'))"
drun optout -m 64m -e PROCVIEW=off pvt/busybox:1 sh -c "$SHOW"
is "$(field MemTotal optout)" "$host_mem" "-e PROCVIEW=off: the host's MemTotal"
is "$(field meminfo-fs optout)" "" "-e PROCVIEW=off: nothing mounted over /proc/meminfo"
drun optin -m 64m -e PROCVIEW=on pvt/busybox:1 sh -c "$SHOW"
is "$(field MemTotal optin)" 65536 "-e PROCVIEW=on: views attached"

# 5. Records: present while running, gone after exit (docker rm -f too).
cid=$($DOCKER run -d -m 64m pvt/busybox:1 sleep 60)
[ -n "$cid" ] && [ -e "$REC/$cid" ]
ok $? "a running container has its record"
$DOCKER rm -f "$cid" >/dev/null
for _ in $(seq 1 50); do [ -e "$REC/$cid" ] || break; sleep 0.1; done
[ ! -e "$REC/$cid" ]
ok $? "docker rm -f: its record is gone"
is "$(ls -A "$REC" | wc -l)" 0 "every container's record is gone after it exited"

# 6. Nothing left behind: no shim, runc, hook or container process; the
# only procviewd is ours.
for _ in $(seq 1 100); do
	left=$(procs_under "$W" | while read -r p; do
		[ "$p" = "$DAEMON_PID" ] && continue
		renderer_of "$p" "$DAEMON_PID" && continue
		a=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
		case "$a" in dockerd\ * | containerd\ --config*) ;; *) echo "$p $a" ;; esac
	done)
	[ -z "$left" ] && break
	sleep 0.1
done
is "$left" "" "no process left behind but dockerd, its containerd and our procviewd"
in_cg=$(cg_procs "$CGP" | wc -l)
is "$in_cg" 0 "no process left in the containers' cgroups"
is "$(pgrep -fc "^[^ ]*procviewd( .*)? $MNT\$")" 1 "the hook started no second daemon"

done_testing
