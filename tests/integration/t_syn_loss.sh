#!/usr/bin/env bash
# t_syn_loss: with 15% of the target's incoming SYNs and 15% of its SYN-ACKs
# and RSTs dropped at random (nftables numgen), every engine variant still
# reports the exact ground truth for 198.18.0.2 x 1-3000, thanks to the
# retry scheduler (8 retries leave ~1e-6 per port), and it visibly retried.
# Late answers (a SYN-ACK retransmitted by the target after our attempt
# timed out) go through the engine's linger records.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

PORTS=1-3000
syn_bed
tb_listen tgt "0.0.0.0:22 198.18.0.2:80 198.18.0.2:443 198.18.0.2:2999"
tb_filter tgt "198.18.0.2:81 198.18.0.2:1000-1019"
tb_truth tgt "$SYN_HOST" "$PORTS" >"$TB_TMP/truth"
VARIANTS=$(syn_variants all)

cat >"$TB_TMP/loss.nft" <<-'NFT'
	add table inet loss
	add chain inet loss in { type filter hook input priority -20; policy accept; }
	add chain inet loss out { type filter hook output priority -20; policy accept; }
	add rule inet loss in tcp flags & (syn | ack) == syn numgen random mod 100 < 15 drop
	add rule inet loss out tcp flags & (syn | ack) == (syn | ack) numgen random mod 100 < 15 drop
	add rule inet loss out tcp flags & rst == rst numgen random mod 100 < 15 drop
NFT
tb_run tgt nft -f "$TB_TMP/loss.nft" || tb_skip "nft has no numgen random"

for v in $VARIANTS; do
	tb_log "synscan $v --retries 8 -p $PORTS $SYN_HOST (15% loss each way)"
	# shellcheck disable=SC2046 # options are meant to split
	syn_scan "$TB_TMP/loss.$v" $(syn_args "$v") --retries 8 \
		--timeout-ms 200 -p "$PORTS" "$SYN_HOST" ||
		{ cat "$TB_TMP/loss.$v.err"; tb_fail "synscan ($v) failed"; }
	tb_diff "$TB_TMP/truth" "$TB_TMP/loss.$v" "rows ($v, lossy)" ||
		tb_fail "$v: states differ from the truth under loss"
	sent=$(syn_stat "$TB_TMP/loss.$v" tx_syn)
	tb_log "  $sent SYNs for 3000 probes;" \
		"late answers $(syn_stat "$TB_TMP/loss.$v" late)," \
		"delivered at a retry $(syn_stat "$TB_TMP/loss.$v" late_delivered)"
	[ "$sent" -gt 3300 ] || tb_fail "$v: no retries under 15% loss?"
done
exit 0
