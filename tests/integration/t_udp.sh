#!/usr/bin/env bash
# t_udp: ringscan -sU through the real CLI, as root and as an unprivileged
# user (nobody), IPv4 and IPv6.  The target namespace (198.18.0.2 and
# 2001:2::2 on the testbed's veth) runs real UDP servers - dnsmasq on 53
# (a real DNS server answering the DNS probe of the payload table) and a
# small python3 responder on 9000 - and nftables drops 9010 and rejects
# 9020-9022 with ICMP(v6) errors of several codes; the other ports are
# closed (the kernel answers port unreachable).  Every (host, port) must
# come out exactly: open udp-response, closed port-unreach, filtered with
# nmap's word for the ICMP code, open|filtered no-response.  The target's
# ICMP rate limits are lifted (Linux sends about one error per second per
# peer by default): this tests correctness, not the rate limit.  Then
# -sU -sT in one run (-p U:...,T:22), the text and grepable reports,
# -sS -sU in one run, and,
# when nmap is installed, nmap -sU on the same ports must agree.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v python3 >/dev/null 2>&1 || tb_skip "python3 not installed"
command -v dnsmasq >/dev/null 2>&1 ||
	tb_skip "dnsmasq not installed (dnsmasq-base; scripts/install-deps.sh)"
command -v setpriv >/dev/null 2>&1 || tb_skip "setpriv not installed"

H4=198.18.0.2
H6=2001:2::2
PORTS=53,9000-9003,9010,9020-9022
TB_RS_TIMEOUT=120

tb_netns scan
tb_netns tgt
tb_veth scan tgt
tb_run scan ip -6 addr add 2001:2::1/64 dev v-tgt nodad ||
	tb_skip "no IPv6 on the veth (IPv6 disabled?)"
tb_run tgt ip -6 addr add "$H6/64" dev v-scan nodad ||
	tb_fail "cannot address the target's veth end"
tb_run tgt sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
	net.ipv4.icmp_msgs_per_sec=100000 net.ipv4.icmp_msgs_burst=100000 ||
	tb_fail "cannot lift the target's ICMP rate limits"

# dnsmasq: a DNS server only (no DHCP, no upstream, no files read).
tb_bg tgt dnsmasq --keep-in-foreground --conf-file=/dev/null --user=root \
	--port=53 --bind-interfaces --listen-address="$H4" \
	--listen-address="$H6" --no-resolv --no-hosts \
	--pid-file="$TB_TMP/dnsmasq.pid" --address=/ringscan.test/198.18.0.9 \
	>"$TB_TMP/dnsmasq.log" 2>&1
# python3: any datagram to 9000 draws one back, from 9000.
tb_bg tgt python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 9000))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(4096)
    s.sendto(b"pong", a)
' >"$TB_TMP/echo.out" 2>&1
for _ in $(seq 1 100); do
	grep -qx ready "$TB_TMP/echo.out" &&
		tb_run tgt ss -Hlun "sport = :53" | grep -q . && break
	sleep 0.05
done
grep -qx ready "$TB_TMP/echo.out" || tb_fail "UDP responder not ready"
tb_run tgt ss -Hlun "sport = :53" | grep -q . ||
	tb_fail "dnsmasq not listening: $(cat "$TB_TMP/dnsmasq.log")"

T=$TESTBED_NFT_TABLE
tb_run tgt nft -f - <<-EOF || tb_fail "nft rules failed"
	add table inet $T
	add chain inet $T input { type filter hook input priority 0; }
	add rule inet $T input udp dport 9010 drop
	add rule inet $T input ip daddr $H4 udp dport 9020 reject with icmp type admin-prohibited
	add rule inet $T input ip daddr $H4 udp dport 9021 reject with icmp type host-unreachable
	add rule inet $T input ip6 daddr $H6 udp dport 9020 reject with icmpv6 type admin-prohibited
	add rule inet $T input ip6 daddr $H6 udp dport 9021 reject with icmpv6 type addr-unreachable
	add rule inet $T input udp dport 9022 reject with icmpx type admin-prohibited
EOF

# The truth: host,port,state,reason.
for h in "$H4" "$H6"; do
	cat <<-EOF
		$h,53,open,udp-response
		$h,9000,open,udp-response
		$h,9001,closed,port-unreach
		$h,9002,closed,port-unreach
		$h,9003,closed,port-unreach
		$h,9010,open|filtered,no-response
		$h,9020,filtered,admin-prohibited
		$h,9022,filtered,admin-prohibited
	EOF
done >"$TB_TMP/truth.tmp"
echo "$H4,9021,filtered,host-unreach" >>"$TB_TMP/truth.tmp"
echo "$H6,9021,filtered,host-unreach" >>"$TB_TMP/truth.tmp"
tb_sort "$TB_TMP/truth.tmp" >"$TB_TMP/truth"

