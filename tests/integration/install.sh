#!/bin/sh
# make install PREFIX=/usr DESTDIR=...: the layout, the hooks.d files
# pointing at the installed hook, the systemd unit, the man pages, and
# make uninstall removing all of it. Builds in a private B so build/ keeps
# its own PREFIX.
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

command -v make >/dev/null || skip_all "make not installed"
command -v pkg-config >/dev/null && pkg-config --exists fuse3 yajl mount ||
	skip_all "fuse3/yajl/mount development packages missing"

W=$(mktemp -d)
on_exit "rm -rf '$W'"
D=$W/dest
MK="make -s -j$(nproc 2>/dev/null || echo 2) B=$W/build PREFIX=/usr DESTDIR=$D"
# Seeded with the tree's own build: where that was built for /usr (the
# check-vm guest) make finds it up to date and compiles nothing again;
# built for another PREFIX, the paths stamp makes it rebuild for /usr.
case $B in /*) BUILT=$B ;; *) BUILT=$ROOT/$B ;; esac
[ -d "$BUILT/obj" ] && cp -a "$BUILT" "$W/build"

$MK install >"$W/install.log" 2>&1
rc=$?
ok $rc "make install PREFIX=/usr DESTDIR=... succeeds"
[ $rc = 0 ] || sed 's/^/#   /' "$W/install.log" | tail -20

LAYOUT=$(make -s --no-print-directory list-install PREFIX=/usr)
for f in $LAYOUT; do
	[ -f "$D$f" ]
	ok $? "installed $f"
done
for f in /usr/bin/procviewd /usr/bin/procview /usr/bin/procview-runtime /usr/libexec/procview/procview-hook; do
	[ -x "$D$f" ]
	ok $? "$f is executable"
done
# Nothing outside the layout.
extra=$(cd "$D" && find . -type f | sed 's|^\.||' | sort | grep -vxF "$LAYOUT")
is "$extra" "" "install writes no file outside 'make list-install'"

# The binaries were built for PREFIX=/usr: the hook starts /usr/bin/procviewd.
"$D/usr/libexec/procview/procview-hook" --help 2>&1 | grep -q "default /usr/bin/procviewd)"
ok $? "the installed hook's default --daemon is /usr/bin/procviewd"
is "$("$D/usr/bin/procview" --version)" "procview $(sed -n 's/.*PROCVIEW_VERSION "\(.*\)"/\1/p' lib/util.h)" \
	"installed procview --version"

# The installed shim adds the installed hook by default.
mkdir -p "$W/bundle"
echo '{}' >"$W/bundle/config.json"
PROCVIEW_RUNTIME_CONFIG=$W/none "$D/usr/bin/procview-runtime" --procview-runtime /bin/true create --bundle "$W/bundle" x
grep -q '"path":"/usr/libexec/procview/procview-hook"' "$W/bundle/config.json"
ok $? "the installed procview-runtime adds /usr/libexec/procview/procview-hook"
! ldd "$D/usr/bin/procview-runtime" | grep -q fuse
ok $? "the installed procview-runtime does not link libfuse3"

HOOK=/usr/libexec/procview/procview-hook
if command -v python3 >/dev/null; then
	for j in "$D"/usr/share/containers/oci/hooks.d/*.json; do
		got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["hook"]["path"])' "$j" 2>&1)
		is "$got" "$HOOK" "hooks.d/$(basename "$j") parses, hook.path is the installed hook"
	done
else
	ok 0 "hooks.d JSON # SKIP python3 not installed"
fi
stages=$(cat "$D"/usr/share/containers/oci/hooks.d/*.json | tr -d ' \n' | grep -o '"stages":\[[^]]*\]' | sort | tr '\n' ' ')
is "$stages" '"stages":["createRuntime"] "stages":["poststop"] ' "hooks.d covers createRuntime and poststop"

U=$D/usr/lib/systemd/system/procview.service
unit() { sed -n "s/^$1=//p" "$U"; }
is "$(unit ExecStart)" "/usr/bin/procviewd -f /var/lib/procview" "unit: ExecStart"
case "$(unit ExecReload)" in
*/usr/bin/procviewd*--replace*) ok 0 "unit: ExecReload is procviewd --replace" ;;
*) ok 1 "unit: ExecReload is procviewd --replace (got '$(unit ExecReload)')" ;;
esac
is "$(unit Restart)" always "unit: Restart=always"
is "$(unit KillMode)" process "unit: KillMode=process"
is "$(unit OOMScoreAdjust)" -1000 "unit: OOMScoreAdjust=-1000"
! grep -q @ "$U"
ok $? "unit: no @VAR@ left unsubstituted"

if command -v groff >/dev/null; then
	for m in $(printf '%s\n' $LAYOUT | grep '/man/'); do
		warn=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$D$m" 2>&1)
		is "$warn" "" "$(basename "$m") renders without warnings"
		LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$D$m" 2>/dev/null | grep -q "^NAME"
		ok $? "$(basename "$m") has a NAME section"
	done
else
	ok 0 "man pages render # SKIP groff not installed"
fi

P=$D/usr/share/procview/seccomp.json
if [ -r /usr/share/containers/seccomp.json ] && command -v python3 >/dev/null; then
	python3 - "$P" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["listenerPath"] == "/run/procview/seccomp.sock"
assert [r["action"] for r in p["syscalls"] if "sysinfo" in r.get("names", [])] == ["SCMP_ACT_NOTIFY"]
PY
	ok $? "the podman seccomp profile sends sysinfo to /run/procview/seccomp.sock"
fi
$MK uninstall >"$W/uninstall.log" 2>&1
ok $? "make uninstall succeeds"
left=$(cd "$D" && find . ! -type d)
is "$left" "" "make uninstall leaves no files behind"
[ ! -d "$D/usr/libexec/procview" ]
ok $? "make uninstall removes the empty libexec/procview"

done_testing
