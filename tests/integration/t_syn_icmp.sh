#!/usr/bin/env bash
# t_syn_icmp: ringscan -sS reads ICMP and ICMPv6 destination unreachable
# errors.  The target (198.18.0.2 and 2001:2::2 on the testbed's veth)
# rejects the SYNs to some ports with nftables "reject with icmp(v6) type
# ..." - one port per code, one of them over a listener - drops others,
# listens on some and leaves the rest closed.  With every engine variant,
# every (host, port) must come out with the right state and the right
# reason: filtered with nmap's word for the ICMP code (admin-prohibited,
# host-unreach, port-unreach, ...), filtered no-response, open syn-ack,
# closed reset.  Then again while forgers in the target namespace flood
# the scanner's source ports with ICMP(v6) administratively-prohibited
# errors quoting SYNs to the same ports with wrong sequence numbers: the
# rows must not change (a dropped port stays no-response, a closed one
# reset, an open one syn-ack) and the -v line must count the forgeries.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init
[ -x "$HELPERS/forge_icmp" ] || tb_fail "helper $HELPERS/forge_icmp missing"

H4=198.18.0.2
H6=2001:2::2
PORTS=995-1020,22

syn_bed
tb_run scan ip -6 addr add 2001:2::1/64 dev "$SYN_IF" nodad ||
	tb_skip "no IPv6 on the veth (IPv6 disabled?)"
tb_run tgt ip -6 addr add "$H6/64" dev v-scan nodad ||
	tb_fail "cannot address the target's veth end"
# The target's errors must not be rate-limited away (1/s per peer by
# default): a lost one would be a no-response, not what this tests.
tb_run tgt sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 ||
	tb_fail "cannot lift the target's ICMP rate limit"

tb_listen tgt "0.0.0.0:22 [::]:22 0.0.0.0:1012 [::]:1012 $H4:1015 [$H6]:1015"
tb_filter tgt "$H4:1000-1004 [$H6]:1000-1004"
tb_truth tgt "$H4 $H6" "$PORTS" >"$TB_TMP/states"

# PORT FAMILY NFT-TYPE REASON: the rejected ports, and what -sS must say.
cat >"$TB_TMP/rejects" <<-EOF
	1005 ip admin-prohibited admin-prohibited
	1006 ip host-unreachable host-unreach
	1007 ip port-unreachable port-unreach
	1008 ip net-unreachable net-unreach
	1009 ip prot-unreachable proto-unreach
	1010 ip host-prohibited host-prohibited
	1011 ip net-prohibited net-prohibited
	1012 ip admin-prohibited admin-prohibited
	1005 ip6 admin-prohibited admin-prohibited
	1006 ip6 addr-unreachable host-unreach
	1007 ip6 port-unreachable port-unreach
	1008 ip6 no-route no-route
	1009 ip6 policy-fail admin-prohibited
	1010 ip6 reject-route reject-route
	1012 ip6 admin-prohibited admin-prohibited
EOF
while read -r port fam type _; do
	if [ "$fam" = ip ]; then
		printf 'add rule inet %s input ip daddr %s tcp dport %s tcp flags & (syn | ack) == syn reject with icmp type %s\n' \
			"$TESTBED_NFT_TABLE" "$H4" "$port" "$type"
	else
		printf 'add rule inet %s input ip6 daddr %s tcp dport %s tcp flags & (syn | ack) == syn reject with icmpv6 type %s\n' \
			"$TESTBED_NFT_TABLE" "$H6" "$port" "$type"
	fi
done <"$TB_TMP/rejects" >"$TB_TMP/reject.nft"
tb_run tgt nft -f "$TB_TMP/reject.nft" || tb_fail "nft reject rules failed"

# The truth with reasons: host,port,state,reason.
awk -v h4="$H4" -v h6="$H6" '
FNR == NR { rej[($2 == "ip" ? h4 : h6) "," $1] = $4; next }
BEGIN { FS = "[ ,]" }
{
	k = $1 "," $2
	if (k in rej) { print k ",filtered," rej[k]; next }
	r = $3 == "open" ? "syn-ack" : $3 == "closed" ? "reset" : "no-response"
	print k "," $3 "," r
}' "$TB_TMP/rejects" "$TB_TMP/states" | tb_sort >"$TB_TMP/truth"
[ "$(grep -c ',filtered,[a-z-]*-\(unreach\|prohibited\|route\)$' \
	"$TB_TMP/truth")" = 15 ] || tb_fail "truth: want 15 rejected ports"

# icmp_rows OUT: host,port,state,reason of OUT.csv, sorted.
icmp_rows()
{
	tb_csv_rows "$1.csv" >/dev/null # checks the header
	awk -F, 'NR > 1 { print $1 "," $2 "," $4 "," $6 }' "$1.csv" | tb_sort
}

VARIANTS=$(syn_variants all)
for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) $H4 $H6: ICMP-rejected ports"
	syn_run "$v" "$TB_TMP/r.$v" --retries 1 --timeout 300 -p "$PORTS" \
		"$H4" "$H6"
	icmp_rows "$TB_TMP/r.$v" >"$TB_TMP/r.$v.rows"
	tb_diff "$TB_TMP/truth" "$TB_TMP/r.$v.rows" "rows with reasons ($v)" ||
		tb_fail "$v: states or reasons differ from the truth"
	n=$(syn_stat "$TB_TMP/r.$v" ICMP)
	[ "${n:-0}" -ge 15 ] ||
		{ cat "$TB_TMP/r.$v.err"; tb_fail "$v: $n ICMP errors counted, want 15 at least"; }
	[ "$(syn_stat "$TB_TMP/r.$v" forged)" = 0 ] ||
		tb_fail "$v: genuine errors counted as forged"
done

# Forgers: wrong quoted sequence numbers for every port from 1000 to 1015
# (dropped, rejected, closed and open ones) and the two source ports.
tb_bg tgt "$HELPERS/forge_icmp" "$H4" 198.18.0.1 1000-1015 61000-61001 90 \
	>"$TB_TMP/forge4.out"
forger4=$TB_LASTPID
tb_bg tgt "$HELPERS/forge_icmp" "$H6" 2001:2::1 1000-1015 61000-61001 90 \
	>"$TB_TMP/forge6.out"
forger6=$TB_LASTPID
sleep 0.3
kill -0 "$forger4" 2>/dev/null || tb_fail "IPv4 forger died: $(cat "$TB_TMP/forge4.out")"
kill -0 "$forger6" 2>/dev/null || tb_fail "IPv6 forger died: $(cat "$TB_TMP/forge6.out")"

for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) while forged ICMP errors arrive"
	syn_run "$v" "$TB_TMP/f.$v" --source-port 61000-61001 --retries 1 \
		--timeout 300 -p "$PORTS" "$H4" "$H6"
	for pid in "$forger4" "$forger6"; do
		kill -0 "$pid" 2>/dev/null ||
			tb_fail "a forger stopped during the scans"
	done
	icmp_rows "$TB_TMP/f.$v" >"$TB_TMP/f.$v.rows"
	tb_diff "$TB_TMP/truth" "$TB_TMP/f.$v.rows" "rows with reasons ($v, forged ICMP)" ||
		tb_fail "$v: a forged ICMP error was believed"
	forged=$(syn_stat "$TB_TMP/f.$v" forged)
	tb_log "  $forged forged ICMP errors refused"
	[ "${forged:-0}" -gt 100 ] ||
		{ cat "$TB_TMP/f.$v.err"; tb_fail "$v: the forgeries never reached it"; }
done
exit 0
