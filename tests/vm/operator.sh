#!/bin/sh
# Operator tests, run by check-vm inside a guest with systemd as PID 1 and
# pure cgroup v2, after `make install PREFIX=/usr`: the systemd unit, the
# hook through the installed hooks.d files (podman with crun, its default,
# and with runc), plain `crun run` and `runc run`, and nested limits.
# TAP. Every wait polls with a generous bound: the guest is emulated.
. "$(dirname "$0")/../integration/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -f /sys/fs/cgroup/cgroup.controllers ] || skip_all "not a cgroup v2 host"
[ -d /run/systemd/system ] || skip_all "systemd is not PID 1"
for t in podman crun runc python3 busybox nsenter; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
HOOK=/usr/libexec/procview/procview-hook
[ -x "$HOOK" ] && [ -x /usr/bin/procviewd ] || skip_all "procview is not installed in /usr"
for f in procview.json procview-poststop.json; do
	grep -q "\"$HOOK\"" "/usr/share/containers/oci/hooks.d/$f" || skip_all "hooks.d/$f does not run $HOOK"
done
MNT=/var/lib/procview
NCPU=$(getconf _NPROCESSORS_ONLN)
[ "$NCPU" -ge 3 ] || skip_all "needs 3 CPUs to tell --cpus 1.5 from the host ($NCPU)"

W=$(mktemp -d /var/tmp/pv-op.XXXXXX)
on_exit "rm -rf '$W'"
CTRS=""
on_exit 'for c in $CTRS; do podman rm -f -t 0 $c >/dev/null 2>&1; done'
BB=localhost/pv-busybox   # busybox only
TOOLS=localhost/pv-tools # empty /usr for the guest's own: procps, glibc, python3
sh "$ROOT/scripts/mkrootfs.sh" "$W/bb"
sh "$ROOT/scripts/mkrootfs.sh" "$W/tools" host-usr
tar -C "$W/bb" -c . | podman import -q - "$BB" >/dev/null
tar -C "$W/tools" -c . | podman import -q - "$TOOLS" >/dev/null
on_exit "podman rmi -f $BB $TOOLS >/dev/null 2>&1"

main_pid() { systemctl show -p MainPID --value procview; }
active() { [ "$(systemctl is-active procview)" = active ]; }
# ct_mem PID: the MemTotal (kB) the container of host pid PID reads.
ct_mem() { nsenter -t "$1" -m cat /proc/meminfo 2>/dev/null | kv MemTotal; }
ct_pid() { podman inspect -f '{{.State.Pid}}' "$1"; }

# A swap device, so that /proc/swaps and SwapTotal have something to cap.
if [ -z "$(tail -n +2 /proc/swaps)" ]; then
	dd if=/dev/zero of=/var/tmp/pv-swap bs=1M count=256 status=none && chmod 600 /var/tmp/pv-swap &&
		mkswap /var/tmp/pv-swap >/dev/null && swapon /var/tmp/pv-swap
	on_exit "swapoff /var/tmp/pv-swap 2>/dev/null; rm -f /var/tmp/pv-swap"
fi

# ---- 1. systemd: Type=notify, Restart=always, ExecReload=--replace --------
systemctl enable --now procview >"$W/enable.log" 2>&1
ok $? "systemctl enable --now procview ($(tail -1 "$W/enable.log"))"
on_exit "systemctl disable --now procview >/dev/null 2>&1"
is "$(systemctl is-active procview)" active "the unit is active once start returns (Type=notify)"
is "$(systemctl show -p Type --value procview)" notify "... and it is Type=notify"
grep -q " $MNT fuse.procviewd " /proc/self/mounts
ok $? "procviewd serves $MNT"
pid1=$(main_pid)
is "$(cat /proc/$pid1/comm 2>/dev/null)" procviewd "MainPID ($pid1) is procviewd"
grep -qx '0::/system.slice/procview.service' /proc/$pid1/cgroup
ok $? "the daemon lives in system.slice/procview.service ($(cat /proc/$pid1/cgroup))"

