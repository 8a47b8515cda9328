# shellcheck shell=bash
#
# tests/integration/testbed.sh - the one place where the namespace testbed and its
# ground truth are defined, for the integration tests and the benchmarks
# alike.  tests/integration/lib.sh (tb_*) and bench/wan.sh (wan_*) source
# it and add only their own naming, traps and error reporting, so a port
# that a test calls "filtered" is filtered by the very rule the benchmark
# counts as filtered.
#
# The model: a target namespace holds TCP listeners (ADDR:PORT pairs, where
# 0.0.0.0 means every IPv4 address local to it, [::] every IPv6 one) and
# nftables rules that drop pure SYNs to some ADDR:PORT pairs (ADDR may be a
# prefix, PORT a range or *).  Subnets are answered by one namespace through
# a local route (`ip route add local 198.19.0.0/16 dev lo`): every address in
# it is the namespace's own, so a listener on 0.0.0.0 is open on all of
# them and every other port answers with a reset.  From those two lists the
# state of every (host, port) follows: filtered if its SYN is dropped, else
# open if something listens on it, else closed.  testbed_truth writes that
# as sorted "host,port,state" rows, the ground truth every scanner's answer
# is compared with.
#
# Functions (none prints on success; each returns non-zero on failure and
# never exits, so callers choose between failing a test and cleaning up):
#   testbed_ns_add NS                      namespace with lo up
#   testbed_veth NS_A IF_A ADDR_A/LEN NS_B IF_B ADDR_B/LEN
#                                          a veth pair between two
#                                          namespaces, up, addressed (an
#                                          address "-" leaves that end bare)
#   testbed_subnet NS_SCAN NS_TARGET PREFIX VIA
#                                          NS_TARGET answers every address
#                                          of PREFIX; NS_SCAN routes it via
#                                          VIA (the target's link address)
#   testbed_filter NS "PAIRS" [RULES_FILE] drop pure SYNs to ADDR:PORT pairs
#   testbed_limit_answers NS RATE [BURST [SYNACK_RATE]]
#                                          NS sends at most RATE RSTs per
#                                          second (BURST, default 5, above
#                                          it), dropping the rest, as
#                                          FreeBSD's RST limit does; also
#                                          at most SYNACK_RATE SYN-ACKs/s
#                                          if given.  The truth is
#                                          unchanged: a closed port stays
#                                          closed, a scanner must retry
#   testbed_truth OPEN_FILE FILT_FILE "HOSTS" "PORTS"
#                                          ground truth, sorted rows
#   testbed_nmap_rows XML                  nmap -oX -> sorted rows
#   testbed_sort [FILE...]                 the one sort order of rows
# HOSTS are addresses, A.B.C.X-Y last-octet ranges or A.B.C.D/LEN IPv4
# prefixes, blank-separated; PORTS are "1-2000" or "22,80,100-200".  The
# pair files hold one ADDR:PORT per line, as given to the listeners and to
# testbed_filter.
#
# Addresses: tests and benchmarks use loopback and 198.18.0.0/15 only
# (RFC 2544 benchmarking space), inside namespaces they create.

TESTBED_NFT_TABLE=testbed

testbed_ns_add()
{
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
}

# The interface names are per namespace, so two testbeds never collide.
testbed_veth()
{
	local ns_a=$1 if_a=$2 addr_a=$3 ns_b=$4 if_b=$5 addr_b=$6
	ip -n "$ns_a" link add "$if_a" type veth peer name "$if_b" \
		netns "$ns_b" || return 1
	if [ "$addr_a" != - ]; then
		ip -n "$ns_a" addr add "$addr_a" dev "$if_a" || return 1
	fi
	if [ "$addr_b" != - ]; then
		ip -n "$ns_b" addr add "$addr_b" dev "$if_b" || return 1
	fi
	ip -n "$ns_a" link set "$if_a" up &&
		ip -n "$ns_b" link set "$if_b" up
}

# A local route makes the whole prefix the target's own without one
# address entry per host, so a /16 costs nothing to set up.
testbed_subnet()
{
	local ns_s=$1 ns_t=$2 prefix=$3 via=$4
	ip -n "$ns_t" route add local "$prefix" dev lo &&
		ip -n "$ns_s" route add "$prefix" via "$via"
}

