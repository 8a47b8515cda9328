# shellcheck shell=bash
#
# lib.sh - the integration testbed: network namespaces with known listeners
# and firewall drops, and the ground truth that follows from them.
#
# A test sources this file, calls tb_init, builds one or more namespaces
# (tb_netns), puts TCP listeners (tb_listen) and SYN drops (tb_filter) in
# them, and compares what ringscan reports against tb_truth, which derives
# every (host, port, state) from the same lists the testbed was built from:
# a port is filtered if its SYNs are dropped, else open if something listens
# on it (0.0.0.0 covers every 127.x address, [::] covers ::1), else closed.
# Nothing here touches the host's own network namespace: every listener,
# rule and scan runs inside namespaces named rstest-$$-NAME, and tb_init's
# trap kills every process started and deletes every namespace on any exit
# (success, failure, SIGINT, SIGTERM).  run.sh also sweeps namespaces whose
# owner died without cleaning up (SIGKILL).
#
# Conventions: a test exits 0 on pass, 77 on skip (tb_skip prints why) and 1
# on failure (tb_fail prints what differed).  Every scanner run goes through
# tb_rs, which bounds it with `timeout` so that a hung scanner fails the test
# rather than the whole suite.  TB_KEEP=1 keeps the scratch directory.
#
# Environment: RINGSCAN (the binary under test) and HELPERS (the directory
# holding the compiled tests/helpers/*), both set by tests/run.sh.

TB_CSV_HEADER='host,port,proto,state,service,reason,rtt_ms'

tb_log()
{
	printf '%s\n' "$*"
}