# A container reading MemTotal 100 times a second, fork-free (busybox sh
# builtins), into a log on the host.
LOOP='while :; do
	l=""; read -r l </proc/meminfo 2>/dev/null
	case "$l" in "MemTotal:"*" 65536 kB") echo ok ;; *) echo FAIL ;; esac
	usleep 10000
done >>/out/reads'
: >"$W/reads"
podman run -d --name pv-reader -m 64m -v "$W:/out" "$BB" sh -c "$LOOP" >/dev/null 2>"$W/reader.err"
ok $? "a podman (crun) reader container starts ($(head -1 "$W/reader.err"))"
CTRS="$CTRS pv-reader"
oks() { grep -c '^ok$' "$W/reads"; }
fails() { grep -c FAIL "$W/reads"; }
wait_for 120 sh -c "[ \$(grep -c '^ok\$' '$W/reads') -ge 50 ]"
is "$(fails)" 0 "the reader sees 64M ($(oks) reads, none failed)"
RPID=$(ct_pid pv-reader)

kill -9 "$pid1"
wait_for 120 sh -c "p=\$(systemctl show -p MainPID --value procview); [ \"\$p\" != 0 ] && [ \"\$p\" != $pid1 ] && [ \"\$(systemctl is-active procview)\" = active ]"
ok $? "kill -9: Restart=always brings the daemon back (MainPID $pid1 -> $(main_pid))"
wait_for 120 sh -c "nsenter -t $RPID -m cat /proc/meminfo 2>/dev/null | grep -q '^MemTotal: *65536 kB'"
ok $? "the running container's view healed without a restart"
is "$(ct_pid pv-reader)" "$RPID" "... the same container process"
wait_for 60 sh -c "[ \$(tail -n 20 '$W/reads' | grep -c '^ok\$') = 20 ]"
ok $? "its reads succeed again ($(fails) failed across the crash)"
systemctl show -p NRestarts --value procview | grep -qx '[1-9][0-9]*'
ok $? "systemd counted the restart (NRestarts $(systemctl show -p NRestarts --value procview))"

pid2=$(main_pid)
f0=$(fails)
systemctl reload procview >"$W/reload.log" 2>&1
ok $? "systemctl reload procview ($(tail -1 "$W/reload.log"))"
wait_for 120 sh -c "! kill -0 $pid2 2>/dev/null"
ok $? "the replaced daemon ($pid2) exited"
pid3=$(main_pid)
[ "$pid3" != 0 ] && [ "$pid3" != "$pid2" ] && [ "$(cat /proc/$pid3/comm 2>/dev/null)" = procviewd ]
ok $? "MainPID moved to the new daemon ($pid2 -> $pid3)"
o0=$(oks)
wait_for 120 sh -c "[ \$(grep -c '^ok\$' '$W/reads') -ge $((o0 + 100)) ]"
is "$(fails)" "$f0" "zero failed reads in the container across the reload ($(($(oks) - o0)) reads after it)"
sleep 2 # a wrongly tracked main pid shows as a restart soon after
is "$(systemctl is-active procview)" active "the unit stays active after the reload"
is "$(main_pid)" "$pid3" "... with the same MainPID (no restart)"
podman rm -f -t 0 pv-reader >/dev/null 2>&1

# The hook, finding no daemon, starts it through systemd.
systemctl stop procview
wait_for 60 sh -c "! grep -q ' $MNT fuse' /proc/self/mountinfo"
ok $? "systemctl stop: nothing is served on $MNT"
out=$(podman run --rm -m 64m "$BB" grep ^MemTotal: /proc/meminfo 2>&1)
is "$(echo "$out" | awk '{ print $2 }')" 65536 "no daemon: the hook starts one and the container sees 64M ($out)"
is "$(systemctl is-active procview)" active "the hook started procview.service"
grep -qx '0::/system.slice/procview.service' "/proc/$(main_pid)/cgroup"
ok $? "... as systemd's unit, not a child of the hook"

