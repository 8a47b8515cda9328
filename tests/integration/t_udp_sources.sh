#!/usr/bin/env bash
# t_udp_sources: --source-ip LIST and --defeat-icmp-ratelimit through the
# real CLI, over a veth between namespaces, with the target's default ICMP
# rate limit ON (a new namespace has net.ipv4.icmp_ratelimit 1000 ms: about
# one port unreachable a second per peer after a burst of about six).
#
# The target (198.18.0.2) has 64 closed UDP ports (9100-9163), two open
# ones answered by a python3 responder (9000, 9001) and one dropped by nft
# (9010).  The scanner's namespace holds 16 more addresses, 198.18.0.16-31.
#   1. -sU --source-ip 198.18.0.16-31: every port exact, and an nft
#      counter per source in the target's output chain proves that port
#      unreachables went to every one of the 16 sources (probes spread,
#      each source with its own budget).  67 ports over 16 sources is at
#      most five probes a source, within the burst each source's budget
#      allows at once, so exactness here needs no waiting (pacing a scan to
#      the budgets' refill is the congestion controller's job).
#   2. IPv6 alike: -sU --source-ip 2001:2::10-2001:2::13 of 2001:2::2,
#      exact, port unreachables to all four sources.
#   3. -sT --source-ip with the IPv4 range: exact, SYNs from several
#      sources (a counter per source in the target's input chain).
#   4. --defeat-icmp-ratelimit from the one address 198.18.0.1: open
#      ports open, the dropped port
#      closed|filtered, every closed port either closed (its unreachable
#      came within the budget) or closed|filtered, never open; in every
#      report format the label is closed|filtered.
#      A checkpoint of such a scan merges in the target's namespace, where
#      the sources are not local, with the same label.
#   5. Bad input: a source not assigned here, a family without a source,
#      -sS with a range, a host name, too many sources, an unspecified
#      address, --defeat-icmp-ratelimit without -sU: exit 1, one line.
# No timing is asserted: speed is the benchmarks' business (bench/).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v python3 >/dev/null 2>&1 || tb_skip "python3 not installed"

H4=198.18.0.2
H6=2001:2::2
TB_RS_TIMEOUT=120

tb_netns scan
tb_netns tgt
tb_veth scan tgt
for i in $(seq 16 31); do
	tb_run scan ip addr add "198.18.0.$i/24" dev v-tgt ||
		tb_fail "cannot add source 198.18.0.$i"
done
tb_run scan ip -6 addr add 2001:2::1/64 dev v-tgt nodad ||
	tb_skip "no IPv6 on the veth (IPv6 disabled?)"
tb_run tgt ip -6 addr add "$H6/64" dev v-scan nodad ||
	tb_fail "cannot address the target's veth end"
for i in $(seq 10 13); do
	tb_run scan ip -6 addr add "2001:2::$i/64" dev v-tgt nodad ||
		tb_fail "cannot add source 2001:2::$i"
done
[ "$(tb_run tgt sysctl -n net.ipv4.icmp_ratelimit)" != 0 ] ||
	tb_skip "the target's ICMP rate limit is off by default here"

# python3: any datagram to 9000 or 9001 draws one back.
tb_bg tgt python3 -c '
import select, socket
ss = []
for p in (9000, 9001):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", p))
    ss.append(s)
print("ready", flush=True)
while True:
    for s in select.select(ss, [], [])[0]:
        d, a = s.recvfrom(4096)
        s.sendto(b"pong", a)
' >"$TB_TMP/echo.out" 2>&1
for _ in $(seq 1 100); do
	grep -qx ready "$TB_TMP/echo.out" && break
	sleep 0.05
done
grep -qx ready "$TB_TMP/echo.out" || tb_fail "UDP responder not ready"
tb_listen tgt "$H4:22"

