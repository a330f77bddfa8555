#!/bin/sh
# procview-hook's attach step without a daemon: the "container" is a
# process in its own mount namespace, the "daemon" a tree of plain files
# (--no-start). Checks where mounts land, and where they must not.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
HOOK=$ROOT/$B/procview-hook
[ -x "$HOOK" ] || skip_all "$B/procview-hook not built"
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip_all "no unshare/nsenter"

W=$(mktemp -d /tmp/pv-hook-attach.XXXXXX)
on_exit "rm -rf '$W'"
MNT=$W/mnt
RECORDS=$W/records
SLEEPERS=""
on_exit 'for p in $SLEEPERS; do kill $p 2>/dev/null; done'

starttime() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $20 }'; }

# new_ns: a process in a private mount namespace; sets NS_PID.
new_ns() {
	unshare -m --propagation private sleep 300 &
	NS_PID=$!
	SLEEPERS="$SLEEPERS $NS_PID"
	for _ in $(seq 1 100); do
		[ "$(readlink /proc/$NS_PID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.02
	done
}

# fake_src PID: plain files where procviewd would serve that container.
fake_src() {
	d=$MNT/containers/$1-$(starttime "$1")
	mkdir -p "$d/proc/pressure" "$d/sys/devices/system/cpu"
	for f in meminfo cpuinfo stat uptime loadavg diskstats swaps; do
		echo "procview-fake $f" >"$d/proc/$f"
	done
	for f in cpu memory io; do echo "procview-fake pressure/$f" >"$d/proc/pressure/$f"; done
	for f in online present possible; do echo "procview-fake $f" >"$d/sys/devices/system/cpu/$f"; done
}

# bundle DIR ROOT [EXTRA-JSON]: a config.json with root.path ROOT.
bundle() {
	mkdir -p "$1"
	python3 - "$1" "$2" "${3:-{\}}" <<'PY'
import json, sys
cfg = {"ociVersion": "1.0.2", "root": {"path": sys.argv[2]},
       "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}
cfg.update(json.loads(sys.argv[3]))
json.dump(cfg, open(sys.argv[1] + "/config.json", "w"))
PY
}

state() { # state ID PID BUNDLE [ANNOTATIONS-JSON]
	printf '{"ociVersion":"1.0.2","id":"%s","status":"creating","pid":%s,"bundle":"%s","annotations":%s}' \
		"$1" "$2" "$3" "${4:-{\}}"
}

hook() { "$HOOK" "$@" --mountpoint "$MNT" --no-start --record-dir "$RECORDS"; }
in_ns() { nsenter -t "$1" -m "$@"; }
# Host mounts from or onto this test's files (other suites may mount and
# unmount elsewhere at the same time).
host_mounts() { awk -v w="${W##*/}" 'index($4, w) || index($5, w)' /proc/self/mountinfo | wc -l; }

# 1. The normal case: the whole set lands inside, read-only, and nowhere else.
new_ns
P=$NS_PID
fake_src "$P"
bundle "$W/b1" /
before=$(host_mounts)
state t1 "$P" "$W/b1" | hook createRuntime 2>"$W/err"
ok $? "attach: hook exits 0"
is "$(nsenter -t "$P" -m cat /proc/meminfo)" "procview-fake meminfo" "attach: the container reads the view"
is "$(nsenter -t "$P" -m cat /sys/devices/system/cpu/online)" "procview-fake online" "attach: sys cpu online too"
if [ -e /proc/pressure/cpu ]; then
	is "$(nsenter -t "$P" -m cat /proc/pressure/io)" "procview-fake pressure/io" "attach: pressure files"
fi
grep -q "^MemTotal:" /proc/meminfo
ok $? "attach: the host's /proc/meminfo is untouched"
is "$(host_mounts)" "$before" "attach: no mount added on the host"
opts=$(nsenter -t "$P" -m awk '$5 == "/proc/meminfo" { print $6 }' /proc/self/mountinfo | tail -1)
case "$opts" in ro,nosuid,nodev,noexec*) ok 0 "attach: mount is ro,nosuid,nodev,noexec ($opts)" ;;
*) ok 1 "attach: mount is ro,nosuid,nodev,noexec (got '$opts')" ;; esac
nsenter -t "$P" -m sh -c 'echo x > /proc/meminfo' 2>/dev/null
ok $((! $?)) "attach: the view cannot be written"
rec=$(cat "$RECORDS/t1" 2>/dev/null)
echo "$rec" | grep -q "\"pid\": $P" && echo "$rec" | grep -q '"rootfs": "/"' &&
	echo "$rec" | grep -q '"proc/meminfo"'
