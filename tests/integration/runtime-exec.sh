#!/bin/sh
# procview-runtime as a program, with a fake runtime that records how it
# was exec'd: arguments passed on exactly (minus --procview-*), config.json
# edited only for create and run, fail-open and strict, runtime.conf, and
# no recursion into itself. No container is started (runtime-docker.sh and
# runtime-containerd.sh do that).
. "$(dirname "$0")/lib.sh"
SHIM=$ROOT/$B/procview-runtime
[ -x "$SHIM" ] || skip_all "$B/procview-runtime not built"
command -v python3 >/dev/null || skip_all "python3 not installed"

W=$(mktemp -d /tmp/pv-runtime-exec.XXXXXX)
on_exit "rm -rf '$W'"
export PROCVIEW_RUNTIME_CONFIG=$W/none.conf
FAKE=$W/fake-runc
cat >"$FAKE" <<FAKE
#!/bin/sh
printf '%s\n' "\$0" "\$@" >"$W/args"
FAKE
chmod 755 "$FAKE"

ldd "$SHIM" | grep -q fuse
ok $((! $?)) "procview-runtime does not link libfuse3"

CFG='{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"env":["A=1"]}}'
mkbundle() { # mkbundle DIR [JSON]
	mkdir -p "$1"
	printf '%s' "${2:-$CFG}" >"$1/config.json"
	chmod 0640 "$1/config.json"
}
args() { tr '\n' ' ' <"$W/args" | sed 's/ $//'; }
hooks() { # hooks DIR: "createRuntime=N poststop=N"
	python3 -c 'import json, sys
h = json.load(open(sys.argv[1] + "/config.json")).get("hooks") or {}
print(" ".join("%s=%d" % (s, sum(1 for x in h.get(s) or [] if x["path"].endswith("procview-hook"))) for s in ("createRuntime", "poststop")))' "$1"
}

# 1. Not create: passed on, config.json not touched, runtime.conf not read.
mkbundle "$W/b1"
cp "$W/b1/config.json" "$W/b1.orig"
printf 'garbage\n' >"$W/bad.conf"
PROCVIEW_RUNTIME_CONFIG=$W/bad.conf "$SHIM" --procview-runtime "$FAKE" --root /r state -b "$W/b1" id1 2>"$W/err"
is "$(args)" "$FAKE --root /r state -b $W/b1 id1" "state: exec'd with the same arguments"
cmp -s "$W/b1/config.json" "$W/b1.orig"
ok $? "state: config.json not touched"
is "$(cat "$W/err")" "" "state: runtime.conf not even read when --procview-runtime is given"

# 2. create with Docker's and containerd's global options.
"$SHIM" --procview-runtime "$FAKE" --procview-hook /opt/pv/procview-hook \
	--procview-hook-arg --mountpoint=/m --root /run/x --log /run/x/log.json --log-format json \
	--systemd-cgroup create --bundle "$W/b1" --pid-file "$W/b1/pid" id1 2>"$W/err"
is "$(args)" "$FAKE --root /run/x --log /run/x/log.json --log-format json --systemd-cgroup create --bundle $W/b1 --pid-file $W/b1/pid id1" \
	"create: --procview-* removed, the rest passed on in order"
is "$(hooks "$W/b1")" "createRuntime=1 poststop=1" "create: hook added at createRuntime and poststop"
is "$(stat -c %a "$W/b1/config.json")" 640 "create: config.json keeps its mode"
is "$(ls -A "$W/b1" | tr '\n' ' ')" "config.json " "create: no temporary file left"
python3 -c 'import json, sys
c = json.load(open(sys.argv[1]))
h = c["hooks"]["createRuntime"][0]
assert h["path"] == "/opt/pv/procview-hook", h
assert h["args"] == ["procview-hook", "createRuntime", "--mountpoint=/m"], h
del c["hooks"]
assert c == json.load(open(sys.argv[2])), c' "$W/b1/config.json" "$W/b1.orig"
ok $? "create: the hook's path and args; the rest of config.json unchanged"
"$SHIM" --procview-runtime "$FAKE" create --bundle "$W/b1" id1
is "$(hooks "$W/b1")" "createRuntime=1 poststop=1" "create again: the hook is not added twice"

# 3. run, relative -b, and the working directory as the default bundle.
mkbundle "$W/b2"
(cd "$W" && "$SHIM" --procview-runtime "$FAKE" run -b b2 id2)
is "$(hooks "$W/b2")" "createRuntime=1 poststop=1" "run -b RELATIVE: edited"
mkbundle "$W/b3"
(cd "$W/b3" && "$SHIM" --procview-runtime "$FAKE" create id3)
is "$(hooks "$W/b3")" "createRuntime=1 poststop=1" "create without -b: the working directory"