# Counters per source: port unreachables the target sends to it, and TCP
# segments it receives from it.
T=$TESTBED_NFT_TABLE
{
	echo "add table inet $T"
	echo "add chain inet $T input { type filter hook input priority 0; }"
	echo "add chain inet $T output { type filter hook output priority 0; }"
	echo "add rule inet $T input udp dport 9010 drop"
	for i in $(seq 16 31); do
		echo "add rule inet $T output ip daddr 198.18.0.$i icmp type destination-unreachable counter comment \"unreach-$i\""
		echo "add rule inet $T input ip saddr 198.18.0.$i tcp flags syn counter comment \"syn-$i\""
	done
	for i in $(seq 10 13); do
		echo "add rule inet $T output ip6 daddr 2001:2::$i icmpv6 type destination-unreachable counter comment \"unreach6-$i\""
		echo "add rule inet $T input ip6 saddr 2001:2::$i udp dport 9000-9200 counter comment \"probe6-$i\""
	done
} | tb_run tgt nft -f - || tb_fail "nft rules failed"

# counter NAME: the packets the rule with that comment counted.
counter()
{
	tb_run tgt nft list table inet "$T" |
		awk -v c="\"$1\"" '$0 ~ c { for (i = 1; i < NF; i++)
			if ($i == "packets") print $(i + 1) }'
}

# The truth: host,port,state,reason.
{
	echo "$H4,9000,open,udp-response"
	echo "$H4,9001,open,udp-response"
	echo "$H4,9010,open|filtered,no-response"
	for p in $(seq 9100 9163); do
		echo "$H4,$p,closed,port-unreach"
	done
} | tb_sort >"$TB_TMP/truth"

rows()
{
	awk -F, 'NR > 1 { print $1 "," $2 "," $4 "," $6 }' "$1" | tb_sort
}

# 1. -sU from 16 sources: exact, and every source got port unreachables.
tb_rs scan -sU -p 9000,9001,9010,9100-9163 --source-ip 198.18.0.16-31 \
	--states open,closed,filtered -oC "$TB_TMP/src.csv" "$H4" \
	>/dev/null 2>"$TB_TMP/err" || tb_fail "-sU --source-ip: $(cat "$TB_TMP/err")"
rows "$TB_TMP/src.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/truth" "$TB_TMP/got" >&2 ||
	tb_fail "-sU --source-ip 198.18.0.16-31: rows differ"
used=0 total=0
for i in $(seq 16 31); do
	n=$(counter "unreach-$i")
	[ -n "$n" ] || tb_fail "no counter for source 198.18.0.$i"
	total=$((total + n))
	[ "$n" -gt 0 ] && used=$((used + 1))
done
# 64 closed ports, each answered at least once: with 67 probes taken in
# turn every source sends about four, and meets closed ports.
[ "$used" = 16 ] ||
	tb_fail "port unreachables went to $used of 16 sources, want all 16"
[ "$total" -ge 64 ] || tb_fail "only $total port unreachables for 64 closed ports"
tb_log "-sU from 16 sources: $(wc -l <"$TB_TMP/got") ports exact, unreachables to all 16 sources ($total)"

# 2. IPv6: four sources, 11 ports (at most three probes a source).
tb_rs scan -sU -p 9000,9001,9010,9100-9107 --source-ip 2001:2::10-2001:2::13 \
	--states open,closed,filtered -oC "$TB_TMP/src6.csv" "$H6" \
	>/dev/null 2>"$TB_TMP/err" || tb_fail "-sU -6 --source-ip: $(cat "$TB_TMP/err")"
{
	echo "$H6,9000,open,udp-response"
	echo "$H6,9001,open,udp-response"
	echo "$H6,9010,open|filtered,no-response"
	for p in $(seq 9100 9107); do
		echo "$H6,$p,closed,port-unreach"
	done
} | tb_sort >"$TB_TMP/want"
rows "$TB_TMP/src6.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/want" "$TB_TMP/got" >&2 || tb_fail "-sU IPv6 --source-ip: rows differ"
# Sources are taken in turn, so which source's probes meet the closed
# ports depends on the send order: every source must have sent its share
# (11 first attempts over 4: two or three each, one of which may be to
# 9010, dropped before the counter), and every closed port drawn its
# unreachable.
total=0
for i in $(seq 10 13); do
	[ "$(counter "probe6-$i")" -ge 1 ] ||
		tb_fail "IPv6: 2001:2::$i sent no probe that arrived"
	total=$((total + $(counter "unreach6-$i")))
