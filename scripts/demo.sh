#!/bin/sh
# make demo: start procviewd, run a runc container limited to 256M and one
# CPU with procview-hook in its config (no -v flags anywhere), and show
# what the host sees against what the container sees.
set -e
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ "$(id -u)" = 0 ] || { echo "make demo: run as root (it mounts and runs containers)" >&2; exit 1; }
MNT=${PROCVIEW_MOUNTPOINT:-/var/lib/procview}

if "$B/procviewd" "$MNT" 2>/dev/null; then
	echo "started procviewd on $MNT"
else
	echo "procviewd already serving $MNT"
fi

W=$(mktemp -d /tmp/procview-demo.XXXXXX)
trap 'runc delete -f pvdemo >/dev/null 2>&1; rm -rf "$W"' EXIT
sh scripts/mkrootfs.sh "$W/rootfs" host-usr

SHOW='echo "free -m:"; free -m | sed -n 2p
echo "getconf _NPROCESSORS_ONLN: $(getconf _NPROCESSORS_ONLN)"
echo "python3 os.cpu_count(): $(python3 -c "import os; print(os.cpu_count())" 2>/dev/null || echo n/a)"
echo "uptime: $(uptime)"
echo "/proc/loadavg: $(cat /proc/loadavg)"
echo "/proc/cpuinfo processors: $(grep -c ^processor /proc/cpuinfo)"
echo "busybox free total (sysinfo): $(busybox free | awk "/^Mem/ { print \$2 }") kB"
echo "getconf _PHYS_PAGES (sysinfo): $(getconf _PHYS_PAGES)"'

# sysinfo(2) is answered through seccomp user notification: the daemon
# listens on its socket, and the container's profile names it.
SECCOMP=
SOCK=/run/procview/seccomp.sock
if [ -S "$SOCK" ] && "$B/procview" seccomp --oci --socket "$SOCK" >"$W/seccomp.json"; then
	SECCOMP="--seccomp $W/seccomp.json"
fi

python3 scripts/mkbundle.py "$W" --host-usr --memory $((256 << 20)) --cpus 0 \
	--hook "$B/procview-hook" --daemon "$B/procviewd" --mountpoint "$MNT" $SECCOMP -- sh -c "$SHOW"

sh -c "$SHOW" >"$W/host.txt"
( cd "$W" && runc run pvdemo ) >"$W/container.txt" 2>&1

echo
echo "Container: runc, memory limit 256M, cpuset 0, procview-hook in hooks.createRuntime${SECCOMP:+,}"
[ -z "$SECCOMP" ] || echo "sysinfo answered by procviewd (the profile from procview seccomp --oci)"
echo
printf '%-62s | %s\n' "HOST" "CONTAINER"
printf '%-62s-+-%s\n' "$(printf '%062d' 0 | tr 0 -)" "------------------------------------------------------------"
paste -d'\t' "$W/host.txt" "$W/container.txt" | while IFS="$(printf '\t')" read -r h c; do
	printf '%-62.62s | %s\n' "$h" "$c"
done