tb_skip()
{
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

tb_fail()
{
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# Kill what we started, then anything left inside our namespaces, then the
# namespaces themselves.  Runs from the EXIT trap, so it must not fail.
tb_cleanup()
{
	local pid ns alive

	set +e
	for pid in $TB_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		alive=
		for pid in $TB_PIDS; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for pid in $TB_PIDS; do
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in $TB_NSLIST; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null
	done
	TB_PIDS=
	TB_NSLIST=
	if [ -n "${TB_TMP:-}" ] && [ -z "${TB_KEEP:-}" ]; then
		rm -rf "$TB_TMP"
	elif [ -n "${TB_TMP:-}" ]; then
		printf 'kept %s\n' "$TB_TMP"
	fi
}

tb_init()
{
	set -eu
	TB_PIDS=
	TB_NSLIST=
	TB_TMP=
	TB_PREFIX="rstest-$$-"
	# shellcheck disable=SC2154 # tb_rc is assigned inside the trap
	trap 'tb_rc=$?; trap - EXIT INT TERM; tb_cleanup; exit $tb_rc' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	[ "$(id -u)" = 0 ] || tb_skip "network namespaces need root"
	local tool
	for tool in ip nft ss timeout; do
		command -v "$tool" >/dev/null 2>&1 ||
			tb_skip "$tool not installed (scripts/install-deps.sh)"
	done
	[ -n "${RINGSCAN:-}" ] || tb_fail "RINGSCAN is not set (run via tests/run.sh)"
	[ -x "$RINGSCAN" ] || tb_fail "scanner binary $RINGSCAN missing"
	[ -n "${HELPERS:-}" ] || tb_fail "HELPERS is not set (run via tests/run.sh)"
	[ -x "$HELPERS/listen" ] || tb_fail "helper $HELPERS/listen missing"
	TB_TMP=$(mktemp -d "/tmp/rstest-$$.XXXXXX")
}

tb_nsname()
{
	printf '%s%s' "$TB_PREFIX" "$1"
}

# tb_netns NAME: a fresh namespace with lo up.
tb_netns()
{
	local ns
	ns=$(tb_nsname "$1")
	# No namespaces (a container without CAP_SYS_ADMIN, say) is a missing
	# feature, not a failure of the scanner.
	ip netns add "$ns" || tb_skip "cannot create network namespace $ns"
	TB_NSLIST="$TB_NSLIST $ns"
	ip -n "$ns" link set lo up || tb_fail "cannot bring lo up in $ns"
	: >"$TB_TMP/$1.open"
	: >"$TB_TMP/$1.filtered"
}

# tb_run NS CMD...: run CMD inside namespace NS.
tb_run()
{
	local ns
	ns=$(tb_nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# tb_bg NS CMD...: start CMD in NS in the background; its pid is in
# TB_LASTPID and is killed on exit.
tb_bg()
{
	local ns
	ns=$(tb_nsname "$1")
	shift
	ip netns exec "$ns" "$@" &
	TB_LASTPID=$!
	TB_PIDS="$TB_PIDS $TB_LASTPID"
}

# tb_rs NS ARGS...: run the scanner in NS, bounded by TB_RS_TIMEOUT seconds
# (default 60).  Returns the scanner's status; 124 means it hung.
tb_rs()
{
	local ns
	ns=$(tb_nsname "$1")
	shift
	timeout -k 2 "${TB_RS_TIMEOUT:-60}" ip netns exec "$ns" "$RINGSCAN" "$@"
}

# tb_listen NS "ADDR:PORT ...": TCP listeners on every pair, ready on return.
tb_listen()
{
	local name=$1 pairs=$2 out pid
	out="$TB_TMP/listen.$RANDOM$RANDOM.out"
	# shellcheck disable=SC2086 # pairs are meant to split
	tb_bg "$name" "$HELPERS/listen" $pairs >"$out" 2>&1
	pid=$TB_LASTPID
	for _ in $(seq 1 100); do
		grep -qx ready "$out" && break
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$out"
			tb_fail "listener in $name died before ready"
		fi
		sleep 0.05
	done
	grep -qx ready "$out" || tb_fail "listener in $name not ready after 5 s"
	# shellcheck disable=SC2086 # one pair per line
	printf '%s\n' $pairs >>"$TB_TMP/$name.open"
}

# tb_filter NS "ADDR:PORT ...": drop connection SYNs (SYN without ACK) to
# each pair.  PORT may be N, A-B or * (every port); [V6]:PORT for IPv6.
# Only pure SYNs are dropped so that a scanner's replies are never hit.
tb_filter()
{
	local name=$1 pairs=$2 ns rules pair addr port fam dport
	ns=$(tb_nsname "$name")
	rules="$TB_TMP/$name.nft"
	if ! tb_run "$name" nft list table inet rstest >/dev/null 2>&1; then
		cat >"$rules" <<-'EOF'
			add table inet rstest
			add chain inet rstest input { type filter hook input priority -10; policy accept; }
		EOF
	else
		: >"$rules"
	fi
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
		*) tb_fail "tb_filter: bad pair $pair" ;;
		esac
		if [ "$port" = '*' ]; then
			dport=
		else
			dport="tcp dport $port"
		fi
		printf 'add rule inet rstest input %s daddr %s %s tcp flags & (syn | ack) == syn drop\n' \
			"$fam" "$addr" "$dport" >>"$rules"
	done
	tb_run "$name" nft -f "$rules" || tb_fail "nft rules in $ns failed"
	# shellcheck disable=SC2086 # one pair per line
	printf '%s\n' $pairs >>"$TB_TMP/$name.filtered"
}

# Sort (host,port,...) rows the one way every comparison here uses.
tb_sort()
{
	LC_ALL=C sort -t, -k1,1 -k2,2n "$@"
}

# tb_truth NS "HOSTS" "PORTS": print the ground truth "host,port,state" for
# every host x port, sorted.  HOSTS: addresses, or A.B.C.X-Y last-octet
# ranges; PORTS: "1-2000" or "22,80,100-200".
tb_truth()
{
	local name=$1 hosts=$2 ports=$3
	awk -v hosts="$hosts" -v ports="$ports" \
		-v openf="$TB_TMP/$name.open" -v filtf="$TB_TMP/$name.filtered" '
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
	BEGIN {
		while ((getline line < openf) > 0) {
			if (line == "") continue
			split_pair(line, P)
			if (P["a"] == "0.0.0.0") open4[P["p"]] = 1
			else if (P["a"] == "::") open6[P["p"]] = 1
			else open[P["a"] "," P["p"]] = 1
		}
		while ((getline line < filtf) > 0) {
			if (line == "") continue
			split_pair(line, P)
			if (P["p"] == "*") { fall[P["a"]] = 1; continue }
			n = split(P["p"], r, "-")
			lo = r[1] + 0; hi = (n > 1 ? r[2] : r[1]) + 0
			for (q = lo; q <= hi; q++) filt[P["a"] "," q] = 1
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
			for (j = 1; j <= np; j++) {
				p = pl[j]; k = h "," p
				if ((k in filt) || (h in fall)) st = "filtered"
				else if ((k in open) || (!v6 && (p in open4)) || \
					 (v6 && (p in open6))) st = "open"
				else st = "closed"
				print k "," st
			}
		}
	}' | tb_sort -u
}

# tb_csv_rows CSV: ringscan CSV -> sorted "host,port,state"; fails on a
# wrong header or a non-tcp row.
tb_csv_rows()
{
	local csv=$1 head
	[ -f "$csv" ] || tb_fail "no CSV written at $csv"
	head=$(head -n 1 "$csv")
	[ "$head" = "$TB_CSV_HEADER" ] ||
		tb_fail "CSV header is '$head', want '$TB_CSV_HEADER'"
	awk -F, 'NR > 1 {
		if ($3 != "tcp") { print "bad proto in: " $0; exit 1 }
		print $1 "," $2 "," $4
	}' "$csv" >"$TB_TMP/rows.tmp" || tb_fail "$(cat "$TB_TMP/rows.tmp")"
	tb_sort "$TB_TMP/rows.tmp"
}

# tb_nmap_rows XML: nmap -oX output -> sorted "host,port,state" for every
# port, the collapsed "extraports" ones included (nmap lists them in
# extrareasons' ports attribute).
tb_nmap_rows()
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
	/<port protocol="tcp"/ {
		p = attr($0, "portid")
		s = $0; sub(/^.*<state /, "", s)
		print host "," p "," attr(s, "state")
	}' "$1" | tb_sort
}

# tb_diff WANT GOT: compare two sorted "host,port,state" files; print a
# per-port account of every difference (at most 40 lines) and fail.
tb_diff()
{
	local want=$1 got=$2 what=${3:-rows}
	if cmp -s "$want" "$got"; then
		tb_log "  ok: $(wc -l <"$got") $what match"
		return 0
	fi
	tb_log "  MISMATCH ($what): want $(wc -l <"$want") rows, got $(wc -l <"$got")"
	awk -F, '
	FNR == NR { want[$1 "," $2] = $3; next }
	{
		k = $1 "," $2
		if (k in seen) { print "  " k ": reported twice (" seen[k] ", " $3 ")"; next }
		seen[k] = $3
		if (!(k in want)) print "  " k ": not in truth, got " $3
		else if (want[k] != $3) print "  " k ": want " want[k] ", got " $3
	}
	END {
		for (k in want) if (!(k in seen)) print "  " k ": missing, want " want[k]
	}' "$want" "$got" | LC_ALL=C sort -t, -k1,1 -k2,2n | head -n 40
	return 1
}

# tb_compare TRUTH CSV [STATES]: ringscan's CSV against the truth, keeping
# only the truth rows whose state is in the comma list STATES (default all).
tb_compare()
{
	local truth=$1 csv=$2 states=${3:-open,closed,filtered}
	local want="$TB_TMP/want.$RANDOM" got="$TB_TMP/got.$RANDOM"
	awk -F, -v states="$states" '
	BEGIN { n = split(states, S, ","); for (i = 1; i <= n; i++) ok[S[i]] = 1 }
	($3 in ok)' "$truth" >"$want"
	tb_csv_rows "$csv" >"$got"
	tb_diff "$want" "$got" "($states) rows"
}

# tb_count_tw NS: TIME_WAIT sockets in NS.
tb_count_tw()
{
	tb_run "$1" ss -Htan state time-wait | wc -l
}

# tb_standard_bed NS: the shared testbed of t_states and t_nmap_agree.
# Listeners on a spread of (127.0.0.1-8, port) pairs within 1-2000, one on
# 0.0.0.0 (open on every host) and one on ::1 (open on none of them); SYN
# drops on a few pairs, two of them over listeners (filtered wins).  Sets
# TB_STD_HOSTS and TB_STD_PORTS for tb_truth and the scan command line.
# shellcheck disable=SC2034 # used by the tests that source this file
tb_standard_bed()
{
	TB_STD_HOSTS="127.0.0.1-8"
	TB_STD_PORTS="1-2000"
	tb_netns "$1"
	tb_listen "$1" "127.0.0.1:22 127.0.0.1:80 127.0.0.1:443 \
		127.0.0.2:1500 127.0.0.2:1501 127.0.0.3:25 127.0.0.3:1999 \
		127.0.0.4:1 127.0.0.5:2000 127.0.0.6:993 127.0.0.7:110 \
		127.0.0.8:53 127.0.0.8:1024 0.0.0.0:631 [::1]:23"
	tb_filter "$1" "127.0.0.1:81 127.0.0.2:1500 127.0.0.4:3 \
		127.0.0.6:100-104 127.0.0.7:631 127.0.0.5:1"
}
