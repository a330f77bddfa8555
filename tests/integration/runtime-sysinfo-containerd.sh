#!/bin/sh
# sysinfo(2) under containerd through procview-runtime (the Kubernetes
# path), for real: a private containerd, `ctr run --seccomp` (containerd's
# default profile, what a pod with seccompProfile RuntimeDefault gets) with
# the shim as --runc-binary, its settings from runtime.conf. No procviewd
# runs at first. The static glibc and musl probes and busybox free at 256M;
# without --seccomp (no profile) the container starts with the host's
# sysinfo.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime.lib"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -c /dev/fuse ] || skip_all "no /dev/fuse"
for t in containerd ctr containerd-shim-runc-v2 runc python3; do
	command -v $t >/dev/null || skip_all "$t not installed (apt-get install containerd)"
done
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
for f in procviewd procview-hook procview-runtime probe/sysinfo-glibc probe/sysinfo-musl; do
	[ -x "$ROOT/$B/$f" ] || skip_all "$B/$f not built (musl-tools missing?)"
done
[ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"
SHIM=$ROOT/$B/procview-runtime

W=$(mktemp -d /tmp/pv-rt-ctr-sysinfo.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
SOCK=$W/sc.sock
REC=$W/records
CGP=pv-notify-ctr-$$
mkdir -p "$MNT" "$REC" "$W/c"
on_exit "rm_cgroup $CGP"
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'for p in $(daemons); do kill -9 $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'
cat >"$W/runtime.conf" <<CONF
runtime = $(command -v runc)
hook = $ROOT/$B/procview-hook
hook-arg = --mountpoint=$MNT
hook-arg = --record-dir=$REC
hook-arg = --daemon=$ROOT/$B/procviewd
seccomp-socket = $SOCK
CONF
export PROCVIEW_RUNTIME_CONFIG=$W/runtime.conf
start_containerd "$W/c" || { done_testing; exit 1; }
ok 0 "private containerd answers"

sh "$ROOT/scripts/mkrootfs.sh" "$W/bb" && cp "$ROOT/$B/probe/sysinfo-glibc" "$ROOT/$B/probe/sysinfo-musl" "$W/bb/bin/" &&
	tar -C "$W/bb" -cf "$W/bb.tar" . && mk_docker_archive "$W/bb.tar" pvt/probe:1 "$W/image.tar" &&
	$CTR images import "$W/image.tar" >/dev/null
ok $? "ctr images import of a busybox rootfs with the probes"
IMG=docker.io/pvt/probe:1

SHOW='free | awk '"'"'$1 == "Mem:" { print "bbfree", $2 }'"'"'
echo "glibc $(/bin/sysinfo-glibc)"
echo "musl $(/bin/sysinfo-musl)"'
crun() { # crun NAME ARGS...: ctr run --rm with the shim, output in $W/NAME.out
	name=$1
	shift
	timeout 120 $CTR run --rm --runc-binary "$SHIM" --cgroup "/$CGP/$name" "$@" "$IMG" \
		"pvs-$$-$name" sh -c "$SHOW" >"$W/$name.out" 2>&1 </dev/null
}
get() { awk -v t="$2" '$1 == t' "$W/$1.out" | tr ' ' '\n' | awk -F= -v k="$3" '$1 == k { print $2 }'; }
host() { "$ROOT/$B/probe/sysinfo-glibc" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

is "$(daemons | wc -l)" 0 "no procviewd before the first container"
f=$T_FAIL
crun m256 --seccomp --memory-limit 268435456
ok $? "ctr run --seccomp --memory-limit 256M through the shim starts (no daemon before)"
is "$(daemons | wc -l)" 1 "the hook started procviewd"
is "$(awk '$1 == "bbfree" { print $2 }' "$W/m256.out")" 262144 "256M: busybox free total 262144 kB"
is "$(get m256 glibc phys_bytes)" 268435456 "256M: glibc static sysconf(_SC_PHYS_PAGES)"
is "$(get m256 musl totalram)" 268435456 "256M: musl static sysinfo totalram"
[ "$T_FAIL" = "$f" ] || sed 's/^/#   /' "$W/m256.out"

f=$T_FAIL
crun free --seccomp
is "$(get free musl totalram)" "$(host totalram)" "--seccomp, no limits: totalram is the host's exactly"
[ "$T_FAIL" = "$f" ] || sed 's/^/#   /' "$W/free.out"

f=$T_FAIL
crun noprof --memory-limit 268435456
ok $? "no --seccomp (no profile): starts"
is "$(get noprof musl totalram)" "$(host totalram)" "no profile: sysinfo is the host's (documented limit)"
[ "$T_FAIL" = "$f" ] || sed 's/^/#   /' "$W/noprof.out"

for _ in $(seq 1 50); do [ "$(ls -A "$REC" | wc -l)" = 0 ] && break; sleep 0.1; done
is "$(ls -A "$REC" | wc -l)" 0 "every container's record is gone"
done_testing
