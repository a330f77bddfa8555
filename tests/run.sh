#!/bin/sh
# Run every unit test binary and integration script, each printing TAP.
# Counts individual assertions; a script exiting 77 is a skip (its reason
# is printed). Ends with the line "N passed, N failed, N skipped".
# TIMES=1 adds each test's wall-clock seconds to its line; KEEP_OUT=DIR
# keeps the whole output of each failing test there (check-vm uses both).
# TEST_TIMEOUT=SECONDS stops a test that runs longer (TERM, then KILL 10 s
# later) and counts it as a failure: one hung test does not eat a whole
# guest's time (check-vm).
B=${B:-build}
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0 bad=""
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run() {
	name=$1
	shift
	out="$log/out"
	t0=$(date +%s)
	if [ -n "${TEST_TIMEOUT:-}" ]; then
		timeout -k 10 "$TEST_TIMEOUT" "$@" >"$out" 2>&1
		rc=$?
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			echo "not ok - $name: still running after $TEST_TIMEOUT s, stopped" >>"$out"
		fi
	else
		"$@" >"$out" 2>&1
		rc=$?
	fi
	took=""
	[ -n "${TIMES:-}" ] && took=" [$(($(date +%s) - t0)) s]"
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	s=$(grep -c '^ok .*# SKIP' "$out")
	p=$((p - s))
	if [ "$rc" = 77 ]; then
		reason=$(grep -m1 -i 'skip' "$out")
		echo "SKIP $name: ${reason:-no reason given}$took"
		skip=$((skip + 1))
		return
	fi
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1 # died without a failing assertion: count the crash
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	if [ "$f" != 0 ]; then
		echo "FAIL $name ($p passed, $f failed, exit $rc)$took"
		grep -v '^ok ' "$out" | sed 's/^/    /' | tail -40
		[ -n "${KEEP_OUT:-}" ] && mkdir -p "$KEEP_OUT" && cp "$out" "$KEEP_OUT/$name.out"
		bad="$bad $name"
	else
		echo "PASS $name ($p)$took"
	fi
	[ -n "$VERBOSE" ] && sed 's/^/    /' "$out"
}

only=$(echo ${TESTS:-}) # one space between names: matched as whole words
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	case " $only " in "  " | *" $(basename "$t") "*) run "$(basename "$t")" "$t" ;; esac
done
for t in tests/integration/*.sh; do
	[ "$(basename "$t")" = lib.sh ] && continue
	[ -f "$t" ] || continue
	case " $only " in "  " | *" $(basename "$t") "*) run "$(basename "$t")" env B="$B" sh "$t" ;; esac
done
[ -n "$bad" ] && echo "failed:$bad"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