ok $? "record: written with pid, rootfs / and files"
is "$(stat -c %a "$RECORDS/t1" 2>/dev/null)" 600 "record: mode 0600"
# poststop while the recorded process still lives: a newer container
# that reused the id owns that record, so it is kept.
printf '{"ociVersion":"1.0.2","id":"t1","status":"stopped","bundle":"%s"}' "$W/b1" | hook poststop 2>"$W/err"
ok $? "poststop (recorded pid alive): exits 0"
[ -e "$RECORDS/t1" ]
ok $? "poststop (recorded pid alive): record kept ($(cat "$W/err"))"
printf '{"ociVersion":"1.0.2","id":"t1","status":"stopped","pid":1,"bundle":"%s"}' "$W/b1" | hook poststop 2>/dev/null
[ -e "$RECORDS/t1" ]
ok $? "poststop (state names another pid): record kept"
kill "$P"
wait "$P" 2>/dev/null
printf '{"ociVersion":"1.0.2","id":"t1","status":"stopped","bundle":"%s"}' "$W/b1" | hook poststop
ok $? "poststop: exits 0"
[ ! -e "$RECORDS/t1" ]
ok $? "poststop: record removed once its process is gone"

# 2. A host pid must get nothing mounted anywhere.
before=$(host_mounts)
state t2 $$ "$W/b1" | hook createRuntime 2>"$W/err"
ok $? "host pid: fail-open exit 0"
grep -q "host's mount namespace" "$W/err"
ok $? "host pid: says why ($(head -1 "$W/err"))"
is "$(host_mounts)" "$before" "host pid: no mount on the host"
state t2 $$ "$W/b1" | hook createRuntime --strict 2>/dev/null
is $? 3 "host pid: --strict exits 3"
state t2 $$ "$W/b1" '{"io.procview.strict":"true"}' | hook createRuntime 2>/dev/null
is $? 3 "host pid: strict annotation exits 3"

# 3. Hostile rootfs: proc/meminfo a symlink out of /proc, no procfs there.
new_ns
P=$NS_PID
fake_src "$P"
R=$W/hostile
mkdir -p "$R/proc" "$R/etc" "$R/sys/devices/system/cpu"
echo original >"$R/etc/target"
ln -s ../etc/target "$R/proc/meminfo"
echo plain >"$R/proc/cpuinfo" # a regular file, not procfs
ln -s /etc/passwd "$R/sys/devices/system/cpu/online"
bundle "$W/b3" "$R"
state t3 "$P" "$W/b3" | hook createRuntime 2>"$W/err"
ok $? "hostile: fail-open exit 0"
is "$(nsenter -t "$P" -m cat "$R/etc/target")" original "hostile: symlink target untouched inside"
is "$(cat "$R/etc/target")" original "hostile: symlink target untouched on the host"
is "$(nsenter -t "$P" -m cat "$R/proc/cpuinfo")" plain "hostile: non-procfs file not covered"
is "$(nsenter -t "$P" -m grep -c " $R" /proc/self/mountinfo)" 0 "hostile: nothing mounted under the rootfs"
nsenter -t "$P" -m grep -q "^root:" /etc/passwd
ok $? "hostile: absolute symlink not followed to /etc/passwd"
grep -q "symlink on the path" "$W/err" && grep -q "not procfs/sysfs" "$W/err"
ok $? "hostile: the log names both reasons ($(cat "$W/err"))"
state t3 "$P" "$W/b3" | hook createRuntime --strict 2>/dev/null
is $? 3 "hostile: --strict exits 3"
[ ! -e "$RECORDS/t3" ]
ok $? "hostile: no record"

