#!/bin/sh
# check-vm, inside the guest (systemd PID 1, pure cgroup v2), run by
# procview-vm.service from the 9p share: install procview from /share/src
# (built by run.sh in a chroot of this guest's tree; built here if not)
# with PREFIX=/usr, run the operator tests, then its test suite.
# Everything goes to /share/out/log; the counts to /share/out/summary and
# the exit code to /share/out/rc, which the host waits for.
OUT=/share/out
exec >>"$OUT/log" 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
t0=$(date +%s)
stamp() { echo "== [$(($(date +%s) - t0)) s] $*"; }
pass=0 fail=0 skip=0
finish() {
	# A failure's context: what the hook, procviewd and systemd logged
	# (the runtimes drop a fail-open hook's stderr).
	[ "$fail" = 0 ] || journalctl -b --no-pager -o short-monotonic >"$OUT/journal" 2>&1
	echo "$pass passed, $fail failed, $skip skipped" >"$OUT/summary"
	[ "$fail" = 0 ]
	echo $? >"$OUT/rc"
	sync
	exit 0
}
# add_counts FILE: add the last "N passed, N failed, N skipped" line of FILE.
add_counts() {
	set -- $(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -1 | tr -d ,)
	if [ $# -lt 6 ]; then
		fail=$((fail + 1))
		return
	fi
	pass=$((pass + $1)) fail=$((fail + $3)) skip=$((skip + $5))
}

stamp "guest up: $(uname -r), $(systemctl --version | head -1)"
echo "cgroup: $(stat -fc %T /sys/fs/cgroup), controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "runtimes: crun $(crun --version | awk 'NR == 1 { print $3 }'), runc $(runc --version | awk 'NR == 1 { print $3 }'), podman $(podman --version | awk '{ print $3 }')"
echo "system state: $(systemctl is-system-running)"
echo "booted in $(cut -d' ' -f1 /proc/uptime) s (guest clock)"
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ]; then
	echo "not ok - the guest is not on pure cgroup v2"
	fail=1
	finish
fi

SRC=/root/procview
rm -rf "$SRC"
cp -a /share/src "$SRC"
cd "$SRC" || finish
# Built once for /usr: the operator tests need the installed paths, and the
# suite passes its binaries' paths explicitly. With the host's build in
# build/, make finds everything up to date and only installs.
if [ -x build/procviewd ]; then
	stamp "make install PREFIX=/usr (built by the host in this guest's tree)"
else
	stamp "build and make install PREFIX=/usr"
fi
if ! make -j"$(nproc)" PREFIX=/usr all tests install >/root/build.log 2>&1; then
	tail -30 /root/build.log
	echo "not ok - make PREFIX=/usr all tests install"
	fail=1
	finish
fi
echo "compiled here: $(grep -c '^cc ' /root/build.log) cc commands"

# The operator tests first: they are what only this guest can check.
stamp "operator tests (tests/vm/operator.sh)"
{
	sh tests/vm/operator.sh
	echo $? >/root/operator.rc
} 2>&1 | tee /root/operator.log
rc=$(cat /root/operator.rc)
p=$(grep -c '^ok ' /root/operator.log)
s=$(grep -c '^ok .*# SKIP' /root/operator.log)
f=$(grep -c '^not ok ' /root/operator.log)
[ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
pass=$((pass + p - s)) fail=$((fail + f)) skip=$((skip + s))
echo "operator.sh: $((p - s)) passed, $f failed, $s skipped"

# The project's own suite, as `make check` runs it (its deps step is not
# needed: the image has every package, and there is no network).
PV_TESTS="" PV_LANES=""
[ -f /share/env ] && . /share/env
PV_LANES=${PV_LANES:-2}
# one TEST: run it through tests/run.sh; its output in /root/suite.TEST.log,
# its seconds in $OUT/times. A test still running after TEST_TIMEOUT is
# stopped and counted as failed, so a hang cannot eat the guest's time.
one() {
	ts=$(date +%s)
	TESTS=$1 TIMES=1 TEST_TIMEOUT=${PV_TEST_TIMEOUT:-900} KEEP_OUT=$OUT/failed B=build \
		sh tests/run.sh >"/root/suite.$1.log" 2>&1
	# One write per test: two lanes append to the same log.
	{
		grep -v -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "/root/suite.$1.log"
		echo "# $1: $(($(date +%s) - ts)) s"
	} >"/root/suite.$1.block"
	cat "/root/suite.$1.block"
	echo "$1 $(($(date +%s) - ts))" >>"$OUT/times"
}
# lane TEST...: one after another.
lane() { for t in "$@"; do one "$t"; done; }
if [ "$PV_TESTS" = none ]; then
	stamp "test suite not run (PROCVIEW_VM_TESTS=none)"
elif [ -n "$PV_TESTS" ]; then
	stamp "test suite (tests/run.sh) on cgroup v2:$PV_TESTS"
	lane $PV_TESTS
else
	# Every test. The emulated guest keeps about one of this machine's
	# CPUs busy with one test at a time, so most run in PV_LANES lanes
	# side by side (they use private mountpoints, cgroups and runtime
	# roots). The ones that time things (the hook's budget, reads across
	# renderer kills and load) run afterwards, alone.
	alone="hook-budget.sh reliability.sh"
	# Lanes are balanced by these seconds, measured in a guest (others
	# count 10): longest first, each to the lane with the least so far.
	weights="hook-runc.sh 300 seccomp-podman-installed.sh 210 runtime-containerd.sh 205
		install.sh 90 runtime-sysinfo-docker.sh 65 runtime-docker.sh 50 hook-podman.sh 40
		runtime-sysinfo-containerd.sh 40 seccomp-podman.sh 36 daemon-harden.sh 32
		seccomp-daemon.sh 32 daemon.sh 31 seccomp-runc.sh 100 hook-attach.sh 20"
	all=""
	for t in build/tests/test_* tests/integration/*.sh; do
		n=${t##*/}
		case " lib.sh $alone " in *" $n "*) continue ;; esac
		all="$all $n"
	done
	plan=$(printf '%s\n' $all | awk -v w="$weights" '
		BEGIN { n = split(w, a); for (i = 1; i < n; i += 2) secs[a[i]] = a[i + 1] }
		{ print ($1 in secs ? secs[$1] : 10), $1 }' | sort -rn | awk -v lanes="$PV_LANES" '
		{ best = 1; for (l = 2; l <= lanes; l++) if (sum[l] < sum[best]) best = l
		  sum[best] += $1; list[best] = list[best] " " $2 }
		END { for (l = 1; l <= lanes; l++) print list[l] }')
	stamp "test suite (tests/run.sh) on cgroup v2, in $PV_LANES lanes, then alone:$alone"
	echo "$plan" | awk '{ print "lane " NR ":" $0 }'
	pids=""
	echo "$plan" >/root/lanes
	while read -r tests; do
		[ -n "$tests" ] || continue
		lane $tests &
		pids="$pids $!"
	done </root/lanes
	wait $pids
	stamp "the lanes are done; alone:$alone"
	lane $alone
	PV_TESTS="$all $alone"
fi
if [ "$PV_TESTS" != none ]; then
	for t in $PV_TESTS; do add_counts "/root/suite.$t.log"; done
	echo "suite: $pass passed, $fail failed, $skip skipped (with the operator tests)"
fi
stamp "done"
finish