# ---- 2. podman, crun (default) and runc, installed hooks.d only ------------
# SECTION lines in one container run, checked from the outside.
SHOW='
s() { echo "== $1"; }
s free; free -k
s meminfo; cat /proc/meminfo
s swaps; cat /proc/swaps
s getconf; getconf _NPROCESSORS_ONLN
s python; python3 -c "import os; print(os.cpu_count())"
s cpuinfo; grep -c ^processor /proc/cpuinfo
s statcpus; grep -c "^cpu[0-9]" /proc/stat
s online; cat /sys/devices/system/cpu/online
s uptime; cat /proc/uptime
s loadavg; cat /proc/loadavg
s dd; dd if=/dev/zero of=/tmp/pv-io bs=1M count=8 oflag=direct,sync 2>&1 || dd if=/dev/zero of=/tmp/pv-io bs=1M count=8 conv=fsync 2>&1
s diskstats; cat /proc/diskstats
s mounts; grep procview /proc/self/mountinfo | wc -l
s end'
sec() { sed -n "/^== $1\$/,/^== /p" "$2" | sed '1d;$d'; }
host_vda_written() { awk '$3 == "vda" { print $10 }' /proc/diskstats; }
is "$(podman info -f '{{.Host.OCIRuntime.Name}}')" crun "podman's default runtime is crun"
for rt in crun runc; do
	# crun: podman's default, no --runtime flag
	PODMAN=podman
	[ $rt = crun ] || PODMAN="podman --runtime $rt"
	o=$W/$rt.out
	$PODMAN run --rm -m 64m --cpus 1.5 -v /usr:/usr:ro "$TOOLS" sh -c "$SHOW" >"$o" 2>&1
	ok $? "podman ($rt) -m 64m --cpus 1.5 runs with the installed hooks"
	is "$(sec free "$o" | awk '$1 == "Mem:" { print $2 }')" 65536 "$rt: procps free shows 64M"
	is "$(sec meminfo "$o" | kv MemTotal)" 65536 "$rt: /proc/meminfo MemTotal 64M"
	# podman -m 64m gives as much swap again: memory.swap.max 64M
	st=$(sec meminfo "$o" | kv SwapTotal)
	is "$st" 65536 "$rt: SwapTotal is memory.swap.max (64M)"
	is "$(sec swaps "$o" | awk 'NR == 2 { print $3 }')" "$st" "$rt: /proc/swaps agrees with SwapTotal"
	is "$(sec getconf "$o")" 2 "$rt: --cpus 1.5 -> getconf _NPROCESSORS_ONLN 2 (host $NCPU)"
	is "$(sec python "$o")" 2 "$rt: python os.cpu_count() 2"
	is "$(sec cpuinfo "$o")" 2 "$rt: cpuinfo 2 processors"
	is "$(sec statcpus "$o")" 2 "$rt: /proc/stat 2 cpuN lines"
	is "$(sec online "$o")" 0-1 "$rt: online 0-1"
	up=$(sec uptime "$o" | cut -d. -f1)
	[ -n "$up" ] && [ "$up" -lt "$(cut -d. -f1 /proc/uptime)" ] && [ "$up" -lt 300 ]
	ok $? "$rt: uptime is the container's ($up s, host $(cut -d' ' -f1 /proc/uptime) s)"
	la=$(sec loadavg "$o")
	echo "$la" | grep -Eq '^[0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$' &&
		[ "$(echo "$la" | cut -d' ' -f4 | cut -d/ -f2)" -lt 20 ]
	ok $? "$rt: loadavg in kernel format with the container's task count ($la)"
	w=$(sec diskstats "$o" | awk '$3 == "vda" { print $10 }')
	[ -n "$w" ] && [ "$w" -ge 16384 ] && [ "$w" -lt "$(host_vda_written)" ]
	ok $? "$rt: diskstats shows the container's 8 MiB synced write on vda ($w sectors, host $(host_vda_written))"
	[ "$T_FAIL" = 0 ] || sed 's/^/#   /' "$o"

	out=$($PODMAN run --rm --cpuset-cpus 0 -v /usr:/usr:ro "$TOOLS" \
		sh -c 'grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online; getconf _NPROCESSORS_ONLN' 2>&1)
	is "$(echo $out)" "1 0 1" "$rt: --cpuset-cpus 0 -> cpuinfo 1, online 0, getconf 1"

	# Pressure and stat under load: two burners on one CPU contend.
	name=pv-load-$rt
	$PODMAN run -d --name $name --cpuset-cpus 0 "$BB" \
		sh -c 'while :; do :; done & while :; do :; done & exec sleep 100000' >/dev/null 2>"$W/$name.err"
	ok $? "$rt: a loaded container starts ($(head -1 "$W/$name.err"))"
	CTRS="$CTRS $name"
	p=$(ct_pid $name)
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/$p/cgroup)
	wait_for 120 sh -c "awk '/^some/ { split(\$2, a, \"=\"); exit !(a[2] > 1) }' '$cg/cpu.pressure'"
	ok $? "$rt: the container's cgroup is under CPU pressure ($(head -1 "$cg/cpu.pressure"))"
	# A rendering may be one staleness tick (100 ms) old: read the
	# container's file 0.3 s after the "before" value.
	for k in cpu memory io; do
		b=$(awk '/^some/ { sub("total=", "", $5); print $5 }' "$cg/$k.pressure")
		sleep 0.3
		c=$(nsenter -t "$p" -m cat /proc/pressure/$k | awk '/^some/ { sub("total=", "", $5); print $5 }')
		a=$(awk '/^some/ { sub("total=", "", $5); print $5 }' "$cg/$k.pressure")
		h=$(awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/$k)
		[ -n "$c" ] && [ "$b" -le "$c" ] && [ "$c" -le "$a" ]
		ok $? "$rt: /proc/pressure/$k is the container's cgroup's (total $b <= $c <= $a; host $h)"
		[ $k = cpu ] || continue
		[ -n "$c" ] && [ "$c" != "$h" ]
		ok $? "$rt: ... and differs from the host's /proc/pressure/cpu under load ($c, host $h)"
	done
	mono=0 grew=0 prev=""
	for i in 1 2 3 4 5 6; do
		line=$(nsenter -t "$p" -m head -1 /proc/stat)
		if [ -n "$prev" ]; then
			set -- $prev
			shift
			x="$*"
			set -- $line
			shift
			j=1
			for v in "$@"; do
				u=$(echo "$x" | cut -d' ' -f$j)
				[ "$v" -ge "$u" ] || mono=1
				j=$((j + 1))
			done
		fi
		first=${first:-$line}
		prev=$line
		sleep 0.5
	done
	set -- $first
	b0=$(($2 + $4))
	set -- $prev
	[ $(($2 + $4)) -gt "$b0" ] || grew=1
	ok $mono "$rt: /proc/stat cpu fields never go backwards ($first -> $prev)"
	ok $grew "$rt: ... and the container's user+system time grows under load"
	first=""
	podman rm -f -t 0 $name >/dev/null 2>&1