# 4. Opt-outs leave the file as it is.
mkbundle "$W/b4" '{"annotations":{"io.procview.disable":"true"}}'
"$SHIM" --procview-runtime "$FAKE" create -b "$W/b4" id4
is "$(cat "$W/b4/config.json")" '{"annotations":{"io.procview.disable":"true"}}' "io.procview.disable=true: file untouched"
mkbundle "$W/b5" '{"process":{"env":["PROCVIEW=off"]}}'
"$SHIM" --procview-runtime "$FAKE" create -b "$W/b5" id5
is "$(cat "$W/b5/config.json")" '{"process":{"env":["PROCVIEW=off"]}}' "PROCVIEW=off: file untouched"

# 5. Fail-open: bad JSON and a missing bundle, one line, runtime still run.
mkbundle "$W/b6" '{"ociVersion": '
rm -f "$W/args"
"$SHIM" --procview-runtime "$FAKE" create -b "$W/b6" id6 2>"$W/err"
ok $? "bad config.json: the runtime's exit status"
is "$(args)" "$FAKE create -b $W/b6 id6" "bad config.json: the real runtime still runs"
is "$(wc -l <"$W/err")" 1 "bad config.json: one line on stderr"
grep -q "procview-runtime: bundle $W/b6: config.json: " "$W/err"
ok $? "bad config.json: the line names the bundle and the file ($(cat "$W/err"))"
is "$(cat "$W/b6/config.json")" '{"ociVersion": ' "bad config.json: left as it was"
rm -f "$W/args"
"$SHIM" --procview-runtime "$FAKE" create -b "$W/nonexistent" id7 2>"$W/err"
is "$(args)" "$FAKE create -b $W/nonexistent id7" "missing bundle: the real runtime still runs"
is "$(wc -l <"$W/err")" 1 "missing bundle: one line on stderr"

# 6. Strict: no exec.
rm -f "$W/args"
"$SHIM" --procview-runtime "$FAKE" --procview-strict create -b "$W/b6" id8 2>/dev/null
is "$?" 1 "strict, bad config.json: exit 1"
[ ! -e "$W/args" ]
ok $? "strict, bad config.json: the real runtime is not run"

# 7. runtime.conf, its path from PROCVIEW_RUNTIME_CONFIG.
cat >"$W/rt.conf" <<CONF
# test
runtime = $FAKE
hook = /conf/procview-hook
hook-arg = --record-dir=/r1
hook-arg = --mountpoint=/m1
CONF
mkbundle "$W/b9"
PROCVIEW_RUNTIME_CONFIG=$W/rt.conf "$SHIM" --root /x create --bundle "$W/b9" id9
is "$(args)" "$FAKE --root /x create --bundle $W/b9 id9" "runtime.conf: runtime"
is "$(python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["hooks"]["poststop"][0]; print(h["path"], *h["args"])' "$W/b9/config.json")" \
	"/conf/procview-hook procview-hook poststop --record-dir=/r1 --mountpoint=/m1" "runtime.conf: hook and hook-args, in order"
printf 'strict = true\nruntime = %s\n' "$FAKE" >"$W/strict.conf"
PROCVIEW_RUNTIME_CONFIG=$W/strict.conf "$SHIM" create --bundle "$W/b6" id10 2>/dev/null
is "$?" 1 "runtime.conf: strict = true"

# 8. Never itself: a runc on PATH that is the shim is skipped; the shim as
# --procview-runtime falls back to PATH; nothing else: an error, no loop.
mkdir -p "$W/p1" "$W/p2"
ln -s "$SHIM" "$W/p1/runc"
cp "$FAKE" "$W/p2/runc"
rm -f "$W/args"
PATH=$W/p1:$W/p2:$PATH "$SHIM" state id11
is "$(args)" "$W/p2/runc state id11" "PATH: the first runc that is not the shim itself"
rm -f "$W/args"
PATH=$W/p1:$W/p2 "$SHIM" --procview-runtime "$W/p1/runc" state id12 2>"$W/err"
is "$(args)" "$W/p2/runc state id12" "--procview-runtime naming the shim: runc from PATH instead"
grep -q "is procview-runtime itself" "$W/err"
ok $? "--procview-runtime naming the shim: said so"
timeout 5 env PATH="$W/p1" "$SHIM" state id13 2>"$W/err"
is "$?" 1 "only the shim on PATH: exit 1, no loop"
grep -q "no real runtime" "$W/err"
ok $? "only the shim on PATH: a one-line error ($(cat "$W/err"))"