# 4. User mounts and opt-out.
new_ns
P=$NS_PID
fake_src "$P"
bundle "$W/b4" / '{"mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/proc/meminfo","type":"bind","source":"/x"}]}'
state t4 "$P" "$W/b4" | hook createRuntime 2>/dev/null
ok $? "user mount: exit 0"
nsenter -t "$P" -m grep -q "^MemTotal:" /proc/meminfo
ok $? "user mount: /proc/meminfo left to the user"
is "$(nsenter -t "$P" -m cat /proc/uptime)" "procview-fake uptime" "user mount: the others attached"
new_ns
P=$NS_PID
fake_src "$P"
bundle "$W/b5" / '{"annotations":{"io.procview.disable":"true"}}'
state t5 "$P" "$W/b5" | hook createRuntime 2>/dev/null
ok $? "opt-out (config): exit 0"
nsenter -t "$P" -m grep -q "^MemTotal:" /proc/meminfo
ok $? "opt-out (config): host /proc/meminfo"
state t5 "$P" "$W/b1" '{"io.procview.disable":"true"}' | hook createRuntime 2>/dev/null
nsenter -t "$P" -m grep -q "^MemTotal:" /proc/meminfo
ok $? "opt-out (state annotation): host /proc/meminfo"

# 5. A source the daemon does not serve (pressure here) is skipped quietly.
new_ns
P=$NS_PID
fake_src "$P"
rm -rf "$MNT/containers/$P-$(starttime "$P")/proc/pressure"
state t6 "$P" "$W/b1" | hook createRuntime --strict 2>"$W/err"
ok $? "missing source: still success, even strict ($(cat "$W/err"))"
is "$(nsenter -t "$P" -m cat /proc/stat)" "procview-fake stat" "missing source: the rest attached"
state t7 "$P" "$W/b1" | "$HOOK" createRuntime --no-start --mountpoint "$W/nothing" --record-dir "$RECORDS" 2>"$W/err"
ok $? "no daemon tree at all: fail-open exit 0"
grep -q "no files to attach" "$W/err"
ok $? "no daemon tree at all: says so"
record_remove_all() { rm -f "$RECORDS"/*; }
record_remove_all

# 7. Starting a daemon: a stand-in that never answers records what it got.
# Without systemd the hook double-forks it; with systemd as PID 1 it asks
# systemd for a transient unit of the unit's properties (named after the
# mountpoint), and what the daemon gets is systemd's doing, not ours.
SYSTEMD=""
[ -d /run/systemd/system ] && command -v systemd-run >/dev/null && SYSTEMD=1
UNIT=$(hook_unit "$W/fakemnt")
FAKE=$W/fake-daemon
cat >"$FAKE" <<FAKEEOF
#!/bin/sh
{ echo "args \$*"; echo "pid \$\$"; echo "ppid \$(awk '/^PPid:/ { print \$2 }' /proc/\$\$/status)"
  echo "sid \$(cut -d' ' -f6 /proc/\$\$/stat) pid \$\$"
  echo "cgroup \$(grep -E ':(memory|name=systemd|):' /proc/\$\$/cgroup | tr '\n' ' ')"
  echo "env \$(tr '\0' ' ' </proc/\$\$/environ)"
  echo "nofile \$(awk '/^Max open files/ { print \$4 }' /proc/\$\$/limits)"
  echo "nofile_hard \$(awk '/^Max open files/ { print \$5 }' /proc/\$\$/limits)"
  echo "core \$(awk '/^Max core file size/ { print \$5 }' /proc/\$\$/limits)"
  echo "oom \$(cat /proc/\$\$/oom_score_adj)"
} >"$W/fake.out"
exec sleep 30
FAKEEOF
chmod +x "$FAKE"
if [ -n "$SYSTEMD" ]; then
	# Restart=always would start the stand-in again once killed.
	on_exit "stop_hook_units '$W/fakemnt'"
else
	on_exit 'p=$(awk "\$1 == \"pid\" { print \$2; exit }" "$W/fake.out" 2>/dev/null); [ -n "$p" ] && kill $p 2>/dev/null'
fi
new_ns
P=$NS_PID
t0=$(date +%s)
# Through a pipe, like runc: the hook must not leave it open in the daemon.
# PV_RUNTIME_ENV stands for the runtime's environment.
state t8 "$P" "$W/b1" | PV_RUNTIME_ENV=1 "$HOOK" createRuntime --mountpoint "$W/fakemnt" --daemon "$FAKE" \
	--record-dir "$RECORDS" 2>&1 | cat >"$W/err"
t1=$(date +%s)
[ $((t1 - t0)) -le 6 ]
ok $? "spawn: the hook returns (and its pipe closes) in bounded time ($((t1 - t0)) s)"
grep -q "did not answer on $W/fakemnt" "$W/err"
ok $? "spawn: fail-open with the reason ($(cat "$W/err"))"
wait_for 10 grep -q '^oom ' "$W/fake.out"
is "$(awk '$1 == "args" { $1 = ""; print substr($0, 2) }' "$W/fake.out")" "-f $W/fakemnt" "spawn: daemon runs with -f MOUNTPOINT"
is "$(awk '$1 == "ppid" { print $2 }' "$W/fake.out")" "$(awk '$1 == "ppid" { print $2 }' "$W/fake.out" | grep -vx "$$")" "spawn: not our child"
set -- $(awk '$1 == "sid" { print $2 }' "$W/fake.out") "$(cut -d' ' -f6 /proc/$$/stat)"
[ -n "$1" ] && [ "$1" != "$2" ]
ok $? "spawn: the daemon is in a session of its own ($1, ours $2)"
# The stand-in exec'd sleep: its fds are exactly what the daemon inherited.
fp=$(awk '$1 == "pid" { print $2 }' "$W/fake.out")
fds=$(for f in /proc/$fp/fd/*; do echo "${f##*/} $(readlink "$f")"; done | tr '\n' ',')
env=$(awk '$1 == "env" { $1 = ""; print substr($0, 2) }' "$W/fake.out")
if [ -n "$SYSTEMD" ]; then
	# systemd: stdin /dev/null, stdout and stderr the journal's socket.
	echo "$fds" | grep -Eqx '0 /dev/null,1 socket:\[[0-9]+\],2 socket:\[[0-9]+\],'
	ok $? "spawn (systemd): only stdio, the journal's (no lock, no pipe: $fds)"
	grep -q " 0::/system.slice/$UNIT " "$W/fake.out"
	ok $? "spawn (systemd): in the transient unit's cgroup ($(grep cgroup "$W/fake.out"))"
	case " $env " in
	*" PV_RUNTIME_ENV="*) ok 1 "spawn (systemd): systemd's environment, nothing of the runtime's ($env)" ;;
	*" INVOCATION_ID="*) ok 0 "spawn (systemd): systemd's environment, nothing of the runtime's" ;;
	*) ok 1 "spawn (systemd): systemd's environment, nothing of the runtime's ($env)" ;;
	esac
	props=$(systemctl show -p Type,NotifyAccess,KillMode,Restart,OOMScoreAdjust "$UNIT" | sort | tr '\n' ' ')
	is "$props" "KillMode=process NotifyAccess=all OOMScoreAdjust=-1000 Restart=always Type=notify " \
		"spawn (systemd): the unit's properties"
	# procviewd raises its soft nofile limit to the hard one.
	h=$(awk '$1 == "nofile_hard" { print $2 }' "$W/fake.out")
	[ "$h" = unlimited ] || [ "$h" -ge 65536 ]
	ok $? "spawn (systemd): nofile hard limit room for 65536 fds ($h)"
	is "$(awk '$1 == "oom" { print $2 }' "$W/fake.out")" -1000 "spawn (systemd): oom_score_adj -1000, as the unit's"
