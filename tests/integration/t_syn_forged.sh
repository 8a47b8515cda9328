#!/usr/bin/env bash
# t_syn_forged: replies are accepted only when they acknowledge our SYN
# cookie.  While every engine variant scans 198.18.0.2, a forger in the
# target namespace floods the scanner's four source ports with SYN-ACKs and
# RST-ACKs from the target ports whose real SYNs nftables drops, carrying
# wrong acknowledgment numbers (random, 0 and 1).  Those ports must still
# be filtered, every other port must be exactly right, and the engine must
# have seen and refused the forgeries.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init
[ -x "$HELPERS/forge" ] || tb_fail "helper $HELPERS/forge missing"

syn_bed
tb_listen tgt "0.0.0.0:22 198.18.0.2:1025"
tb_filter tgt "198.18.0.2:1000-1019"
tb_truth tgt "$SYN_HOST" 990-1030,22 >"$TB_TMP/truth"
VARIANTS=$(syn_variants all)

for v in $VARIANTS; do
	tb_bg tgt "$HELPERS/forge" 198.18.0.2 198.18.0.1 1000-1019 \
		61000-61003 3 >"$TB_TMP/forge.$v.out"
	forger=$TB_LASTPID
	sleep 0.3
	tb_log "synscan $v while forged replies arrive"
	# shellcheck disable=SC2046 # options are meant to split
	syn_scan "$TB_TMP/f.$v" $(syn_args "$v") --source-port 61000-61003 \
		--retries 3 --timeout-ms 300 -p 990-1030,22 "$SYN_HOST" ||
		{ cat "$TB_TMP/f.$v.err"; tb_fail "synscan ($v) failed"; }
	wait "$forger" || tb_fail "forger failed"
	tb_diff "$TB_TMP/truth" "$TB_TMP/f.$v" "rows ($v, forged replies)" ||
		tb_fail "$v: a forged reply was believed"
	bad=$(syn_stat "$TB_TMP/f.$v" bad_cookie)
	tb_log "  $(cat "$TB_TMP/forge.$v.out") forged segments, $bad refused"
	[ "$bad" -gt 100 ] || tb_fail "$v: the forgeries never reached it"
done
exit 0