done
[ "$total" -ge 8 ] || tb_fail "IPv6: only $total port unreachables for 8 closed ports"
tb_log "-sU IPv6 from 4 sources: exact, probes from all 4, $total unreachables"

# 3. -sT from the same sources: exact, SYNs from more than one source.
tb_rs scan -sT -p 22,23,9100-9107 --source-ip 198.18.0.16-31 \
	--states open,closed,filtered -oC "$TB_TMP/tcp.csv" "$H4" \
	>/dev/null 2>"$TB_TMP/err" || tb_fail "-sT --source-ip: $(cat "$TB_TMP/err")"
{
	echo "$H4,22,open,syn-ack"
	echo "$H4,23,closed,conn-refused"
	for p in $(seq 9100 9107); do
		echo "$H4,$p,closed,conn-refused"
	done
} | tb_sort >"$TB_TMP/want"
rows "$TB_TMP/tcp.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/want" "$TB_TMP/got" >&2 || tb_fail "-sT --source-ip: rows differ"
used=0
for i in $(seq 16 31); do
	[ "$(counter "syn-$i")" -gt 0 ] && used=$((used + 1))
done
# 10 ports: 10 consecutive probe numbers, so 10 distinct sources.
[ "$used" -ge 10 ] || tb_fail "-sT: SYNs came from $used sources, want 10"
tb_log "-sT from 16 sources: exact, SYNs from $used sources"

# 4. --defeat-icmp-ratelimit from the one address 198.18.0.1 (its budget
# untouched so far): no retries waiting for the ICMP budget.
tb_rs scan -sU --defeat-icmp-ratelimit -p 9000,9001,9010,9100-9163 \
	--states open,closed,filtered -oC "$TB_TMP/fast.csv" \
	-oN "$TB_TMP/fast.nmap" -oG "$TB_TMP/fast.gnmap" -oX "$TB_TMP/fast.xml" \
	-oJ "$TB_TMP/fast.json" "$H4" >/dev/null 2>"$TB_TMP/err" ||
	tb_fail "--defeat-icmp-ratelimit: $(cat "$TB_TMP/err")"
rows "$TB_TMP/fast.csv" >"$TB_TMP/got"
[ "$(wc -l <"$TB_TMP/got")" = 67 ] || tb_fail "fast mode: $(wc -l <"$TB_TMP/got") rows, want 67"
grep -qx "$H4,9000,open,udp-response" "$TB_TMP/got" || tb_fail "fast mode: 9000 not open"
grep -qx "$H4,9001,open,udp-response" "$TB_TMP/got" || tb_fail "fast mode: 9001 not open"
grep -qx "$H4,9010,closed|filtered,no-response" "$TB_TMP/got" ||
	tb_fail "fast mode: 9010 not closed|filtered"
bad=$(awk -F, '$2 >= 9100 && !(($3 == "closed" && $4 == "port-unreach") ||
	($3 == "closed|filtered" && $4 == "no-response"))' "$TB_TMP/got")
[ -z "$bad" ] || tb_fail "fast mode: closed ports wrong: $bad"
silent=$(grep -c 'closed|filtered' "$TB_TMP/got" || true)
# One source, a budget of about six: most closed ports stay silent, which
# is what makes this mode's label matter (not a timing assertion: the
# count of answers the kernel's limit allows).
[ "$silent" -gt 32 ] ||
	tb_fail "fast mode: only $silent silent ports; was the ICMP limit on?"
