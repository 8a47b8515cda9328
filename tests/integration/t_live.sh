#!/usr/bin/env bash
# t_live: feedback while the scan runs, with stdout and stderr redirected
# to files (no terminal).  "Starting ringscan ... at ..." is stdout's first
# line and is there while the scan still runs; with -v every open port
# gets exactly one "Discovered open port P/tcp on ADDR" line on stderr as
# it is found - the open ports of a fast host are all announced while a
# slow host (every SYN dropped) still holds the scan open.  Without -v
# there are none; a format on stdout (-oX -) gets no text line mixed in.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns live
tb_listen live "127.0.0.1:22 127.0.0.1:80 127.0.0.1:443 127.0.0.1:1234 \
	127.0.0.1:2999"
tb_filter live "127.0.0.2:*"
tb_truth live 127.0.0.1 1-3000 >"$TB_TMP/truth"
awk -F, '$3 == "open" { print $2 }' "$TB_TMP/truth" | sort -n >"$TB_TMP/want"
nopen=$(wc -l <"$TB_TMP/want")

tb_log "ringscan -v -p 1-3000 --timeout 2000 --retries 1 127.0.0.1-2 >out 2>err"
tb_bg live "$RINGSCAN" -v -p 1-3000 --timeout 2000 --retries 1 \
	127.0.0.1-2 >"$TB_TMP/out" 2>"$TB_TMP/err"
pid=$TB_LASTPID
for _ in $(seq 1 200); do
	n=$(grep -c '^Discovered open port' "$TB_TMP/err" || true)
	[ "$n" -ge "$nopen" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
# The dropped host's probes cannot end before 4 s: still running means
# the lines were written as the ports were found, not at the end.
kill -0 "$pid" 2>/dev/null ||
	{ cat "$TB_TMP/out" "$TB_TMP/err"; tb_fail "scan ended before its open ports were announced (n=$n)"; }
[ "$n" -ge "$nopen" ] ||
	{ cat "$TB_TMP/err"; tb_fail "only $n of $nopen Discovered lines after 10 s"; }
tb_log "  ok: $n Discovered lines on stderr while the scan runs"
head -n 1 "$TB_TMP/out" | grep -Eq '^Starting ringscan [^ ]+ at [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}' ||
	{ cat "$TB_TMP/out"; tb_fail "no Starting line on stdout while the scan runs"; }
tb_log "  ok: 'Starting ringscan' on stdout while the scan runs"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out" "$TB_TMP/err"; tb_fail "ringscan exited $rc"; }

# After the end: Starting is the first line and said once, the report
# follows; one Discovered line per open port, no other.
[ "$(grep -c '^Starting ringscan' "$TB_TMP/out")" = 1 ] ||
	{ cat "$TB_TMP/out"; tb_fail "Starting line not exactly once"; }
head -n 1 "$TB_TMP/out" | grep -q '^Starting ringscan' ||
	tb_fail "stdout does not begin with the Starting line"
grep -q '^ringscan scan report for 127.0.0.1$' "$TB_TMP/out" ||
	{ cat "$TB_TMP/out"; tb_fail "no report after the Starting line"; }
grep '^Discovered' "$TB_TMP/err" |
	sed -n 's|^Discovered open port \([0-9]*\)/tcp on 127\.0\.0\.1$|\1|p' |
	sort -n >"$TB_TMP/got"
[ "$(grep -c '^Discovered' "$TB_TMP/err")" = "$(wc -l <"$TB_TMP/got")" ] ||
	{ grep '^Discovered' "$TB_TMP/err"; tb_fail "a Discovered line of another form or host"; }
if ! cmp -s "$TB_TMP/want" "$TB_TMP/got"; then
	diff "$TB_TMP/want" "$TB_TMP/got" || true
	tb_fail "Discovered lines are not one per open port"
fi
tb_log "  ok: exactly one Discovered line per open port ($nopen)"
if grep -q '^Discovered' "$TB_TMP/out"; then
	tb_fail "Discovered lines on stdout (they go to stderr)"
fi

tb_log "ringscan -p 1-3000 127.0.0.1 (no -v): no Discovered lines"
tb_rs live -p 1-3000 127.0.0.1 >"$TB_TMP/out2" 2>"$TB_TMP/err2" ||
	tb_fail "ringscan without -v failed"
if grep -q 'Discovered' "$TB_TMP/out2" "$TB_TMP/err2"; then
	tb_fail "Discovered lines without -v"
fi
head -n 1 "$TB_TMP/out2" | grep -q '^Starting ringscan' ||
	tb_fail "stdout does not begin with the Starting line (no -v)"
tb_log "  ok"

tb_log "ringscan -v -oX - -p 1-3000 127.0.0.1: XML alone on stdout"
tb_rs live -v -oX - -p 1-3000 127.0.0.1 >"$TB_TMP/out3" 2>"$TB_TMP/err3" ||
	tb_fail "ringscan -oX - failed"
head -n 1 "$TB_TMP/out3" | grep -q '^<?xml ' ||
	{ head -n 3 "$TB_TMP/out3"; tb_fail "stdout does not begin with the XML declaration"; }
if grep -q '^Starting\|^Discovered' "$TB_TMP/out3"; then
	tb_fail "text lines mixed into the XML on stdout"
fi
[ "$(grep -c '^Discovered open port' "$TB_TMP/err3")" = "$nopen" ] ||
	tb_fail "-oX -: not $nopen Discovered lines on stderr"
tb_log "  ok"
exit 0
