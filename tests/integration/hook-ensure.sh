#!/bin/sh
# procview-hook ensure: no state on stdin; starts procviewd (with the
# seccomp socket asked for) when none answers on the mountpoint; exit 0
# when it answers, 3 when it cannot be started. procview-runtime runs it
# before it names the seccomp socket in a config.
. "$(dirname "$0")/lib.sh"
need_root
HOOK=$ROOT/$B/procview-hook
[ -x "$HOOK" ] || skip_all "$B/procview-hook not built"

W=$(mktemp -d /tmp/pv-hook-ensure.XXXXXX)
MNT=$W/mnt
SOCK=$W/sc.sock
mkdir -p "$MNT" "$W/mnt2"
on_exit "rm -rf '$W'"
daemons() { ps -eo pid=,args= | awk -v m="$MNT" '$2 ~ /procviewd$/ && $NF == m { print $1 }'; }
on_exit 'for p in $(daemons); do kill -9 $p; done; sleep 0.3; umount -l "$MNT/containers" 2>/dev/null; umount -l "$MNT" 2>/dev/null'

"$HOOK" ensure --mountpoint "$W/mnt2" --daemon "$W/no-such-procviewd" </dev/null 2>"$W/err"
is "$?" 3 "no daemon can be started: exit 3"
grep -q "procview-hook: procviewd: cannot run $W/no-such-procviewd" "$W/err"
ok $? "... with one line saying why ($(tail -1 "$W/err"))"

"$HOOK" ensure --mountpoint "$MNT" --daemon "$ROOT/$B/procviewd" --seccomp-socket "$SOCK" </dev/null
is "$?" 0 "none running: started, exit 0"
is "$(daemons | wc -l)" 1 "... one procviewd on the mountpoint"
[ -S "$SOCK" ]
ok $? "... listening on the seccomp socket asked for"
"$HOOK" ensure --mountpoint "$MNT" --daemon "$ROOT/$B/procviewd" --seccomp-socket "$SOCK" </dev/null
is "$?:$(daemons | wc -l)" "0:1" "already running: exit 0, no second daemon"
done_testing