# testbed_filter NS "PAIRS" [RULES_FILE]: drop connection SYNs (SYN
# without ACK) to each ADDR:PORT.  ADDR is an address or a prefix
# ([V6]:PORT for IPv6); PORT is N, A-B or * (every port).  Only pure SYNs
# are dropped so that a scanner's later segments (ACK, RST) are never hit.
# The rules are written to RULES_FILE (a temporary file if none) and loaded
# in one nft transaction.
testbed_filter()
{
	local ns=$1 pairs=$2 rules=${3:-} tmp='' pair addr port fam dport rc
	if [ -z "$rules" ]; then
		tmp=$(mktemp /tmp/testbed-nft.XXXXXX) || return 1
		rules=$tmp
	fi
	# "add" is idempotent: a second call (or testbed_limit_answers
	# first) finds the table and chain in place.
	cat >"$rules" <<-EOF
		add table inet $TESTBED_NFT_TABLE
		add chain inet $TESTBED_NFT_TABLE input { type filter hook input priority -10; policy accept; }
	EOF
	for pair in $pairs; do
		case $pair in
		\[*\]:*)
			addr=${pair%]:*}
			addr=${addr#[}
			port=${pair##*]:}
			fam=ip6
			;;
		*:*)
			addr=${pair%:*}
			port=${pair##*:}
			fam=ip
			;;
		*)
			echo "testbed_filter: bad pair $pair" >&2
			[ -n "$tmp" ] && rm -f "$tmp"
			return 1
			;;
		esac
		if [ "$port" = '*' ]; then
			dport=
		else
			dport="tcp dport $port"
		fi
		printf 'add rule inet %s input %s daddr %s %s tcp flags & (syn | ack) == syn drop\n' \
			"$TESTBED_NFT_TABLE" "$fam" "$addr" "$dport" >>"$rules"
	done
	rc=0
	ip netns exec "$ns" nft -f "$rules" || rc=$?
	[ -n "$tmp" ] && rm -f "$tmp"
	return $rc
}

# testbed_limit_answers NS RATE [BURST [SYNACK_RATE]]: NS rate-limits its
# own answers in an output chain - resets (RST, with or without ACK) above
# RATE per second, and with SYNACK_RATE also SYN-ACKs above that rate, are
# dropped (nft "limit rate over", one token bucket per rule, BURST packets
# deep; default 5, nft's own).  That is what a FreeBSD host does with
# net.inet.icmp.icmplim (RSTs to closed ports share the 200/s default
# limit) and what a rate-limiting firewall in front of a host does: a
# scanner that sends faster than the target answers sees silence for
# ports that are in truth closed (or open), and only retries at a pace the
# target keeps up with get the truth.  Nothing else changes: testbed_truth
# still says closed.  RATE and SYNACK_RATE are whole numbers; "-" for
# SYNACK_RATE is the same as leaving it out.
testbed_limit_answers()
{
	local ns=$1 rate=$2 burst=${3:-5} synack=${4:--} rules rc
	case $rate$burst${synack#-} in
	'' | *[!0-9]*)
		echo "testbed_limit_answers: rates and burst are whole numbers" >&2
		return 1
		;;
	esac
	rules=$(mktemp /tmp/testbed-nft.XXXXXX) || return 1
	{
		echo "add table inet $TESTBED_NFT_TABLE"
		echo "add chain inet $TESTBED_NFT_TABLE output { type filter hook output priority -10; policy accept; }"
		echo "add rule inet $TESTBED_NFT_TABLE output tcp flags & rst == rst limit rate over $rate/second burst $burst packets drop"
		if [ "$synack" != - ]; then
			echo "add rule inet $TESTBED_NFT_TABLE output tcp flags & (syn | ack) == (syn | ack) limit rate over $synack/second burst $burst packets drop"
		fi
	} >"$rules"
	rc=0
	ip netns exec "$ns" nft -f "$rules" || rc=$?
	rm -f "$rules"
	return $rc
}

# Sort "host,port,..." rows the one way every comparison uses.
testbed_sort()
{
	LC_ALL=C sort -t, -k1,1 -k2,2n "$@"
}

