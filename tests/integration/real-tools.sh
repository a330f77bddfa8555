#!/bin/sh
# Real programs read the per-reader files bound over /proc in a private
# mount namespace, inside a limited cgroup: they must show the limits.
. "$(dirname "$0")/lib.sh"
need_root
for t in free top uptime vmstat getconf python3 unshare; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

MNT=$(mktemp -d /tmp/pv-tools.XXXXXX)
on_exit "rmdir '$MNT' 2>/dev/null"
start_daemon "$MNT"
ok $? "procviewd answers"

CG=pvtest-tools-$$
mk_cgroup "$CG"
cg_memory "$CG" 268435456
cg_cpuset "$CG" 0

OUT=$(mktemp)
on_exit "rm -f '$OUT'"
in_cgroup "$CG" unshare -fpm --mount-proc sh -c "
	for f in meminfo cpuinfo stat uptime loadavg diskstats swaps; do
		mount --bind $MNT/proc/\$f /proc/\$f
	done
	for f in online present possible; do
		mount --bind $MNT/sys/devices/system/cpu/\$f /sys/devices/system/cpu/\$f
	done
	sleep 1
	echo '== free'; free -k
	echo '== top'; top -bn1 | head -5
	echo '== uptime'; uptime
	echo '== vmstat'; vmstat 1 2
	echo '== getconf'; getconf _NPROCESSORS_ONLN
	echo '== python'; python3 -c 'import os; print(os.cpu_count())'
	echo '== end'
" >"$OUT" 2>&1
section() { sed -n "/^== $1\$/,/^== /p" "$OUT" | sed '1d;$d'; }

is "$(section free | awk '/^Mem:/ { print $2 }')" 262144 "free: total is the 256M limit"
section top | grep -Eq 'Mem :? +256\.0 total'
ok $? "top -bn1: 256.0 MiB total ($(section top | grep Mem | head -1))"
section top | grep -Eq '^%?Cpu'
ok $? "top -bn1: has a CPU summary line"
section uptime | grep -Eq 'up +(0 min|[0-9]+ sec|0:0[0-9])'
ok $? "uptime: the container is minutes old, not the host ($(section uptime))"
section uptime | grep -q 'load average'
ok $? "uptime: reports a load average"
vfree=$(section vmstat | tail -1 | awk '{ print $4 }')
[ -n "$vfree" ] && [ "$vfree" -le 262144 ]
ok $? "vmstat: free ($vfree kB) fits in the limit"
is "$(section getconf)" 1 "getconf _NPROCESSORS_ONLN: 1"
is "$(section python)" 1 "python os.cpu_count(): 1"
grep -q '^== end' "$OUT"
ok $? "all tools ran"
[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$OUT"
done_testing