# udp_rows CSV: host,port,state,reason of its rows, sorted; every row udp.
udp_rows()
{
	[ "$(head -n 1 "$1")" = "$TB_CSV_HEADER" ] ||
		tb_fail "$1: header is '$(head -n 1 "$1")'"
	awk -F, 'NR > 1 {
		if ($3 != "udp") { print "not udp: " $0; exit 1 }
		print $1 "," $2 "," $4 "," $6
	}' "$1" >"$TB_TMP/rows.tmp" || tb_fail "$(cat "$TB_TMP/rows.tmp")"
	tb_sort "$TB_TMP/rows.tmp"
}

check_run()
{
	local what=$1 rc
	shift
	rc=0
	"$@" >"$TB_TMP/out.csv" 2>"$TB_TMP/err" || rc=$?
	[ "$rc" = 0 ] || tb_fail "$what: exit $rc: $(cat "$TB_TMP/err")"
	udp_rows "$TB_TMP/out.csv" >"$TB_TMP/got"
	diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2 || tb_fail "$what: rows differ"
	tb_log "$what: $(wc -l <"$TB_TMP/got") ports exact"
}

ARGS=(-sU -p "$PORTS" --states open,closed,filtered -oC - "$H4" "$H6")
check_run "-sU as root" \
	timeout -k 2 "$TB_RS_TIMEOUT" ip netns exec "$(tb_nsname scan)" \
	"$RINGSCAN" "${ARGS[@]}"
check_run "-sU as nobody" \
	timeout -k 2 "$TB_RS_TIMEOUT" ip netns exec "$(tb_nsname scan)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	"$RINGSCAN" "${ARGS[@]}"

# -sU -sT in one run; the text and grepable reports say udp and tcp.
tb_listen tgt "$H4:22"
tb_rs scan -sU -sT -p "U:53,9001,9010,9020,T:22,23" -oG "$TB_TMP/g" \
	-oN "$TB_TMP/n" --reason --states open,closed,filtered \
	-oX "$TB_TMP/x" -oC "$TB_TMP/mixed.csv" "$H4" >/dev/null \
	2>"$TB_TMP/err" ||
	tb_fail "-sU -sT: $(cat "$TB_TMP/err")"
awk -F, 'NR > 1 { print $1 "," $2 "," $3 "," $4 "," $6 }' \
	"$TB_TMP/mixed.csv" | sort >"$TB_TMP/got"
sort >"$TB_TMP/want" <<-EOF
	$H4,53,udp,open,udp-response
	$H4,9001,udp,closed,port-unreach
	$H4,9010,udp,open|filtered,no-response
	$H4,9020,udp,filtered,admin-prohibited
	$H4,22,tcp,open,syn-ack
	$H4,23,tcp,closed,conn-refused
EOF
diff -u "$TB_TMP/want" "$TB_TMP/got" >&2 || tb_fail "-sU -sT: rows differ"
for want in "53/udp   open          domain" "9010/udp open|filtered" \
	"22/tcp   open" "Not shown: 1 closed tcp port (conn-refused), 1 closed udp port (port-unreach)"; do
	grep -qF -- "$want" "$TB_TMP/n" ||
		{ cat "$TB_TMP/n"; tb_fail "text report lacks '$want'"; }
done
for want in "53/open/udp//domain///" "9010/open|filtered/udp//" \
	"9020/filtered/udp//" "22/open/tcp//ssh///"; do
	grep -qF -- "$want" "$TB_TMP/g" ||
		{ cat "$TB_TMP/g"; tb_fail "grepable report lacks '$want'"; }
done
# The ICMP code's reason, not a generic one, in the text and XML reports.
grep -E '^9020/udp +filtered .* admin-prohibited$' "$TB_TMP/n" >/dev/null ||
	{ cat "$TB_TMP/n"; tb_fail "text report: 9020/udp not admin-prohibited"; }
grep -F 'portid="9020"><state state="filtered" reason="admin-prohibited"' \
	"$TB_TMP/x" >/dev/null ||
	{ cat "$TB_TMP/x"; tb_fail "XML report: 9020/udp not admin-prohibited"; }
tb_log "-sU -sT: rows, text, XML and grepable reports exact"

# -sS -sU: the SYN engine and the UDP engine side by side (the UDP
# engine's slots are capped where -sS's 65536 would not fit its CQ).
tb_rs scan -sS -sU -p "U:53,9001,9021,T:22,23" --states open,closed,filtered \
	-oC "$TB_TMP/syn.csv" "$H4" >/dev/null 2>"$TB_TMP/err" ||
	tb_fail "-sS -sU: $(cat "$TB_TMP/err")"
