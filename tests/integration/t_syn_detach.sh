#!/usr/bin/env bash
# t_syn_detach: ringscan -sS over AF_XDP never leaves its XDP program on
# the interface - after a normal exit, after SIGINT (Ctrl-C), SIGTERM and
# SIGHUP (a closed terminal) in the middle of a scan (checked attached
# while it runs; exit 128+N), and after a runtime error (the interface
# goes down under a running scan: exit 2, at once rather than a hang) - in
# every XDP mode available.  And when another program already holds the
# interface, the automatic choice falls back to AF_PACKET with a one-line
# notice and still gets the truth, a forced --engine xdp fails with one
# line and exit 2, and the other program is left alone.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

syn_bed
tb_listen tgt "0.0.0.0:22"
# A whole host of dropped ports keeps a scan busy for seconds.
tb_filter tgt "198.18.1.9:*"
tb_truth tgt "$SYN_HOST" 1-100 >"$TB_TMP/truth"
VARIANTS=$(syn_variants xdp)
[ -n "$VARIANTS" ] || tb_skip "no AF_XDP mode works on veth here"

# long_scan VARIANT ERR: a scan of seconds in the background, pid in $pid;
# returns once its program is attached.
long_scan()
{
	local v=$1 err=$2
	# shellcheck disable=SC2046 # options are meant to split
	ip netns exec "$(tb_nsname scan)" "$RINGSCAN" -sS $(syn_args "$v") \
		--retries 5 --timeout 1000 -p 1-2000 198.18.1.9 \
		>/dev/null 2>"$err" &
	pid=$!
	for _ in $(seq 1 100); do
		syn_xdp_attached && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	syn_xdp_attached || {
		cat "$err"
		tb_fail "$v: program never attached during a scan"
	}
	sleep 0.2
}

# interrupt VARIANT SIGNAL NUMBER: stop a running scan with SIGNAL.
interrupt()
{
	local v=$1 sig=$2 num=$3 rc=0
	long_scan "$v" "$TB_TMP/int.err"
	kill "-$sig" "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = $((128 + num)) ] ||
		{ cat "$TB_TMP/int.err"; tb_fail "$v: exit $rc after SIG$sig"; }
	grep -q "^ringscan: stopped by signal $num" "$TB_TMP/int.err" ||
		{ cat "$TB_TMP/int.err"; tb_fail "$v: no 'stopped by signal' line"; }
	! syn_xdp_attached || tb_fail "$v: program left attached after SIG$sig"
	tb_log "  ok: SIG$sig during the scan: exit $rc, detached"
}

for v in $VARIANTS; do
	tb_log "$v: normal exit"
	syn_run "$v" "$TB_TMP/ok.$v" --timeout 300 -p 1-100 "$SYN_HOST"
	tb_diff "$TB_TMP/truth" "$TB_TMP/ok.$v" "rows ($v)" ||
		tb_fail "$v: wrong states"
	! syn_xdp_attached || tb_fail "$v: program left attached after exit"

	interrupt "$v" INT 2
	interrupt "$v" TERM 15
	interrupt "$v" HUP 1

	tb_log "$v: error exit (the interface goes down under the scan)"
	rc=0
	long_scan "$v" "$TB_TMP/err.$v"
	tb_run scan ip link set dev "$SYN_IF" down
	wait "$pid" || rc=$?
	[ "$rc" = 2 ] || { cat "$TB_TMP/err.$v"; tb_fail "$v: exit $rc, want 2"; }
	grep -qi '^ringscan: .*down' "$TB_TMP/err.$v" ||
		{ cat "$TB_TMP/err.$v"; tb_fail "$v: no line saying the link is down"; }
	! syn_xdp_attached || tb_fail "$v: program left attached after an error"
	tb_run scan ip link set dev "$SYN_IF" up
	tb_run scan ip route replace "$SYN_NET" via "$SYN_HOST"
	! syn_xdp_attached || tb_fail "$v: program attached after link up"
	tb_log "  ok: error exit 2 ($(grep -i down "$TB_TMP/err.$v")), detached"
done

obj="$HELPERS/../bpf/xdp_scan.bpf.o"
if ! [ -f "$obj" ] || ! tb_run scan ip link set dev "$SYN_IF" xdpgeneric \
	obj "$obj" sec xdp 2>"$TB_TMP/ip.err"; then
	tb_skip "the detach part passed, but the foreign-program part" \
		"cannot run: ip cannot attach one here:" \
		"$(head -n 1 "$TB_TMP/ip.err" 2>/dev/null)"
fi
before=$(tb_run scan ip link show dev "$SYN_IF" | grep -o 'prog/xdp id [0-9]*')
tb_log "another program on $SYN_IF ($before): automatic choice"
syn_scan "$TB_TMP/auto" --timeout 300 -p 1-100 "$SYN_HOST" ||
	{ cat "$TB_TMP/auto.err"; tb_fail "automatic choice: scan failed"; }
case $(syn_engine_line "$TB_TMP/auto") in
"$(syn_engine_want packet)"*) ;;
*) cat "$TB_TMP/auto.err"; tb_fail "automatic choice did not fall back to AF_PACKET" ;;
esac
n=$(grep -c "^ringscan: notice: AF_XDP unavailable on $SYN_IF (.*); using AF_PACKET\$" \
	"$TB_TMP/auto.err" || true)
[ "$n" = 1 ] || { cat "$TB_TMP/auto.err"; tb_fail "no one-line notice of the fallback"; }
tb_diff "$TB_TMP/truth" "$TB_TMP/auto" "rows (fallback)" ||
	tb_fail "fallback scan wrong"
tb_log "  $(grep '^ringscan: notice' "$TB_TMP/auto.err")"
rc=0
syn_scan "$TB_TMP/forced" --engine xdp --timeout 300 -p 1-100 \
	"$SYN_HOST" || rc=$?
[ "$rc" = 2 ] || { cat "$TB_TMP/forced.err"; tb_fail "forced xdp over another program exited $rc"; }
if [ "$(grep -c '^ringscan: ' "$TB_TMP/forced.err")" != 1 ] ||
	! grep -q 'XDP program' "$TB_TMP/forced.err"; then
	cat "$TB_TMP/forced.err"
	tb_fail "forced xdp over another program: want one line naming the XDP program"
fi
after=$(tb_run scan ip link show dev "$SYN_IF" | grep -o 'prog/xdp id [0-9]*')
[ "$before" = "$after" ] || tb_fail "the other program was touched"
tb_run scan ip link set dev "$SYN_IF" xdpgeneric off
tb_log "  ok: fallback with a notice, forced xdp refused, other program intact"
exit 0
