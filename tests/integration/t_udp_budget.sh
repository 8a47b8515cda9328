#!/usr/bin/env bash
# t_udp_budget: -sU from ONE source address against a Linux target that
# keeps its default ICMP rate limit (about one port unreachable a second
# per peer after a burst of six: net.ipv4.icmp_ratelimit, which a new
# namespace has).  Past the burst a closed port is as silent as a
# filtered one; the scheduler must see the limit in its answered retries,
# pace the host to it and retry what it sent too fast.  Truth: 24 closed
# ports (four times the burst), one nft-dropped port (open|filtered) and
# one rejected with admin-prohibited (filtered: its ICMP is rate-limited
# too).  Before the answer-limit rule this scan ended in about 2 s with
# most closed ports open|filtered.  No timing is asserted.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

H4=198.18.0.2
TB_RS_TIMEOUT=180

tb_netns scan
tb_netns tgt
tb_veth scan tgt
[ "$(tb_run tgt sysctl -n net.ipv4.icmp_ratelimit)" != 0 ] ||
	tb_skip "the target's ICMP rate limit is off by default here"

T=$TESTBED_NFT_TABLE
tb_run tgt nft -f - <<-EOF || tb_fail "nft rules failed"
	add table inet $T
	add chain inet $T input { type filter hook input priority 0; }
	add rule inet $T input udp dport 9100 drop
	add rule inet $T input udp dport 9101 reject with icmp type admin-prohibited
EOF

{
	for p in $(seq 9001 9024); do
		echo "$H4,$p,closed,port-unreach"
	done
	echo "$H4,9100,open|filtered,no-response"
	echo "$H4,9101,filtered,admin-prohibited"
} | tb_sort >"$TB_TMP/truth"

tb_rs scan -sU -p 9001-9024,9100,9101 --states open,closed,filtered \
	-oC "$TB_TMP/out.csv" -v "$H4" >/dev/null 2>"$TB_TMP/err" ||
	tb_fail "-sU: $(cat "$TB_TMP/err")"
awk -F, 'NR > 1 { print $1 "," $2 "," $4 "," $6 }' "$TB_TMP/out.csv" |
	tb_sort >"$TB_TMP/got"
if ! diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2; then
	cat "$TB_TMP/err" >&2
	tb_fail "-sU past the target's ICMP burst: rows differ"
fi
grep -q "retries were answered" "$TB_TMP/err" ||
	tb_fail "-v does not say the host was paced to its answers: $(cat "$TB_TMP/err")"
tb_log "26 ports exact from one source past the target's ICMP burst"
echo PASS
