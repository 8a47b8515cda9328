#!/usr/bin/env bash
# t_timing: nmap's timing options through the real CLI.  In a private
# namespace with one listener (127.0.0.1:22), one port whose SYNs are
# dropped (127.0.0.1:81, filtered) and the rest closed:
#   - bad values get one line on stderr and exit 1;
#   - --no-cc runs at a fixed rate with exactly --retries retries: the
#     filtered port costs exactly retries + 1 attempts;
#   - with the controller, -T5 (--max-retries 2) caps every probe at 3
#     attempts and the filtered port gets them all;
#   - --scan-delay 100ms spaces the probes to the one host: 6 probes take
#     at least 0.5 s (a lower bound only - a loaded machine is slower);
#   - -v says whether the pace was adaptive or fixed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns tim
tb_listen tim "127.0.0.1:22"
tb_filter tim "127.0.0.1:81"

bad()
{
	local out="$TB_TMP/bad.out" rc=0

	tb_rs tim "$@" -p 22 127.0.0.1 >"$out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || { cat "$out"; tb_fail "$* exited $rc, want 1"; }
	[ "$(wc -l <"$out")" = 1 ] || { cat "$out"; tb_fail "$*: not one line"; }
	grep -q '^ringscan: ' "$out" || tb_fail "$*: no ringscan: prefix"
}

bad -T9
bad --timeout 1x
bad --scan-delay soon
bad --min-rate 100 --max-rate 50
bad --min-rtt-timeout 2s --max-rtt-timeout 1s
bad --max-retries -1
tb_log "  ok: bad timing values refused in one line"

attempts()
{
	sed -n 's/^ringscan: [0-9]* probes, \([0-9]*\) attempts.*/\1/p' "$1"
}

# Ports 20-25 and 81: 22 open, 81 filtered, 5 closed.
scan()
{
	local name=$1 rc=0
	shift
	tb_rs tim -v --states open,closed,filtered -oC "$TB_TMP/$name.csv" \
		"$@" -p 20-25,81 127.0.0.1 >"$TB_TMP/$name.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/$name.out"; tb_fail "$name: exit $rc"; }
	grep -q '^127\.0\.0\.1,81,tcp,filtered,' "$TB_TMP/$name.csv" ||
		tb_fail "$name: port 81 not filtered"
	grep -q '^127\.0\.0\.1,22,tcp,open,' "$TB_TMP/$name.csv" ||
		tb_fail "$name: port 22 not open"
	[ "$(grep -c ',closed,' "$TB_TMP/$name.csv")" = 5 ] ||
		tb_fail "$name: want 5 closed ports"
}

scan fixed --no-cc --rate 1000 --retries 2 --timeout 100
[ "$(attempts "$TB_TMP/fixed.out")" = 9 ] ||
	tb_fail "--no-cc --retries 2: $(attempts "$TB_TMP/fixed.out") attempts, want 7 + 2"
grep -q 'pacing: fixed (--no-cc)' "$TB_TMP/fixed.out" ||
	tb_fail "--no-cc: -v does not say the pace was fixed"
tb_log "  ok: --no-cc: exactly retries + 1 attempts for the filtered port"

scan t5 -T5
[ "$(attempts "$TB_TMP/t5.out")" = 9 ] ||
	tb_fail "-T5: $(attempts "$TB_TMP/t5.out") attempts, want 7 + 2 (max-retries 2)"
grep -q 'pacing: adaptive' "$TB_TMP/t5.out" ||
	tb_fail "-T5: -v does not say the pace was adaptive"
tb_log "  ok: -T5 caps the filtered port at 3 attempts"

t0=$(date +%s%N)
scan delay --scan-delay 100ms --retries 0 --timeout 50
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
[ "$ms" -ge 450 ] || tb_fail "--scan-delay 100ms: 7 probes in $ms ms, want >= 500 (2 may leave at once)"
tb_log "  ok: --scan-delay 100ms: 7 probes took $ms ms"
exit 0