else
	is "$fds" "0 /dev/null,1 /dev/null,2 /dev/null," "spawn: only stdio, on /dev/null (no lock, no pipe)"
	if [ -n "$CG_V2" ]; then
		grep -q ' 0::/procview.service ' "$W/fake.out"
		ok $? "spawn: moved to the procview.service cgroup ($(grep cgroup "$W/fake.out"))"
	elif [ -d /sys/fs/cgroup/memory ]; then
		grep -q ':memory:/procview ' "$W/fake.out"
		ok $? "spawn: moved to the procview memory cgroup ($(grep cgroup "$W/fake.out"))"
	fi
	is "$env" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C" \
		"spawn: a fixed environment, nothing of the runtime's"
	is "$(awk '$1 == "core" { print $2 }' "$W/fake.out")" 0 "spawn: rlimit core reset to 0"
	# nofile 65536 unless the hard limit here is lower (no CAP_SYS_RESOURCE):
	# then the hard limit, and a warning says so.
	hard=$(ulimit -Hn)
	want=65536
	[ "$hard" != unlimited ] && [ "$hard" -lt 65536 ] && want=$hard
	is "$(awk '$1 == "nofile" { print $2 }' "$W/fake.out")" "$want" "spawn: rlimit nofile set ($want)"
	oom=$(awk '$1 == "oom" { print $2 }' "$W/fake.out")
	if [ "$oom" = -1000 ]; then
		ok 0 "spawn: oom_score_adj -1000, as the unit's"
	else
		grep -q "oom_score_adj .*not -1000" "$W/err"
		ok $? "spawn: oom_score_adj $oom, and the failure to set -1000 is logged"
	fi
