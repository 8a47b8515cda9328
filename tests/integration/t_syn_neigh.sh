#!/usr/bin/env bash
# t_syn_neigh: ringscan -sS finds its next hop's MAC itself.  With the
# scanner's neighbour table flushed before each scan, every engine variant
# gets the target's MAC resolved (it asks the kernel, which sends the ARP
# request; the XDP program must let the ARP reply through) and reports the
# exact truth, on-link and through the gateway.  An on-link address where
# nobody answers ARP comes out filtered (unreachable) for every port, as
# with -sT, as soon as the kernel gives up on it rather than hanging: the
# ARP retransmit time is cut to 100 ms here, well under the engine's own
# 3.5 s limit, and -v must count no next hop given up on at that limit
# ("0 timed out"), which shows the kernel's verdict was heard - a count,
# not a wall-clock limit that a loaded machine could break.
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
	tb_log "ringscan -sS ($v) with an empty neighbour table"
	# shellcheck disable=SC2086 # hosts are meant to split
	syn_run "$v" "$TB_TMP/n.$v" --retries 2 --timeout 300 -p 20-30,80 \
		$HOSTS
	tb_diff "$TB_TMP/truth" "$TB_TMP/n.$v" "rows ($v)" ||
		tb_fail "$v: states differ from the truth"
	lookups=$(syn_stat "$TB_TMP/n.$v" neighbour)
	[ "$lookups" -ge 1 ] ||
		tb_fail "$v: the next hop was not looked up by the engine"
	[ "$(syn_stat "$TB_TMP/n.$v" unresolved)" = 0 ] ||
		tb_fail "$v: a next hop was left unresolved"
	tb_run scan ip neigh show dev "$SYN_IF" |
		grep -E '^198\.18\.0\.2 .*lladdr' >/dev/null ||
		tb_fail "$v: no neighbour entry for 198.18.0.2 after the scan"
	tb_log "  ok: resolved ($lookups neighbour lookups)"
done

tb_run scan sysctl -qw "net.ipv4.neigh.$SYN_IF.retrans_time_ms=100" \
	"net.ipv4.neigh.$SYN_IF.mcast_solicit=3" ||
	tb_fail "cannot shorten ARP retransmits in the test namespace"
tb_log "ringscan -sS -p 1-5 198.18.0.99 (nobody there: the kernel's verdict must end it)"
start=$EPOCHREALTIME
syn_run packet "$TB_TMP/absent" --retries 1 --timeout 300 -p 1-5 198.18.0.99
ms=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", (b - a) * 1000 }')
printf '198.18.0.99,%s,filtered\n' 1 2 3 4 5 >"$TB_TMP/absent.want"
tb_diff "$TB_TMP/absent.want" "$TB_TMP/absent" "rows (absent host)" ||
	tb_fail "an absent host's ports are not filtered"
[ "$(syn_stat "$TB_TMP/absent" unresolved)" = 5 ] ||
	tb_fail "the absent host was not reported unreachable"
grep -q '^198\.18\.0\.99,.*,filtered,.*,host-unreach,' "$TB_TMP/absent.csv" ||
	{ cat "$TB_TMP/absent.csv"; tb_fail "the absent host's reason is not host-unreach"; }
timed=$(syn_stat "$TB_TMP/absent" timed)
[ "$timed" = 0 ] ||
	tb_fail "the absent host was given up on at ringscan's own limit ($timed timed out), not on the kernel's verdict"
tb_log "  done in ${ms} ms, on the kernel's verdict (0 timed out)"
exit 0