# 9. sysinfo: the listener is asked before listenerPath is written. A fake
# hook records "ensure" calls and, when told to, brings up a socket that
# answers (a python listener), as procview-hook ensure would by starting
# procviewd.
SC='{"linux":{"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","sysinfo"],"action":"SCMP_ACT_ALLOW"}]}}}'
SOCK9=$W/sc.sock
cat >"$W/fake-hook" <<HOOK
#!/bin/sh
printf '%s\n' "\$@" >"$W/hook-args"
[ -e "$W/hook-starts" ] || exit 3
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(60)' "$SOCK9" </dev/null >/dev/null 2>&1 &
echo \$! >"$W/listener.pid"
for _ in \$(seq 100); do [ -e "$SOCK9.ready" ] && exit 0; sleep 0.05; done
exit 3
HOOK
chmod 755 "$W/fake-hook"
on_exit '[ -f "$W/listener.pid" ] && kill $(cat "$W/listener.pid") 2>/dev/null'
lp() { python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))["linux"]["seccomp"]
print(s.get("listenerPath", "-"), [r["action"] for r in s["syscalls"] if "sysinfo" in r["names"]])' "$1/config.json"; }
SHIM9="$SHIM --procview-runtime $FAKE --procview-hook $W/fake-hook --procview-seccomp-socket $SOCK9 --procview-hook-arg --mountpoint=/m9"

mkbundle "$W/b14" "$SC"
rm -f "$W/args"
$SHIM9 create -b "$W/b14" id14 2>"$W/err"
is "$(lp "$W/b14")" "- ['SCMP_ACT_ALLOW']" "sysinfo, socket down, no daemon can start: the profile is left alone"
is "$(args)" "$FAKE create -b $W/b14 id14" "... and the runtime runs (fail-open)"
is "$(cat "$W/err")" "" "... and nothing on stderr, which is the container's own (the note goes to syslog)"
is "$(tr '\n' ' ' <"$W/hook-args")" "ensure --mountpoint=/m9 --seccomp-socket=$SOCK9 " \
	"... after asking the hook to start the daemon, with its options and the socket"
hookargs() { python3 -c 'import json, sys; print(*json.load(open(sys.argv[1]))["hooks"]["createRuntime"][0]["args"])' "$1/config.json"; }
is "$(hookargs "$W/b14")" "procview-hook createRuntime --mountpoint=/m9 --seccomp-socket=$SOCK9 --no-start" \
	"... the hook gets --seccomp-socket (the daemon it starts listens there) and --no-start (not waited for twice)"
rm -f "$W/args"
$SHIM9 --procview-strict create -b "$W/b14" id15 2>/dev/null
is "$?:$([ -e "$W/args" ] && echo ran)" "1:" "strict, socket down: exit 1, the runtime is not run"

touch "$W/hook-starts"
mkbundle "$W/b16" "$SC"
$SHIM9 create -b "$W/b16" id16 2>"$W/err"
is "$(lp "$W/b16")" "$SOCK9 ['SCMP_ACT_NOTIFY']" "socket down, the hook starts the daemon: sysinfo to the listener"
is "$(cat "$W/err")" "" "... silently"
is "$(hookargs "$W/b16")" "procview-hook createRuntime --mountpoint=/m9 --seccomp-socket=$SOCK9" \
	"... and the hook may start it again if need be (no --no-start)"
rm -f "$W/hook-args"
mkbundle "$W/b17" "$SC"
$SHIM9 create -b "$W/b17" id17
is "$(lp "$W/b17"):$([ -e "$W/hook-args" ] && echo asked)" "$SOCK9 ['SCMP_ACT_NOTIFY']:" \
	"socket up: sysinfo to the listener, the hook not asked"
mkbundle "$W/b18" "$SC"
$SHIM9 --procview-no-sysinfo create -b "$W/b18" id18
is "$(lp "$W/b18")" "- ['SCMP_ACT_ALLOW']" "--procview-no-sysinfo: the profile is left alone"
printf 'runtime = %s\nsysinfo = false\nseccomp-socket = %s\n' "$FAKE" "$SOCK9" >"$W/nosys.conf"
mkbundle "$W/b19" "$SC"
PROCVIEW_RUNTIME_CONFIG=$W/nosys.conf "$SHIM" create -b "$W/b19" id19
is "$(lp "$W/b19")" "- ['SCMP_ACT_ALLOW']" "runtime.conf sysinfo = false: the profile is left alone"

# exec: runc connects an exec'd process to the listener too; a socket
# that went down is brought back first.
kill "$(cat "$W/listener.pid")"
rm -f "$SOCK9" "$SOCK9.ready" "$W/hook-args"
$SHIM9 exec id17 true
is "$(tr '\n' ' ' <"$W/hook-args" 2>/dev/null)" "ensure --mountpoint=/m9 --seccomp-socket=$SOCK9 " \
	"exec, socket down: the hook is asked to start the daemon first"
is "$(args)" "$FAKE exec id17 true" "... then the runtime runs"
rm -f "$W/hook-args"
$SHIM9 exec id17 true
[ ! -e "$W/hook-args" ]
ok $? "exec, socket up: the hook is not asked"

done_testing
