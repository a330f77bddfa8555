#!/bin/sh
# Run each fuzzer for FUZZ_SECONDS on a scratch copy of its seed corpus
# (tests/fuzz/corpus/NAME), so the committed seeds stay as they are, with
# its dictionary tests/fuzz/NAME.dict when there is one.
# Prints TAP: one line per fuzzer with its execution count.
set -u
secs=${FUZZ_SECONDS:-10}
n=0 fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	work=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
	n=$((n + 1))
	dict=
	[ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
	# Value profile: comparisons against bounds (cpu < 4096) guide mutation.
	# shellcheck disable=SC2086
	if "$bin" $dict -use_value_profile=1 -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="build-fuzz/$name-" "$work" >"build-fuzz/$name.log" 2>&1; then
		execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "build-fuzz/$name.log")
		echo "ok $n - $name: ${execs:-?} executions in ${secs}s, no crash"
	else
		fail=$((fail + 1))
		echo "not ok $n - $name crashed: see build-fuzz/$name.log and build-fuzz/$name-*"
		tail -30 "build-fuzz/$name.log" | sed 's/^/#   /'
	fi
	rm -rf "$work"
done
echo "1..$n"
[ "$fail" = 0 ]