# testbed_truth OPEN_FILE FILT_FILE "HOSTS" "PORTS": the state of every
# host x port, as sorted unique "host,port,state" rows.
testbed_truth()
{
	local openf=$1 filtf=$2 hosts=$3 ports=$4
	awk -v hosts="$hosts" -v ports="$ports" \
		-v openf="$openf" -v filtf="$filtf" '
	function split_pair(pair, out,   a, p) {
		if (substr(pair, 1, 1) == "[") {
			a = pair; sub(/^\[/, "", a); sub(/\]:.*$/, "", a)
			p = pair; sub(/^.*\]:/, "", p)
		} else {
			a = pair; sub(/:[^:]*$/, "", a)
			p = pair; sub(/^.*:/, "", p)
		}
		out["a"] = a; out["p"] = p
	}
	function ip4(s,   o) {
		split(s, o, ".")
		return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
	}
	BEGIN {
		while ((getline line < openf) > 0) {
			if (line == "") continue
			split_pair(line, P)
			if (P["a"] == "0.0.0.0") open4[P["p"]] = 1
			else if (P["a"] == "::") open6[P["p"]] = 1
			else open[P["a"] "," P["p"]] = 1
		}
		nc = 0
		while ((getline line < filtf) > 0) {
			if (line == "") continue
			split_pair(line, P)
			if (P["p"] == "*") { plo = 1; phi = 65535 }
			else {
				n = split(P["p"], r, "-")
				plo = r[1] + 0; phi = (n > 1 ? r[2] : r[1]) + 0
			}
			if (P["a"] ~ /\//) {
				# A prefix: kept as (network, size, ports).
				split(P["a"], c, "/")
				sz = 2 ^ (32 - c[2])
				nc++
				cnet[nc] = int(ip4(c[1]) / sz); csz[nc] = sz
				clo[nc] = plo; chi[nc] = phi
			} else if (P["p"] == "*") {
				fall[P["a"]] = 1
			} else {
				for (q = plo; q <= phi; q++) filt[P["a"] "," q] = 1
			}
		}
		nh = 0
		n = split(hosts, H, /[ \t\n]+/)
		for (i = 1; i <= n; i++) {
			h = H[i]
			if (h == "") continue
			if (h ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$/) {
				pre = h; sub(/\.[0-9]+-[0-9]+$/, "", pre)
				rg = h; sub(/^.*\./, "", rg)
				split(rg, r, "-")
				for (o = r[1] + 0; o <= r[2] + 0; o++)
					hl[++nh] = pre "." o
			} else if (h ~ /^[0-9.]+\/[0-9]+$/) {
				split(h, c, "/")
				sz = 2 ^ (32 - c[2])
				base = int(ip4(c[1]) / sz) * sz
				for (v = base; v < base + sz; v++)
					hl[++nh] = sprintf("%d.%d.%d.%d",
						int(v / 16777216), int(v / 65536) % 256,
						int(v / 256) % 256, v % 256)
			} else {
				hl[++nh] = h
			}
		}
		np = 0
		n = split(ports, S, ",")
		for (i = 1; i <= n; i++) {
			m = split(S[i], r, "-")
			lo = r[1] + 0; hi = (m > 1 ? r[2] : r[1]) + 0
			for (q = lo; q <= hi; q++) pl[++np] = q
		}
		for (i = 1; i <= nh; i++) {
			h = hl[i]; v6 = index(h, ":") > 0
			hv = (v6 || !nc) ? -1 : ip4(h)
			for (j = 1; j <= np; j++) {
				p = pl[j]; k = h "," p
				inc = 0
				for (c2 = 1; hv >= 0 && c2 <= nc && !inc; c2++)
					inc = (int(hv / csz[c2]) == cnet[c2] &&
						p >= clo[c2] && p <= chi[c2])
				if (inc || (k in filt) || (h in fall)) st = "filtered"
				else if ((k in open) || (!v6 && (p in open4)) || \
					 (v6 && (p in open6))) st = "open"
				else st = "closed"
				print k "," st
			}
		}
	}' | testbed_sort -u
}

# testbed_nmap_rows XML: nmap -oX output -> sorted "host,port,state" for
# every port, the collapsed "extraports" ones included (nmap lists them in
# extrareasons' ports attribute).
testbed_nmap_rows()
{
	awk '
	function emit(list, st,   n, S, i, m, r, q) {
		n = split(list, S, ",")
		for (i = 1; i <= n; i++) {
			m = split(S[i], r, "-")
			for (q = r[1] + 0; q <= (m > 1 ? r[2] : r[1]) + 0; q++)
				print host "," q "," st
		}
	}
	function attr(s, name,   v) {
		if (!match(s, name "=\"[^\"]*\"")) return ""
		v = substr(s, RSTART + length(name) + 2, RLENGTH - length(name) - 3)
		return v
	}
	/<address addr=/ && /addrtype="ipv[46]"/ { host = attr($0, "addr") }
	/<extraports / { xst = attr($0, "state") }
	/<extrareasons / { emit(attr($0, "ports"), xst) }
	/<port protocol="(tcp|udp)"/ {
		p = attr($0, "portid")
		s = $0; sub(/^.*<state /, "", s)
		print host "," p "," attr(s, "state")
	}' "$1" | testbed_sort
}