awk -F, 'NR > 1 { print $1 "," $2 "," $3 "," $4 "," $6 }' \
	"$TB_TMP/syn.csv" | sort >"$TB_TMP/got"
sort >"$TB_TMP/want" <<-EOF
	$H4,53,udp,open,udp-response
	$H4,9001,udp,closed,port-unreach
	$H4,9021,udp,filtered,host-unreach
	$H4,22,tcp,open,syn-ack
	$H4,23,tcp,closed,reset
EOF
diff -u "$TB_TMP/want" "$TB_TMP/got" >&2 || tb_fail "-sS -sU: rows differ"
tb_log "-sS -sU: rows exact"

# Resume: a scan paced to take seconds, interrupted, then --resume; the
# CSV must end with every port's state exact.
env --default-signal=INT ip netns exec "$(tb_nsname scan)" "$RINGSCAN" \
	-sU -p "$PORTS" --rate 8 --states open,closed,filtered \
	-oC "$TB_TMP/res.csv" --checkpoint "$TB_TMP/res.ck" \
	--checkpoint-interval 200 "$H4" "$H6" >/dev/null 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
sleep 1
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || tb_fail "-sU after SIGINT: exit $rc, want 130"
before=$(tb_rows "$TB_TMP/res.csv")
[ "$before" -lt 18 ] || tb_fail "-sU finished before SIGINT ($before rows)"
tb_rs scan --resume "$TB_TMP/res.ck" >/dev/null 2>"$TB_TMP/err" ||
	tb_fail "--resume of -sU: $(cat "$TB_TMP/err")"
# (rows replayed from the checkpoint keep the ICMP code's reason)
udp_rows "$TB_TMP/res.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2 ||
	tb_fail "-sU interrupted and resumed: rows differ"
tb_log "resume: $before rows before SIGINT, all exact after --resume"

# Shards: two halves of the scan, merged from their checkpoints (rows
# and a grepable report) and from their CSV rows, must be the truth.
for k in 1 2; do
	tb_rs scan -sU -p "$PORTS" --seed 7 --shards "$k/2" \
		--states open,closed,filtered -oC "$TB_TMP/s$k.csv" \
		--checkpoint "$TB_TMP/s$k.ck" "$H4" "$H6" >/dev/null \
		2>"$TB_TMP/err" || tb_fail "shard $k/2: $(cat "$TB_TMP/err")"
done
"$RINGSCAN" merge -oC "$TB_TMP/m.csv" -oG "$TB_TMP/m.gnmap" \
	"$TB_TMP/s1.ck" "$TB_TMP/s2.ck" 2>"$TB_TMP/err" ||
	tb_fail "merge of the shards' checkpoints: $(cat "$TB_TMP/err")"
udp_rows "$TB_TMP/m.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2 ||
	tb_fail "merged shard checkpoints differ from the truth"
grep -qF "9010/open|filtered/udp//" "$TB_TMP/m.gnmap" ||
	tb_fail "merged grepable report lacks 9010/open|filtered/udp"
"$RINGSCAN" merge -oC "$TB_TMP/r.csv" "$TB_TMP/s1.csv" "$TB_TMP/s2.csv" \
	2>"$TB_TMP/err" || tb_fail "merge of the shards' rows: $(cat "$TB_TMP/err")"
udp_rows "$TB_TMP/r.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2 ||
	tb_fail "merged shard rows differ from the truth"
tb_log "shards: merged checkpoints and rows exact"

# nmap -sU on the same ports must agree on every state.
if command -v nmap >/dev/null 2>&1; then
	for h in "$H4" "$H6"; do
		fam=
		[ "$h" = "$H6" ] && fam=-6
		timeout -k 2 300 ip netns exec "$(tb_nsname scan)" nmap $fam -n -Pn \
			-sU -p "$PORTS" -oX "$TB_TMP/nmap.xml" "$h" >/dev/null 2>&1 ||
			tb_fail "nmap -sU failed"
		tb_nmap_rows "$TB_TMP/nmap.xml" >>"$TB_TMP/nmap.rows"
	done
	tb_sort "$TB_TMP/nmap.rows" >"$TB_TMP/nmap.sorted"
	cut -d, -f1-3 "$TB_TMP/truth" >"$TB_TMP/truth3"
	diff -u "$TB_TMP/truth3" "$TB_TMP/nmap.sorted" >&2 ||
		tb_fail "nmap -sU disagrees with the truth (and ringscan)"
	tb_log "nmap -sU agrees on all $(wc -l <"$TB_TMP/truth3") ports"
else
	tb_note "nmap not installed: comparison skipped"
fi
echo PASS
