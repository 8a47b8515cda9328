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
#
# The topology helpers, the SYN-drop rules, the ground truth and the nmap
# parser live in tests/integration/testbed.sh, shared with the benchmarks (bench/wan.sh)
# so that tests and benchmarks judge scanners by one truth; the tb_*
# functions here add the namespace naming, the traps and tb_fail.

# shellcheck source=testbed.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testbed.sh"

TB_CSV_HEADER='host,port,proto,state,service,reason,rtt_ms,hostname'

tb_log()
{
	printf '%s\n' "$*"
}

# tb_note TEXT: this test passes with less coverage than it was written
# for (an engine variant missing here, ...): run.sh shows the note.
tb_note()
{
	printf 'NOTE: %s\n' "$*" >&2
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
# each pair.  ADDR may be an address or a prefix ([V6]:PORT for IPv6); PORT
# may be N, A-B or * (every port).  See testbed_filter.
tb_filter()
{
	local name=$1 pairs=$2
	testbed_filter "$(tb_nsname "$name")" "$pairs" "$TB_TMP/$name.nft" ||
		tb_fail "nft rules in $(tb_nsname "$name") failed"
	# shellcheck disable=SC2086 # one pair per line
	printf '%s\n' $pairs >>"$TB_TMP/$name.filtered"
}

# tb_limit_answers NS RATE [BURST [SYNACK_RATE]]: NS sends at most RATE
# RSTs per second (and SYNACK_RATE SYN-ACKs per second), dropping the rest
# in an nft output chain, like a FreeBSD host's RST limit.  The truth does
# not change: a scanner must retry until it has every answer.  See
# testbed_limit_answers.
tb_limit_answers()
{
	local name=$1
	shift
	testbed_limit_answers "$(tb_nsname "$name")" "$@" ||
		tb_fail "nft answer limit in $(tb_nsname "$name") failed"
}

# tb_veth NS_A NS_B: join two namespaces by a veth pair, NS_A 198.18.0.1/24
# on "veth-NS_B", NS_B 198.18.0.2/24 on "veth-NS_A" (names cut to 15
# characters).  One pair per test: the addresses are fixed.
tb_veth()
{
	local a=$1 b=$2
	testbed_veth "$(tb_nsname "$a")" "$(printf 'v-%.13s' "$b")" 198.18.0.1/24 \
		"$(tb_nsname "$b")" "$(printf 'v-%.13s' "$a")" 198.18.0.2/24 ||
		tb_fail "cannot join $a and $b by veth"
}

# tb_subnet SCAN_NS TARGET_NS PREFIX: TARGET_NS (198.18.0.2 after tb_veth)
# answers every address of PREFIX; SCAN_NS routes PREFIX to it.  Listeners
# on 0.0.0.0 in TARGET_NS are then open on every address of PREFIX.
tb_subnet()
{
	testbed_subnet "$(tb_nsname "$1")" "$(tb_nsname "$2")" "$3" 198.18.0.2 ||
		tb_fail "cannot route $3 from $1 to $2"
}

# Sort (host,port,...) rows the one way every comparison here uses.
tb_sort()
{
	testbed_sort "$@"
}

# tb_truth NS "HOSTS" "PORTS": print the ground truth "host,port,state" for
# every host x port of NS, sorted.  HOSTS: addresses, A.B.C.X-Y last-octet
# ranges or A.B.C.D/LEN prefixes; PORTS: "1-2000" or "22,80,100-200".
tb_truth()
{
	testbed_truth "$TB_TMP/$1.open" "$TB_TMP/$1.filtered" "$2" "$3"
}

# tb_csv_rows CSV: ringscan CSV -> sorted "host,port,state"; fails on a
# wrong header or a non-tcp row.
# tb_rows CSV: its data rows so far (0 if it does not exist yet).
tb_rows()
{
	local n=1
	[ -f "$1" ] && n=$(wc -l <"$1")
	[ "$n" -gt 0 ] || n=1
	echo $((n - 1))
}

# tb_wait_rows CSV N PID [LOG]: wait until a running scan (PID) has
# written N rows to CSV - the event tests synchronise on, instead of a
# sleep.  Returns early if PID is gone; fails after 60 s, showing the end of
# LOG (the scan's output) if given.  The bound is loose on purpose: on a
# CPU-starved machine loopback answers really do come late (softirqs wait
# for the CPU too), the pacing backs off as it would on a slow path and a
# scan that takes 1.4 s alone was seen taking 25-40 s, still exact.  (Rows reach the file in whole pages,
# so the last few finished ones may still be buffered.)
tb_wait_rows()
{
	local _
	for _ in $(seq 1 1200); do
		[ "$(tb_rows "$1")" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 0
		sleep 0.05
	done
	[ -z "${4:-}" ] || tail -n 20 "$4" >&2
	tb_fail "no $2 rows in $1 after 60 s"
}

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

# tb_nmap_rows XML: nmap -oX output -> sorted "host,port,state" rows for
# every port (testbed_nmap_rows).
tb_nmap_rows()
{
	testbed_nmap_rows "$1"
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
