#!/usr/bin/env bash
# t_syn_neigh: the SYN engine finds its next hop's MAC itself.  With the
# scanner's neighbour table flushed before each scan, every engine variant
# gets the target's MAC resolved (it asks the kernel, which sends the ARP
# request; the XDP program must let the ARP reply through) and reports the
# exact truth, on-link and through the gateway.  An on-link address where
# nobody answers ARP comes out filtered (unreachable) for every port, as
# with -sT, after about the kernel's ARP timeout rather than hanging.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

syn_bed
tb_listen tgt "0.0.0.0:22 198.18.1.7:80"
tb_filter tgt "198.18.0.2:25"
HOSTS="198.18.0.2 198.18.1.7"
tb_truth tgt "$HOSTS" 20-30,80 >"$TB_TMP/truth"
VARIANTS=$(syn_variants all)

for v in $VARIANTS; do
	tb_run scan ip neigh flush dev "$SYN_IF"
	if tb_run scan ip neigh show dev "$SYN_IF" | grep -q 198.18.0.2; then
		tb_fail "neighbour entry for 198.18.0.2 still there"
	fi
	tb_log "synscan $v with an empty neighbour table"
	# shellcheck disable=SC2046,SC2086 # options and hosts are meant to split
	syn_scan "$TB_TMP/n.$v" $(syn_args "$v") --retries 2 \
		--timeout-ms 300 -p 20-30,80 $HOSTS ||
		{ cat "$TB_TMP/n.$v.err"; tb_fail "synscan ($v) failed"; }
	tb_diff "$TB_TMP/truth" "$TB_TMP/n.$v" "rows ($v)" ||
		tb_fail "$v: states differ from the truth"
	[ "$(syn_stat "$TB_TMP/n.$v" solicits)" -ge 1 ] ||
		tb_fail "$v: the next hop was not resolved by the engine"
	tb_run scan ip neigh show dev "$SYN_IF" |
		grep -E '^198\.18\.0\.2 .*lladdr' >/dev/null ||
		tb_fail "$v: no neighbour entry for 198.18.0.2 after the scan"
done

tb_log "synscan packet -p 1-5 198.18.0.99 (nobody there)"
start=$(date +%s)
syn_scan "$TB_TMP/absent" --engine packet --retries 1 --timeout-ms 300 \
	-p 1-5 198.18.0.99 ||
	{ cat "$TB_TMP/absent.err"; tb_fail "synscan failed"; }
secs=$(($(date +%s) - start))
printf '198.18.0.99,%s,filtered\n' 1 2 3 4 5 >"$TB_TMP/absent.want"
tb_diff "$TB_TMP/absent.want" "$TB_TMP/absent" "rows (absent host)" ||
	tb_fail "an absent host's ports are not filtered"
[ "$(syn_stat "$TB_TMP/absent" neigh_failed)" = 5 ] ||
	tb_fail "the absent host was not reported unreachable"
[ "$secs" -le 10 ] || tb_fail "an absent host took ${secs}s"
tb_log "  done in ${secs}s"
exit 0