done

# ---- 3. plain crun run / runc run, the hook in config.json -----------------
sh "$ROOT/scripts/mkrootfs.sh" "$W/rootfs-template"
for rt in crun runc; do
	mkdir -p "$W/b-$rt"
	cp -a "$W/rootfs-template" "$W/b-$rt/rootfs"
	python3 "$ROOT/scripts/mkbundle.py" "$W/b-$rt" --memory 67108864 --cpus 0 --hook "$HOOK" -- \
		sh -c 'grep ^MemTotal: /proc/meminfo; grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online'
	id=pv-op-$rt-$$
	out=$(cd "$W/b-$rt" && $rt --root "$W/state-$rt" run "$id" 2>&1 </dev/null)
	rc=$?
	$rt --root "$W/state-$rt" delete -f "$id" >/dev/null 2>&1
	ok $rc "plain $rt run with the hook in config.json"
	is "$(echo $out)" "MemTotal: 65536 kB 1 0" "plain $rt run: 64M, one processor, online 0"
done

# ---- 3b. sysinfo(2) through seccomp, plain crun run / runc run -------------
# The daemon is the systemd service (started by the hook above); a plain
# config.json with `procview seccomp --oci` merged in and no hook. crun and
# runc connect to listenerPath before any hook runs: the service's socket
# must already listen. busybox free asks sysinfo(2), which FUSE cannot reach.
systemctl is-active --quiet procview || systemctl start procview
procview seccomp --oci >"$W/seccomp.json"
ok $? "procview seccomp --oci ($(head -c 80 "$W/seccomp.json"))"
for rt in crun runc; do
	mkdir -p "$W/s-$rt"
	cp -a "$W/rootfs-template" "$W/s-$rt/rootfs"
	python3 "$ROOT/scripts/mkbundle.py" "$W/s-$rt" --memory 67108864 --seccomp "$W/seccomp.json" -- \
		sh -c 'free; grep ^MemTotal: /proc/meminfo'
	id=pv-op-sc-$rt-$$
	out=$(cd "$W/s-$rt" && $rt --root "$W/state-$rt" run "$id" 2>&1 </dev/null)
	rc=$?
	$rt --root "$W/state-$rt" delete -f "$id" >/dev/null 2>&1
	ok $rc "plain $rt run with procview's seccomp profile, the daemon as procview.service"
	# busybox prints "Mem:   " then %12llu columns; its "used" subtracts
	# /proc/meminfo's Cached, which without the hook is the host's, so it
	# can overflow into the total's column: read the total by position.
	is "$(echo "$out" | awk '/^Mem:/ { print substr($0, 8, 12) + 0 }')" 65536 \
		"plain $rt run: busybox free (sysinfo) total is the 64M limit (host $(kv MemTotal </proc/meminfo))"
	[ "$T_FAIL" = 0 ] || echo "$out" | sed 's/^/#   /'
