#!/usr/bin/env bash
# t_syn_loss: with 10% of the target's incoming SYNs and 10% of its
# SYN-ACKs and RSTs dropped at random (nftables numgen), ringscan -sS with
# every engine variant still reports the exact ground truth for
# 198.18.0.2 x 1-3000, thanks to the retry scheduler, and it visibly
# retried.  An attempt fails with p = 1 - 0.9^2 = 0.19, so 10 retries
# leave 0.19^11 ~ 1e-8 per port (~1e-4 for the whole test); no port is
# filtered, so the scan ends as soon as every port has answered instead
# of waiting out all eleven attempts.  Late answers (a SYN-ACK
# retransmitted by the target after our attempt timed out) go through the
# engine's linger records; the -v counters show how many.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

PORTS=1-3000
syn_bed
tb_listen tgt "0.0.0.0:22 198.18.0.2:80 198.18.0.2:443 198.18.0.2:2999"
tb_truth tgt "$SYN_HOST" "$PORTS" >"$TB_TMP/truth"
VARIANTS=$(syn_variants all)

cat >"$TB_TMP/loss.nft" <<-'NFT'
	add table inet loss
	add chain inet loss in { type filter hook input priority -20; policy accept; }
	add chain inet loss out { type filter hook output priority -20; policy accept; }
	add rule inet loss in tcp flags & (syn | ack) == syn numgen random mod 100 < 10 drop
	add rule inet loss out tcp flags & (syn | ack) == (syn | ack) numgen random mod 100 < 10 drop
	add rule inet loss out tcp flags & rst == rst numgen random mod 100 < 10 drop
NFT
tb_run tgt nft -f "$TB_TMP/loss.nft" || tb_skip "nft has no numgen random"

for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) --retries 10 -p $PORTS $SYN_HOST (10% loss each way)"
	syn_run "$v" "$TB_TMP/loss.$v" --retries 10 --timeout 200 \
		-p "$PORTS" "$SYN_HOST"
	tb_diff "$TB_TMP/truth" "$TB_TMP/loss.$v" "rows ($v, lossy)" ||
		tb_fail "$v: states differ from the truth under loss"
	sent=$(syn_stat "$TB_TMP/loss.$v" SYNs)
	tb_log "  $sent SYNs for 3000 probes; late answers" \
		"$(syn_stat "$TB_TMP/loss.$v" late), delivered at a retry" \
		"$(syn_stat "$TB_TMP/loss.$v" used)"
	# ~19% of attempts fail: ~700 retries expected, 300 is 16 sigma off.
	[ "$sent" -gt 3300 ] || tb_fail "$v: no retries under 10% loss?"
done
exit 0
