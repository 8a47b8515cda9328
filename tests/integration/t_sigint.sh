#!/usr/bin/env bash
# t_sigint: SIGINT during a long scan stops it at once: exit status 130,
# the process gone within 2 s, and the CSV already holds the open ports
# found on the fast host (127.0.0.1) - and no verdict for the slow one
# (127.0.0.2, every SYN dropped: a probe there needs 6 s to be called
# filtered, so when the fast host is done each one is still unknown, not
# filtered).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns int
tb_listen int "127.0.0.1:22 127.0.0.1:80 127.0.0.1:443 127.0.0.1:1234 \
	127.0.0.1:2999 127.0.0.1:3000"
tb_filter int "127.0.0.2:*"
tb_truth int 127.0.0.1 1-3000 >"$TB_TMP/truth"

tb_log "ringscan -p 1-3000 --timeout 1000 --retries 5 --concurrency 4000 127.0.0.1-2, SIGINT once 127.0.0.1 is done"
# Background jobs of a script start with SIGINT ignored; give it back.
env --default-signal=INT ip netns exec "$(tb_nsname int)" "$RINGSCAN" \
	-p 1-3000 --timeout 1000 --retries 5 --concurrency 4000 \
	--states open,closed,filtered -oC "$TB_TMP/int.csv" 127.0.0.1-2 \
	>"$TB_TMP/out" 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
# The fast host's 3,000 probes end within milliseconds, the slow one's
# cannot end for 6 s: 2,800 rows mean the fast host is (all but) done.
tb_wait_rows "$TB_TMP/int.csv" 2800 "$pid"
kill -0 "$pid" 2>/dev/null || { cat "$TB_TMP/out"; tb_fail "scan ended before SIGINT"; }
kill -INT "$pid"
gone=
for i in $(seq 1 20); do
	if ! kill -0 "$pid" 2>/dev/null; then
		gone=$i
		break
	fi
	sleep 0.1
done
[ -n "$gone" ] || tb_fail "still running 2 s after SIGINT"
rc=0
wait "$pid" || rc=$?
tb_log "  exit status $rc, gone within $((gone * 100)) ms"
[ "$rc" = 130 ] || { cat "$TB_TMP/out"; tb_fail "exit status $rc after SIGINT, want 130"; }

tb_csv_rows "$TB_TMP/int.csv" >"$TB_TMP/got"
if grep -q '^127\.0\.0\.2,' "$TB_TMP/got"; then
	grep '^127\.0\.0\.2,' "$TB_TMP/got" | head -n 5
	tb_fail "rows for 127.0.0.2, whose probes could not have finished"
fi
tb_log "  ok: no verdict for the dropped host"
grep ',open$' "$TB_TMP/truth" >"$TB_TMP/want_open"
grep ',open$' "$TB_TMP/got" >"$TB_TMP/got_open" || true
tb_diff "$TB_TMP/want_open" "$TB_TMP/got_open" "open rows of 127.0.0.1" ||
	tb_fail "the CSV lacks open ports found before SIGINT"
# Whatever else was written must be true.
awk -F, 'FNR == NR { t[$1 "," $2] = $3; next }
	t[$1 "," $2] != $3 { print "  " $0 " (truth: " t[$1 "," $2] ")"; bad = 1 }
	END { exit bad }' "$TB_TMP/truth" "$TB_TMP/got" ||
	tb_fail "rows written before SIGINT are wrong"
tb_log "  ok: all $(wc -l <"$TB_TMP/got") rows written are true"
exit 0
