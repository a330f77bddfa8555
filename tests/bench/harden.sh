#!/bin/sh
# make bench, issue 14 part: (1) a new container's lookup and another
# container's reads while one container floods its own file with 64 and
# 128 threads (O_DIRECT reads: every one reaches the daemon), against the
# same figures without the flood, same run (the other container reads
# every 2 ms, an honest rate; the flood is paced, see fusefs/pace.h); (2) RSS and lookup/read
# latency after CHURN short-lived containers came and went, against the
# start. Run by bench.sh with its daemon (MNT, DPID, CSV), or alone:
#   B=build sh tests/bench/harden.sh
set -u
B=${B:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
C="$ROOT/$B/bench/contend"
CHURN=${CHURN:-10000}
FLOOD_S=${FLOOD_S:-12}
OWN=""
if [ -z "${MNT:-}" ]; then
	HW=$(mktemp -d /tmp/pv-bench-harden.XXXXXX)
	MNT=$HW/mnt
	CSV=$HW/harden.csv
	mkdir -p "$MNT"
	echo "kind,file,mode,median_us,min_us,max_us" >"$CSV"
	"$B/procviewd" -f --record-dir "$HW/records" "$MNT" >"$HW/daemon.log" 2>&1 &
	DPID=$!
	OWN=$DPID
	for _ in $(seq 100); do [ -f "$MNT/proc/meminfo" ] && [ -d "$MNT/containers/." ] && break; sleep 0.05; done
fi
KIDS=""
cleanup_h() {
	for p in $KIDS; do kill "$p" 2>/dev/null; done
	if [ -n "$OWN" ]; then
		kill "$OWN" 2>/dev/null
		sleep 0.3
		umount -l "$MNT/containers" 2>/dev/null
		umount -l "$MNT" 2>/dev/null
		rm -rf "$HW"
	fi
}
trap cleanup_h EXIT

st_of() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ { print $2 }' "/proc/$DPID/status"; }
# exec_stat N FILE-OF-NEW-CONTAINER...: the issue's figure, stat(1) run
# as a new process on a new container's file, exec included; median µs.
exec_stat() {
	n=$1
	: >"$HW_T"
	i=0
	while [ $i -lt "$n" ]; do
		sleep 60 &
		p=$!
		f="$MNT/containers/$p-$(st_of $p)/proc/meminfo"
		t0=$(date +%s%N)
		stat "$f" >/dev/null 2>&1
		t1=$(date +%s%N)
		kill $p
		wait $p 2>/dev/null
		echo $(((t1 - t0) / 1000)) >>"$HW_T"
		i=$((i + 1))
	done
	sort -n "$HW_T" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
HW_T=$(mktemp /tmp/pv-bench-t.XXXXXX)

echo "measuring contention: one container floods, another looks up and reads..."
sleep 600 &
A=$!
sleep 600 &
BB=$!
KIDS="$KIDS $A $BB"
FA="$MNT/containers/$A-$(st_of $A)/proc/meminfo"
FB="$MNT/containers/$BB-$(st_of $BB)/proc/meminfo"
cat "$FA" "$FB" >/dev/null
row() { # row FILE MODE "median max failed"
	set -- "$1" "$2" $3
	echo "contention,$1,$2,$3,,$4" >>"$CSV"
}
q_l=$($C lookup "$MNT" 40 | awk '{ print $2, $3, $4 }')
q_r=$($C dread "$FB" 500 2000 | awk '{ print $2, $3, $4 }')
q_e=$(exec_stat 15)
row lookup quiet "$q_l"
row dread quiet "$q_r"
echo "contention,exec-stat,quiet,$q_e,," >>"$CSV"
for th in 64 128; do
	$C flood "$FA" $th "$FLOOD_S" direct >"$HW_T.flood" &
	F=$!
	sleep 1
	f_l=$($C lookup "$MNT" 40 | awk '{ print $2, $3, $4 }')
	f_r=$($C dread "$FB" 500 2000 | awk '{ print $2, $3, $4 }')
	f_e=$(exec_stat 15)
	wait $F
	row lookup "flood$th" "$f_l"
	row dread "flood$th" "$f_r"
	echo "contention,exec-stat,flood$th,$f_e,," >>"$CSV"
	echo "  flood of $th threads: $(cat "$HW_T.flood") reads served in $FLOOD_S s"
	printf '  %-10s %12s %14s %14s\n' "" "lookup µs" "other's read µs" "exec stat µs"
	printf '  %-10s %12s %14s %14s\n' quiet "${q_l%% *}" "${q_r%% *}" "$q_e"
	printf '  %-10s %12s %14s %14s\n' "flood$th" "${f_l%% *}" "${f_r%% *}" "$f_e"
	awk -v a="${q_l%% *}" -v b="${f_l%% *}" -v c="${q_r%% *}" -v d="${f_r%% *}" -v e="$q_e" -v f="$f_e" \
		'BEGIN { printf "  ratio flood/quiet: lookup %.1fx, read %.1fx, exec stat %.1fx (goal <= 2x)\n", b / a, d / c, f / e }'
done
rm -f "$HW_T.flood"

echo "measuring churn: $CHURN short-lived containers..."
ls "$MNT/containers" >/dev/null
sleep 6 # let the sampler sweep what came before
r0=$(rss_kb)
l0=$($C lookup "$MNT" 100 | awk '{ print $2 }')
d0=$($C dread "$FB" 500 2000 | awk '{ print $2 }')
p0=$("$B/bench/readbench" --reps 3 --iters 500 "$MNT/proc/meminfo" | awk '{ print $2 }')
ch=$($C churn "$MNT" $((CHURN / 2)))
sleep 11 # two sampler periods: dead slots and readers' entries go
rh=$(rss_kb)
ch="$ch; $($C churn "$MNT" $((CHURN - CHURN / 2)))"
sleep 11
r1=$(rss_kb)
l1=$($C lookup "$MNT" 100 | awk '{ print $2 }')
d1=$($C dread "$FB" 500 2000 | awk '{ print $2 }')
p1=$("$B/bench/readbench" --reps 3 --iters 500 "$MNT/proc/meminfo" | awk '{ print $2 }')
n1=$(ls "$MNT/containers" | wc -l)
for k in "rss-kb $r0 $r1" "lookup $l0 $l1" "ct-dread $d0 $d1" "reader-read $p0 $p1"; do
	set -- $k
	echo "churn,$1,start,$2,," >>"$CSV"
	echo "churn,$1,after-$CHURN,$3,," >>"$CSV"
done
echo "  churn helper: $ch (lookup medians of the first and last 200, failures)"
echo "churn,rss-kb,after-$((CHURN / 2)),$rh,," >>"$CSV"
printf '  %-22s %10s %12s\n' "" start "after $CHURN"
printf '  %-22s %10s %12s\n' "daemon RSS kB" "$r0" "$r1 (after $((CHURN / 2)): $rh)"
printf '  %-22s %10s %12s\n' "new lookup µs" "$l0" "$l1"
printf '  %-22s %10s %12s\n' "per-container read µs" "$d0" "$d1"
printf '  %-22s %10s %12s\n' "per-reader read µs" "$p0" "$p1"
echo "  slots left listed: $n1 (the long-lived containers')"
rm -f "$HW_T"