fi

# 6. Bad input and usage.
echo '{"ociVersion":"1.0.2","id":"x","status":"creating","bundle":"/b"}' | hook createRuntime 2>"$W/err"
is $? 1 "bad input: exit 1"
is "$(cat "$W/err")" 'procview-hook: state JSON: "pid" missing' "bad input: names the field"
head -c 10000000 /dev/zero | tr '\0' ' ' | hook createRuntime 2>"$W/err"
is $? 1 "10 MB state: exit 1"
grep -q "larger than 1024 KiB" "$W/err"
ok $? "10 MB state: clear error"
printf '{"id":"\377"}' | hook createRuntime 2>"$W/err"
is $? 1 "non-UTF-8: exit 1"
grep -q "UTF8" "$W/err"
ok $? "non-UTF-8: yajl's reason ($(cat "$W/err"))"
# Ids the runtime accepted but that are no file names: attached anyway,
# recorded under a derived name, nothing written outside the record dir.
for id in 'a/b' "$(printf 'caf\303\251')" "$(head -c 300 /dev/zero | tr '\0' x)" .hidden '../../etc'; do
	new_ns
	P=$NS_PID
	fake_src "$P"
	state "$id" "$P" "$W/b1" | hook createRuntime --strict 2>"$W/err"
	ok $? "odd id '$(printf %.12s "$id")': attached, even strict ($(cat "$W/err"))"
done
is "$(ls "$RECORDS" | wc -l)" 5 "odd ids: five records"
ls "$RECORDS" | grep -q '^______etc%[0-9a-f]\{32\}$'
ok $? "odd ids: '../../etc' is ______etc%<hash> ($(ls "$RECORDS" | tr '\n' ' '))"
[ ! -e "$W/etc" ] && [ ! -e "$RECORDS/../../etc" ]
ok $? "odd ids: nothing written outside the record dir"
grep -lq '"id": "../../etc"' "$RECORDS"/*
ok $? "odd ids: the real id kept inside the record"
kill "$P"
wait "$P" 2>/dev/null
state '../../etc' "$P" "$W/b1" | sed 's/creating/stopped/' | hook poststop
ok $? "odd ids: poststop exits 0"
is "$(ls "$RECORDS" | wc -l)" 4 "odd ids: poststop removed that one record"
record_remove_all
"$HOOK" --frobnicate </dev/null 2>"$W/err"
is $? 2 "usage: unknown option exits 2"
is "$(wc -l <"$W/err")" 1 "usage: one line"
is "$("$HOOK" --version)" "procview-hook 0.1.0" "--version"
done_testing
