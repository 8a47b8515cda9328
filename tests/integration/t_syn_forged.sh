#!/usr/bin/env bash
# t_syn_forged: replies are accepted only when they acknowledge our SYN
# cookie.  While ringscan -sS scans 198.18.0.2 with every engine variant, a
# forger in the target namespace floods the scanner's four source ports
# with SYN-ACKs and RST-ACKs from the target ports whose real SYNs nftables
# drops, carrying wrong acknowledgment numbers (random, 0 and 1).  Those
# ports must still be filtered, every other port must be exactly right,
# and the engine must have seen and refused the forgeries (the -v line's
# bad-cookie count).
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init
[ -x "$HELPERS/forge" ] || tb_fail "helper $HELPERS/forge missing"

syn_bed
tb_listen tgt "0.0.0.0:22 198.18.0.2:1025"
tb_filter tgt "198.18.0.2:1000-1019"
tb_truth tgt "$SYN_HOST" 990-1030,22 >"$TB_TMP/truth"
VARIANTS=$(syn_variants all)

# One forger for every scan (it stops by itself; the trap ends it sooner).
tb_bg tgt "$HELPERS/forge" 198.18.0.2 198.18.0.1 1000-1019 61000-61003 60 \
	>"$TB_TMP/forge.out"
forger=$TB_LASTPID
sleep 0.3
kill -0 "$forger" 2>/dev/null || tb_fail "forger died: $(cat "$TB_TMP/forge.out")"

for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) while forged replies arrive"
	syn_run "$v" "$TB_TMP/f.$v" --source-port 61000-61003 --retries 3 \
		--timeout 300 -p 990-1030,22 "$SYN_HOST"
	kill -0 "$forger" 2>/dev/null || tb_fail "forger stopped during the scans"
	tb_diff "$TB_TMP/truth" "$TB_TMP/f.$v" "rows ($v, forged replies)" ||
		tb_fail "$v: a forged reply was believed"
	bad=$(syn_stat "$TB_TMP/f.$v" bad)
	tb_log "  $bad forged replies refused (bad cookies)"
	[ "$bad" -gt 100 ] || tb_fail "$v: the forgeries never reached it"
done
exit 0