done

# ---- 4. nested: a limit on the parent slice bounds the container -----------
mkdir -p /run/systemd/system
printf '[Slice]\nMemoryMax=48M\n' >/run/systemd/system/pvop.slice
on_exit "systemctl stop pvop.slice >/dev/null 2>&1; rm -f /run/systemd/system/pvop.slice; systemctl daemon-reload"
systemctl daemon-reload && systemctl start pvop.slice
is "$(cat /sys/fs/cgroup/pvop.slice/memory.max 2>/dev/null)" 50331648 "pvop.slice has memory.max 48M"
for rt in crun runc; do
	PODMAN=podman
	[ $rt = crun ] || PODMAN="podman --runtime $rt"
	out=$($PODMAN run --rm --cgroup-parent pvop.slice -m 64m "$BB" \
		sh -c 'grep ^MemTotal: /proc/meminfo; cat /proc/self/cgroup' 2>&1)
	is "$(echo "$out" | kv MemTotal)" 49152 "$rt: --cgroup-parent pvop.slice (48M) bounds -m 64m ($(echo "$out" | tail -1))"
done
# and a hand-made parent for plain runc (cgroupfs, cgroupsPath)
mk_cgroup "pvop-$$/ct"
cg_memory "pvop-$$" 33554432
python3 - "$W/b-runc/config.json" "/pvop-$$/ct" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["cgroupsPath"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"))
PY
out=$(cd "$W/b-runc" && runc --root "$W/state-runc" run "pv-op-nest-$$" 2>&1 </dev/null)
runc --root "$W/state-runc" delete -f "pv-op-nest-$$" >/dev/null 2>&1
is "$(echo "$out" | kv MemTotal)" 32768 "plain runc: a 32M memory.max on the parent of cgroupsPath bounds the 64M limit"
done_testing
