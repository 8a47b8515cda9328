#!/usr/bin/env bash
# t_resume: a scan stopped by SIGINT at several points, or killed with
# SIGKILL, and continued with --resume, ends with exactly the truth - no
# probe lost, none reported twice - and the resumed run probes only what
# was not final (its -v attempt counts against the rows already written);
# damaged checkpoints are refused.  Signals wait for rows in the CSV, not
# for a time; every count used is below the 9,000 probes of the answering
# hosts, and 127.0.0.3's 3,000 filtered probes cannot end before three
# timeouts, so the scan is always still running when the signal comes.
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns res
tb_listen res "127.0.0.1:22 127.0.0.2:80 0.0.0.0:3306 127.0.0.4:2500"
tb_filter res "127.0.0.3:* 127.0.0.1:1000-1010"
tb_truth res 127.0.0.1-4 1-3000 >"$TB_TMP/truth"
TOTAL=12000
# -v: the pacing lines, shown if the scan is slow (a CPU-starved machine
# delays loopback answers and the pacing backs off: see tb_wait_rows).
ARGS=(-v -p 1-3000 --timeout 300 --retries 2 --seed 11
	--states open,closed,filtered --checkpoint-interval 200 127.0.0.1-4)

# start_scan CSV CKPT: the scan in the background, its pid in $pid
start_scan()
{
	rm -f "$1" "$2"
	env --default-signal=INT ip netns exec "$(tb_nsname res)" "$RINGSCAN" \
		"${ARGS[@]}" -oC "$1" --checkpoint "$2" >"$TB_TMP/out" 2>&1 &
	pid=$!
	TB_PIDS="$TB_PIDS $pid"
}

# resume CKPT CSV [killed]: --resume -v; the run must probe every probe
# that was not final (attempts >= TOTAL - rows) and no final one again
# (first attempts, attempts - retries, <= TOTAL - rows) - unless the scan
# was killed: rows written after its last checkpoint are probed again.
resume()
{
	local ck=$1 csv=$2 killed=${3:-} rc=0 done_rows line att ret
	done_rows=$(tb_rows "$csv")
	tb_rs res --resume "$ck" -v >"$TB_TMP/rout" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/rout"; tb_fail "--resume exited $rc"; }
	line=$(grep -m1 ' probes, [0-9]* attempts (' "$TB_TMP/rout") ||
		{ cat "$TB_TMP/rout"; tb_fail "--resume -v: no attempts line"; }
	att=$(sed -n 's/.* probes, \([0-9]*\) attempts (\([0-9]*\) retries.*/\1/p' <<<"$line")
	ret=$(sed -n 's/.* probes, \([0-9]*\) attempts (\([0-9]*\) retries.*/\2/p' <<<"$line")
	[ -n "$att" ] && [ -n "$ret" ] || tb_fail "cannot read: $line"
	[ "$att" -ge $((TOTAL - done_rows)) ] ||
		tb_fail "resumed with $done_rows of $TOTAL final: $att attempts, want >= $((TOTAL - done_rows))"
	[ -n "$killed" ] || [ $((att - ret)) -le $((TOTAL - done_rows)) ] ||
		tb_fail "resumed with $done_rows of $TOTAL final: $((att - ret)) first attempts, want <= $((TOTAL - done_rows)) (final probes probed again)"
	tb_log "  ok: $done_rows final before, resume: $line"
}

for at in 500 3000 7000; do
	tb_log "SIGINT after $at rows, then --resume"
	start_scan "$TB_TMP/i.csv" "$TB_TMP/i.ck"
	tb_wait_rows "$TB_TMP/i.csv" "$at" "$pid" "$TB_TMP/out"
	kill -INT "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" != 130 ]; then
		cat "$TB_TMP/out"
		tb_fail "exit status $rc after SIGINT at $at rows, want 130 (finished before the signal?)"
	fi
	[ -s "$TB_TMP/i.ck" ] || tb_fail "no checkpoint written"
	resume "$TB_TMP/i.ck" "$TB_TMP/i.csv"
	tb_compare "$TB_TMP/truth" "$TB_TMP/i.csv" ||
		tb_fail "resumed after SIGINT at $at rows: states differ"
done

tb_log "SIGINT twice (resume interrupted too), then --resume"
start_scan "$TB_TMP/t.csv" "$TB_TMP/t.ck"
tb_wait_rows "$TB_TMP/t.csv" 1000 "$pid" "$TB_TMP/out"
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || tb_fail "first SIGINT: exit $rc, want 130"
first=$(tb_rows "$TB_TMP/t.csv")
env --default-signal=INT ip netns exec "$(tb_nsname res)" "$RINGSCAN" \
	--resume "$TB_TMP/t.ck" >"$TB_TMP/out2" 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
tb_wait_rows "$TB_TMP/t.csv" $((first + 1000)) "$pid" "$TB_TMP/out2"
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || tb_fail "second SIGINT (in the resume): exit $rc, want 130"
resume "$TB_TMP/t.ck" "$TB_TMP/t.csv"
tb_compare "$TB_TMP/truth" "$TB_TMP/t.csv" || tb_fail "two interruptions: states differ"

tb_log "SIGKILL once a periodic checkpoint exists, then --resume from it"
start_scan "$TB_TMP/k.csv" "$TB_TMP/k.ck"
# A loaded machine may start the scan late: wait for the first periodic
# checkpoint (every 200 ms) rather than for a fixed time.
for _ in $(seq 1 100); do
	[ -s "$TB_TMP/k.ck" ] && break
	sleep 0.05
done
tb_wait_rows "$TB_TMP/k.csv" 2000 "$pid" "$TB_TMP/out"
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" || true
[ -s "$TB_TMP/k.ck" ] || tb_fail "no periodic checkpoint before SIGKILL"
resume "$TB_TMP/k.ck" "$TB_TMP/k.csv" killed
tb_compare "$TB_TMP/truth" "$TB_TMP/k.csv" || tb_fail "resumed after SIGKILL: states differ"

tb_log "damaged checkpoints are refused with one line and exit 1"
size=$(stat -c %s "$TB_TMP/k.ck")
head -c $((size / 2)) "$TB_TMP/k.ck" >"$TB_TMP/trunc.ck"
cp "$TB_TMP/k.ck" "$TB_TMP/flip.ck"
printf '\x55' | dd of="$TB_TMP/flip.ck" bs=1 seek=$((size / 3)) conv=notrunc status=none
printf 'host,port\n' >"$TB_TMP/csv.ck"
for f in trunc flip csv missing; do
	rc=0
	tb_rs res --resume "$TB_TMP/$f.ck" >"$TB_TMP/dout" 2>"$TB_TMP/derr" || rc=$?
	[ "$rc" = 1 ] || { cat "$TB_TMP/derr"; tb_fail "$f checkpoint: exit $rc, want 1"; }
	[ "$(wc -l <"$TB_TMP/derr")" = 1 ] || { cat "$TB_TMP/derr"; tb_fail "$f: want one line on stderr"; }
	grep -q "$f.ck" "$TB_TMP/derr" || tb_fail "$f: message does not name the file"
	tb_log "  ok: $f: $(cat "$TB_TMP/derr")"
done
rc=0
tb_rs res --resume "$TB_TMP/k.ck" -p 80 >/dev/null 2>"$TB_TMP/derr" || rc=$?
[ "$rc" = 1 ] || tb_fail "--resume with other options: exit $rc, want 1"
exit 0