grep -q '"state":"closed|filtered"' "$TB_TMP/fast.json" || tb_fail "JSON lacks closed|filtered"
grep -q 'closed|filtered' "$TB_TMP/fast.nmap" || tb_fail "text report lacks closed|filtered"
grep -q 'open|filtered' "$TB_TMP/fast.nmap" "$TB_TMP/fast.gnmap" "$TB_TMP/fast.xml" &&
	tb_fail "fast mode: a report still says open|filtered"
grep -q 'state="closed|filtered"' "$TB_TMP/fast.xml" || tb_fail "XML lacks closed|filtered"
tb_log "--defeat-icmp-ratelimit: opens open, $silent ports closed|filtered, the rest closed"

# A checkpoint of a scan with both options merges where the sources are
# not local (the target's namespace): merge checks no source, and keeps
# the scan's label for silence.
tb_rs scan -sU --defeat-icmp-ratelimit --source-ip 198.18.0.16-31 \
	-p 9000,9010 --checkpoint "$TB_TMP/fast.ck" -oC /dev/null "$H4" \
	>/dev/null 2>"$TB_TMP/err" || tb_fail "checkpointed run: $(cat "$TB_TMP/err")"
timeout -k 2 60 ip netns exec "$(tb_nsname tgt)" "$RINGSCAN" merge \
	--states open,closed,filtered -oC "$TB_TMP/merged.csv" "$TB_TMP/fast.ck" \
	>/dev/null 2>"$TB_TMP/err" || tb_fail "merge elsewhere: $(cat "$TB_TMP/err")"
printf '%s\n' "$H4,9000,open,udp-response" "$H4,9010,closed|filtered,no-response" |
	tb_sort >"$TB_TMP/want"
rows "$TB_TMP/merged.csv" >"$TB_TMP/got"
diff -u "$TB_TMP/want" "$TB_TMP/got" >&2 || tb_fail "merge of the checkpoint: rows differ"
tb_log "merge of a --source-ip --defeat-icmp-ratelimit checkpoint elsewhere: exact"

# 5. Bad input: exit 1 and one line naming the input.
bad_input()
{
	local want=$1 rc=0
	shift
	tb_rs scan "$@" >/dev/null 2>"$TB_TMP/err" || rc=$?
	[ "$rc" = 1 ] || tb_fail "'$*': exit $rc, want 1: $(cat "$TB_TMP/err")"
	[ "$(wc -l <"$TB_TMP/err")" = 1 ] ||
		tb_fail "'$*': not one line: $(cat "$TB_TMP/err")"
	grep -qF -- "$want" "$TB_TMP/err" ||
		tb_fail "'$*': error lacks '$want': $(cat "$TB_TMP/err")"
}
bad_input "198.18.0.99: not usable as a source here" \
	-sU -p 9001 --source-ip 198.18.0.16,198.18.0.99 "$H4"
bad_input "ip addr add 198.18.0.99/32" -sT -p 22 --source-ip 198.18.0.99 "$H4"
bad_input "has no IPv6 address for the IPv6 targets" \
	-sU -p 9001 --source-ip 198.18.0.16 "$H4" "$H6"
bad_input "has no IPv4 address for the IPv4 targets" \
	-sT -p 22 --source-ip 2001:2::10 "$H4"
bad_input "2001:2::99: not usable as a source here" \
	-sU -p 9001 --source-ip 2001:2::99 "$H6"
bad_input "-sS takes one address per family" \
	-sS -p 22 --source-ip 198.18.0.16-17 "$H4"
bad_input "host names are not accepted" -sU -p 9001 --source-ip localhost "$H4"
bad_input "more than 4096 addresses" -sU -p 9001 --source-ip 198.18.0.0/16 "$H4"
bad_input "0.0.0.0': not a unicast address" -sU -p 9001 --source-ip 0.0.0.0 "$H4"
bad_input "--defeat-icmp-ratelimit only applies to UDP scans" \
	-sT -p 22 --defeat-icmp-ratelimit "$H4"
tb_log "bad input: one line each, exit 1"
