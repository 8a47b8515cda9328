#!/usr/bin/env bash
# t_syn_detach: the AF_XDP engine never leaves its XDP program on the
# interface - after a normal exit, after SIGINT (Ctrl-C) and SIGTERM in the
# middle of a scan (checked attached while it runs), and after a scan that
# leaves through the error path - in every XDP mode available.  And when
# another program already holds the interface, the automatic choice falls
# back to AF_PACKET with a one-line notice and still gets the truth, a
# forced --engine xdp fails cleanly, and the other program is left alone.
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

# interrupt VARIANT SIGNAL: stop a running scan with SIGNAL.
interrupt()
{
	local v=$1 sig=$2 pid rc=0 i
	# shellcheck disable=SC2046 # options are meant to split
	ip netns exec "$(tb_nsname scan)" "$SYNSCAN" $(syn_args "$v") \
		--retries 5 --timeout-ms 1000 -p 1-2000 198.18.1.9 \
		>/dev/null 2>"$TB_TMP/int.err" &
	pid=$!
	for i in $(seq 1 100); do
		syn_xdp_attached && break
		sleep 0.05
	done
	syn_xdp_attached || tb_fail "$v: program never attached during a scan"
	sleep 0.3
	kill "-$sig" "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || { cat "$TB_TMP/int.err"; tb_fail "$v: exit $rc after SIG$sig"; }
	! syn_xdp_attached || tb_fail "$v: program left attached after SIG$sig"
	tb_log "  ok: SIG$sig during the scan, detached (i=$i)"
}

for v in $VARIANTS; do
	tb_log "$v: normal exit"
	# shellcheck disable=SC2046 # options are meant to split
	syn_scan "$TB_TMP/ok.$v" $(syn_args "$v") --timeout-ms 300 \
		-p 1-100 "$SYN_HOST" || tb_fail "$v: scan failed"
	tb_diff "$TB_TMP/truth" "$TB_TMP/ok.$v" "rows ($v)" ||
		tb_fail "$v: wrong states"
	! syn_xdp_attached || tb_fail "$v: program left attached after exit"

	interrupt "$v" INT
	interrupt "$v" TERM

	tb_log "$v: error path"
	rc=0
	# shellcheck disable=SC2046
	syn_scan "$TB_TMP/err.$v" $(syn_args "$v") --fail-after 10 \
		--timeout-ms 300 -p 1-100 "$SYN_HOST" || rc=$?
	[ "$rc" = 3 ] || tb_fail "$v: --fail-after exited $rc, want 3"
	! syn_xdp_attached || tb_fail "$v: program left attached after an error"
	tb_log "  ok: error exit, detached"
done

obj="$HELPERS/../bpf/xdp_scan.bpf.o"
if ! [ -f "$obj" ] || ! tb_run scan ip link set dev "$SYN_IF" xdpgeneric \
	obj "$obj" sec xdp 2>"$TB_TMP/ip.err"; then
	tb_log "(skipping the foreign-program part: cannot attach one with ip:" \
		"$(head -n 1 "$TB_TMP/ip.err" 2>/dev/null))"
	exit 0
fi
before=$(tb_run scan ip link show dev "$SYN_IF" | grep -o 'prog/xdp id [0-9]*')
tb_log "another program on $SYN_IF ($before): automatic choice"
syn_scan "$TB_TMP/auto" --timeout-ms 300 -p 1-100 "$SYN_HOST" ||
	{ cat "$TB_TMP/auto.err"; tb_fail "auto scan failed"; }
grep -qx 'engine: packet' "$TB_TMP/auto.err" ||
	tb_fail "auto did not fall back to AF_PACKET"
[ "$(grep -c '^notice: AF_XDP unavailable' "$TB_TMP/auto.err")" = 1 ] ||
	tb_fail "no one-line notice of the fallback"
tb_diff "$TB_TMP/truth" "$TB_TMP/auto" "rows (fallback)" ||
	tb_fail "fallback scan wrong"
rc=0
syn_scan "$TB_TMP/forced" --engine xdp --timeout-ms 300 -p 1-100 \
	"$SYN_HOST" || rc=$?
[ "$rc" = 1 ] || tb_fail "forced xdp over another program exited $rc"
after=$(tb_run scan ip link show dev "$SYN_IF" | grep -o 'prog/xdp id [0-9]*')
[ "$before" = "$after" ] || tb_fail "the other program was touched"
tb_run scan ip link set dev "$SYN_IF" xdpgeneric off
tb_log "  ok: fallback with a notice, forced xdp refused, other program intact"
exit 0
