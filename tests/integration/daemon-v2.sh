#!/bin/sh
# procviewd on a cgroup v2 host, through fixture trees: --cgroup-root is a
# v2 tree (tests/fixtures/cgroup/v2), --proc-root a 16-CPU host, and each
# reader writes its own <pid>/cgroup there before it reads.
. "$(dirname "$0")/lib.sh"
need_root
W=$(mktemp -d /tmp/pv-v2.XXXXXX)
on_exit "rm -rf '$W'"
PROC=$W/proc SYS=$W/sys CG=$W/cg MNT=$W/mnt
mkdir -p "$PROC/pressure" "$SYS/devices/system/cpu" "$MNT"
FX=$ROOT/tests/fixtures
cp "$FX/proc/host-meminfo-swap" "$PROC/meminfo"
cp "$FX/proc/cpuinfo-16" "$PROC/cpuinfo"
cp "$FX/proc/stat-16" "$PROC/stat"
cp "$FX/proc/host-swaps" "$PROC/swaps"
printf '   8       0 sda 5 0 10 0 6 0 12 0 0 0 0 0 0 0 0 0 0\n   8      16 sdb 1 0 2 0 1 0 2 0 0 0 0 0 0 0 0 0 0\n' >"$PROC/diskstats"
echo "5000.00 9000.00" >"$PROC/uptime"
echo "0.50 0.40 0.30 2/300 4242" >"$PROC/loadavg"
for k in cpu memory io; do echo "some avg10=9.99 avg60=0.00 avg300=0.00 total=1" >"$PROC/pressure/$k"; done
for f in online present possible; do echo 0-15 >"$SYS/devices/system/cpu/$f"; done
cp -r "$FX/cgroup/v2" "$CG"

start_daemon "$MNT" --cgroup-root "$CG" --proc-root "$PROC" --sys-root "$SYS"
ok $? "procviewd serves a v2 fixture tree"

# as CGROUP, read FILE: the reader registers itself in the fixture /proc
readas() {
	sh -c 'mkdir -p "$1/$$/ns" && echo "0::$2" >"$1/$$/cgroup" && : >"$1/$$/ns/pid" && exec cat "$3"' \
		sh "$PROC" "$1" "$MNT/$2"
}
is "$(readas /parent/child proc/meminfo | kv MemTotal)" 524288 "v2 meminfo: parent's 512M memory.max beats the child's 1G"
free=$(readas /parent/child proc/meminfo | kv MemFree)
is "$free" $((524288 - 102400)) "v2 meminfo: MemFree = limit - memory.current"
is "$(readas /parent/child proc/cpuinfo | grep -c '^processor')" 2 "v2 cpuinfo: cpu.max 1.5 CPUs shows 2"
is "$(readas /parent/child sys/devices/system/cpu/online)" 0-1 "v2 online: 0-1"
is "$(readas /parent/child proc/stat | grep -c '^cpu[0-9]')" 2 "v2 stat: two cpuN lines"
is "$(readas /parent/child proc/pressure/memory | head -1)" "some avg10=1.00 avg60=0.50 avg300=0.10 total=12345" \
	"v2 pressure: the cgroup's own memory.pressure"
is "$(readas /parent/child proc/diskstats | awk '{ print $3, $4, $6, $8, $10 }')" "sda 10 2048 20 4096" \
	"v2 diskstats: io.stat per device, devices without I/O left out"
is "$(readas /parent/tight sys/devices/system/cpu/online)" 0 "v2 online: quota 0.5 shows one CPU"
is "$(readas /parent/tight proc/meminfo | kv SwapTotal)" 65536 "v2 meminfo: swap.max 64M (host has more) gives SwapTotal 64M"
is "$(readas /parent/tight proc/meminfo | kv SwapFree)" 64512 "v2 meminfo: SwapFree = swap.max - swap.current"
is "$(readas /parent/tight proc/swaps | awk "NR == 2 { print \$3, \$4 }")" "65536 1024" "v2 swaps: one line agreeing with meminfo"
is "$(readas /parent/child proc/meminfo | kv SwapTotal)" 2097148 "v2 meminfo: swap.max 'max' is capped by the host's swap"
is "$(readas /parent/child proc/swaps | awk 'NR == 2 { print $3 }')" 2097148 "v2 swaps: agrees with meminfo"
is "$(readas / proc/meminfo | kv MemTotal)" "$(kv MemTotal <"$PROC/meminfo")" "v2 root cgroup: the host's MemTotal"
readas / proc/cpuinfo | cmp -s - "$PROC/cpuinfo"
ok $? "v2 root cgroup: cpuinfo byte for byte"
is "$(readas /gone proc/meminfo | kv MemTotal)" "$(kv MemTotal <"$PROC/meminfo")" "v2 removed cgroup: the host's file, not an error"
done_testing
