#!/usr/bin/env bash
# t_resume: a scan stopped by SIGINT at several points, or killed with
# SIGKILL, and continued with --resume, ends with exactly the truth - no
# probe lost, none reported twice; damaged checkpoints are refused.
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns res
tb_listen res "127.0.0.1:22 127.0.0.2:80 0.0.0.0:3306 127.0.0.4:2500"
tb_filter res "127.0.0.3:* 127.0.0.1:1000-1010"
tb_truth res 127.0.0.1-4 1-3000 >"$TB_TMP/truth"
ARGS=(-p 1-3000 --timeout 300 --retries 2 --seed 11
	--states open,closed,filtered --checkpoint-interval 200 127.0.0.1-4)

# start_scan CSV CKPT: the scan in the background, its pid in $pid
start_scan()
{
	env --default-signal=INT ip netns exec "$(tb_nsname res)" "$RINGSCAN" \
		"${ARGS[@]}" -oC "$1" --checkpoint "$2" >"$TB_TMP/out" 2>&1 &
	pid=$!
	TB_PIDS="$TB_PIDS $pid"
}

resume()
{
	local ck=$1 rc=0
	tb_rs res --resume "$ck" >"$TB_TMP/rout" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/rout"; tb_fail "--resume exited $rc"; }
}

for delay in 0.3 0.8 1.3; do
	tb_log "SIGINT after ${delay}s, then --resume"
	start_scan "$TB_TMP/i.csv" "$TB_TMP/i.ck"
	sleep "$delay"
	kill -INT "$pid" 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	if [ "$rc" = 0 ]; then
		tb_log "  (scan finished before the signal; resume must still agree)"
	elif [ "$rc" != 130 ]; then
		cat "$TB_TMP/out"
		tb_fail "exit status $rc after SIGINT, want 130"
	fi
	[ -s "$TB_TMP/i.ck" ] || tb_fail "no checkpoint written"
	resume "$TB_TMP/i.ck"
	tb_compare "$TB_TMP/truth" "$TB_TMP/i.csv" ||
		tb_fail "resumed after SIGINT at ${delay}s: states differ"
done

tb_log "SIGINT twice (resume interrupted too), then --resume"
start_scan "$TB_TMP/t.csv" "$TB_TMP/t.ck"
sleep 0.4
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
env --default-signal=INT ip netns exec "$(tb_nsname res)" "$RINGSCAN" \
	--resume "$TB_TMP/t.ck" >"$TB_TMP/out2" 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
sleep 0.4
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
resume "$TB_TMP/t.ck"
tb_compare "$TB_TMP/truth" "$TB_TMP/t.csv" || tb_fail "two interruptions: states differ"

tb_log "SIGKILL once a periodic checkpoint exists, then --resume from it"
start_scan "$TB_TMP/k.csv" "$TB_TMP/k.ck"
# A loaded machine may start the scan late: wait for the first periodic
# checkpoint (every 200 ms) rather than for a fixed time.
for _ in $(seq 1 100); do
	[ -s "$TB_TMP/k.ck" ] && break
	sleep 0.05
done
sleep 0.2
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" || true
[ -s "$TB_TMP/k.ck" ] || tb_fail "no periodic checkpoint before SIGKILL"
resume "$TB_TMP/k.ck"
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
