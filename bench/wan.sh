#!/bin/bash
# bench/wan.sh - namespace testbeds for the benchmarks: an emulated WAN, a
# plain veth link, and a private loopback.
#
# WAN mode (wan_up DELAY_MS JITTER_MS LOSS_PCT [RATE_MBIT [PPS [QUEUE]]])
# builds three network namespaces named rsbench-<pid>-{S,M,T}:
#
#   S: s0 198.18.0.1/24 --veth-- M: wa [wanem] wb --veth-- T: t0 198.18.0.2/24
#
# The middle namespace has no addresses; bench/wanem (built here on demand)
# forwards every frame between wa and wb with the delay, jitter, loss and
# rate given (this kernel has no netem).  RATE_MBIT and/or PPS (frames per
# second) make each direction a bottleneck link with a QUEUE-frame
# tail-drop buffer in front of the delay (wanem --rate, --pps, --queue);
# "" or "-" leaves one out, and WAN_PPS / WAN_QUEUE (env) stand in for
# missing arguments.  Veth mode (wan_up_veth) joins S and
# T with one veth pair, for comparison.  Loopback mode (wan_up_lo) is one
# namespace with only lo, scanner and target both 127.0.0.1.
#
# The topology, the SYN drops and the ground truth come from
# tests/integration/testbed.sh, which the integration tests (tests/integration/lib.sh)
# use too: the benchmark scores every scanner against the same truth the
# tests hold ringscan to.
#
# Source it and call:
#   wan_up D J L [R [PPS [Q]]] | wan_up_veth | wan_up_lo
#                           build (one at a time)
#   wan_exec_scanner CMD...  wan_exec_target CMD... run inside S / T
#   wan_listen [ADDR:]PORT... listeners in T (ADDR defaults to the target
#                           address; 0.0.0.0 covers every subnet address)
#   wan_filter [ADDR:]PORT... drop pure SYNs in T (filtered); ADDR may be a
#                           prefix, PORT a range or *
#   wan_subnet PREFIX       T answers every address of PREFIX (a local
#                           route), S routes it to T (not in lo mode)
#   wan_limit_answers RATE [BURST [SYNACK_RATE]]
#                           T sends at most RATE RSTs/s (and SYNACK_RATE
#                           SYN-ACKs/s), dropping the rest (nft, see
#                           testbed_limit_answers); the truth is unchanged
#   wan_truth HOSTS PORTS   ground truth rows host,port,state (sorted)
#   wan_count_start syn|reply   count SYNs arriving in T / answers arriving
#                           in S (bench/syncount); wan_count_stop MODE
#                           stops it and sets WAN_COUNT_LINE to its line
#   wan_wanem_counters      "lost N dropped N tail_drops N overrun N" so far
#                           (WAN mode; see the function)
#   wan_target_drops        SYNs dropped by full listen queues in T so far
#   wan_target_mac          MAC of the target's interface (the "router" for
#                           raw-socket scanners: wanem is transparent)
#   wan_build_tool NAME     build bench/NAME.c into BUILD/bench/NAME
#   wan_down                tear down (idempotent); with WAN_STATS_FILE set,
#                           wanem's counters are appended there
#   wan_atexit CMD          run CMD on exit, after the teardown
# wan_up* install traps on EXIT, INT and TERM that tear everything down, so
# a script that sources this should not set its own (use wan_atexit).
# Variables after wan_up*: WAN_SCANNER_IP, WAN_TARGET_IP, WAN_MODE, WAN_TMP,
# WAN_IF_S / WAN_IF_T (the scanner's and the target's interface).
# WAN_SEED (env) seeds wanem's loss and jitter; WAN_FIFO (env) runs wanem
# at that SCHED_FIFO priority (e.g. 10: the emulated network then does not
# wait for a CPU behind the scanner; see wanem.c); WAN_WANEM_ARGS (env)
# adds options (--queue N, --reorder, --store-frames N); WANEM (env) runs
# another wanem binary.
#
# Run directly: bench/wan.sh selftest [DELAY JITTER LOSS] checks the WAN
# (RTT, loss, rate, the --pps bottleneck and its queue, a bulk TCP
# transfer, an nmap scan) and the veth mode.
#
# Listeners: BUILD/helpers/listen (tests/helpers/listen.c, built on demand
# if only the source exists); a python3 stand-in until that exists.
# Addresses are in 198.18.0.0/15 (RFC 2544 benchmarking) only.

WAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/integration/testbed.sh
. "$WAN_ROOT/tests/integration/testbed.sh"
WAN_PREFIX="rsbench-$$-"
WAN_NS_S="${WAN_PREFIX}S"
WAN_NS_M="${WAN_PREFIX}M"
WAN_NS_T="${WAN_PREFIX}T"
WAN_NET_SCANNER=198.18.0.1
WAN_NET_TARGET=198.18.0.2
WAN_MODE=
WAN_TMP=
WAN_SCANNER_IP=
WAN_TARGET_IP=
WAN_WANEM_PID=
WAN_IF_S=s0
WAN_IF_T=t0
declare -A WAN_COUNT_PID=()
WAN_PIDS=()
WAN_NAMESPACES=()
WAN_ATEXIT=()
WAN_TRAPS_SET=
export WAN_SCANNER_IP WAN_TARGET_IP

wan__log() { echo "wan: $*" >&2; }

# Absolute build directory: $BUILD (relative to the repo) or build.
wan__build_dir() {
	local b=${BUILD:-build}
	case $b in /*) echo "$b" ;; *) echo "$WAN_ROOT/$b" ;; esac
}

# -iquote as in the Makefile: include/ never hides a system header.
wan__flags() {
	echo "-std=gnu11 -D_GNU_SOURCE -iquote $WAN_ROOT/include -O2 -g -Wall" \
		"-Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes" \
		"-Wformat=2 -Wvla"
}

# wan_build_tool NAME: build bench/NAME.c into BUILD/bench/NAME unless it
# is up to date; prints the path.
wan_build_tool() {
	local name=$1 out src
	src="$WAN_ROOT/bench/$name.c"
	out="$(wan__build_dir)/bench/$name"
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		mkdir -p "$(dirname "$out")" || return 1
		# shellcheck disable=SC2046
		if ! ${CC:-cc} $(wan__flags) -o "$out.tmp.$$" "$src" -lm ||
			! mv -f "$out.tmp.$$" "$out"; then
			wan__log "cannot build $out"
			return 1
		fi
	fi
	echo "$out"
}

wan_build_wanem() { wan_build_tool wanem; }

# The listener command: the test helper if built or buildable, else python.
wan__listener() {
	local bin src="$WAN_ROOT/tests/helpers/listen.c"
	bin="$(wan__build_dir)/helpers/listen"
	if [ -x "$bin" ] && { [ ! -f "$src" ] || [ ! "$src" -nt "$bin" ]; }
	then
		echo "$bin"
		return 0
	fi
	if [ -f "$src" ]; then
		# shellcheck disable=SC2046
		if ${CC:-cc} $(wan__flags) -o "$WAN_TMP/listen" "$src" \
			2>"$WAN_TMP/listen.build.log"; then
			echo "$WAN_TMP/listen"
			return 0
		fi
		wan__log "tests/helpers/listen.c does not build; using python3"
	fi
	cat >"$WAN_TMP/listen.py" <<'EOF'
# Stand-in for tests/helpers/listen: listen ADDR:PORT..., accept and close.
import selectors, socket, sys
sel = selectors.DefaultSelector()
for arg in sys.argv[1:]:
    host, port = arg.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(4096)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            conn, _ = key.fileobj.accept()
            conn.close()
        except OSError:
            pass
EOF
	echo "python3 $WAN_TMP/listen.py"
}

# Wait until FILE has a line "ready" or PID died; TIMEOUT in tenths.
wan__wait_ready() {
	local file=$1 pid=$2 tenths=${3:-50} i
	for ((i = 0; i < tenths; i++)); do
		grep -qx ready "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -qx ready "$file" 2>/dev/null
}

wan__trap_install() {
	[ -n "$WAN_TRAPS_SET" ] && return 0
	trap 'wan__on_exit' EXIT
	trap 'wan__on_signal 130' INT
	trap 'wan__on_signal 143' TERM
	WAN_TRAPS_SET=1
}

wan__on_exit() {
	local c
	wan_down
	for c in "${WAN_ATEXIT[@]}"; do eval "$c"; done
	WAN_ATEXIT=()
}

wan__on_signal() {
	trap - INT TERM
	exit "$1" # runs the EXIT trap
}

wan_atexit() {
	wan__trap_install
	WAN_ATEXIT+=("$*")
}

wan__ns_add() {
	testbed_ns_add "$1" || { ip netns del "$1" 2>/dev/null; return 1; }
	WAN_NAMESPACES+=("$1")
}

wan__begin() {
	if [ -n "$WAN_MODE" ]; then
		wan__log "a testbed is already up ($WAN_MODE); wan_down first"
		return 1
	fi
	wan__trap_install
	WAN_TMP=$(mktemp -d "/tmp/${WAN_PREFIX}XXXXXX") || return 1
	: >"$WAN_TMP/open"
	: >"$WAN_TMP/filtered"
	WAN_MODE=$1
}

# wan_up DELAY_MS JITTER_MS LOSS_PCT [RATE_MBIT [PPS [QUEUE]]]: DELAY is
# one way (the RTT is twice it); RATE_MBIT and PPS give each direction a
# bottleneck (the slower of the two per frame), QUEUE frames its buffer.
wan_up() {
	local delay=$1 jitter=$2 loss=$3 rate=${4:-} pps=${5:-${WAN_PPS:-}}
	local queue=${6:-${WAN_QUEUE:-}} wanem
	local -a args
	if [ $# -lt 3 ]; then
		wan__log "usage: wan_up DELAY_MS JITTER_MS LOSS_PCT [RATE_MBIT [PPS [QUEUE]]]"
		return 1
	fi
	[ "$rate" = - ] && rate=
	[ "$pps" = - ] && pps=
	[ "$queue" = - ] && queue=
	wan__begin wan || return 1
	wanem=${WANEM:-}
	[ -n "$wanem" ] || wanem=$(wan_build_wanem) || { wan_down; return 1; }
	{
		wan__ns_add "$WAN_NS_S" && wan__ns_add "$WAN_NS_M" &&
			wan__ns_add "$WAN_NS_T" &&
			testbed_veth "$WAN_NS_S" s0 "$WAN_NET_SCANNER/24" \
				"$WAN_NS_M" wa - &&
			testbed_veth "$WAN_NS_T" t0 "$WAN_NET_TARGET/24" \
				"$WAN_NS_M" wb -
	} || { wan__log "namespace setup failed"; wan_down; return 1; }

	args=(-a wa -b wb --delay "$delay" --jitter "$jitter" --loss "$loss")
	[ -n "$rate" ] && args+=(--rate "$rate")
	[ -n "$pps" ] && args+=(--pps "$pps")
	[ -n "$queue" ] && args+=(--queue "$queue")
	[ -n "${WAN_SEED:-}" ] && args+=(--seed "$WAN_SEED")
	[ -n "${WAN_FIFO:-}" ] && args+=(--fifo "$WAN_FIFO")
	# shellcheck disable=SC2206
	[ -n "${WAN_WANEM_ARGS:-}" ] && args+=($WAN_WANEM_ARGS)
	ip netns exec "$WAN_NS_M" "$wanem" "${args[@]}" \
		>"$WAN_TMP/wanem.out" 2>"$WAN_TMP/wanem.err" &
	WAN_WANEM_PID=$!
	if ! wan__wait_ready "$WAN_TMP/wanem.out" "$WAN_WANEM_PID"; then
		wan__log "wanem did not start: $(cat "$WAN_TMP/wanem.err")"
		wan_down
		return 1
	fi
	WAN_SCANNER_IP=$WAN_NET_SCANNER
	WAN_TARGET_IP=$WAN_NET_TARGET
	wan__warm
}

# wan_up_veth: S and T joined by one veth pair, no emulation.
wan_up_veth() {
	wan__begin veth || return 1
	{
		wan__ns_add "$WAN_NS_S" && wan__ns_add "$WAN_NS_T" &&
			testbed_veth "$WAN_NS_S" s0 "$WAN_NET_SCANNER/24" \
				"$WAN_NS_T" t0 "$WAN_NET_TARGET/24"
	} || { wan__log "namespace setup failed"; wan_down; return 1; }
	WAN_SCANNER_IP=$WAN_NET_SCANNER
	WAN_TARGET_IP=$WAN_NET_TARGET
	wan__warm
}

# wan_up_lo: one private namespace; scanner and target share its loopback.
wan_up_lo() {
	wan__begin lo || return 1
	wan__ns_add "$WAN_NS_S" || { wan_down; return 1; }
	WAN_NS_T=$WAN_NS_S
	WAN_IF_S=lo
	WAN_IF_T=lo
	WAN_SCANNER_IP=127.0.0.1
	WAN_TARGET_IP=127.0.0.1
}

# Resolve the neighbour entry before anything is measured (a lost ARP
# costs the first probe a second otherwise).
wan__warm() {
	local i
	if ! command -v ping >/dev/null; then
		wan__log "ping is missing (apt-get install iputils-ping)"
		return 1
	fi
	for ((i = 0; i < 20; i++)); do
		ip netns exec "$WAN_NS_S" ping -c 1 -W 1 -q "$WAN_TARGET_IP" \
			>/dev/null 2>&1 && return 0
	done
	wan__log "target $WAN_TARGET_IP does not answer ping"
	return 1
}

wan_exec_scanner() { ip netns exec "$WAN_NS_S" "$@"; }
wan_exec_target() { ip netns exec "$WAN_NS_T" "$@"; }

# "[ADDR:]PORT" -> "ADDR:PORT" with the target address as default.
wan__pair() {
	case $1 in
	*:*) echo "$1" ;;
	*) echo "$WAN_TARGET_IP:$1" ;;
	esac
}

# wan_listen [ADDR:]PORT...: listeners in the target namespace.
wan_listen() {
	local cmd a pid out
	local -a pairs=()
	[ $# -gt 0 ] || return 0
	for a in "$@"; do pairs+=("$(wan__pair "$a")"); done
	cmd=$(wan__listener)
	out="$WAN_TMP/listen.${#WAN_PIDS[@]}.out"
	# shellcheck disable=SC2086
	ip netns exec "$WAN_NS_T" $cmd "${pairs[@]}" >"$out" 2>&1 &
	pid=$!
	WAN_PIDS+=("$pid")
	if ! wan__wait_ready "$out" "$pid"; then
		wan__log "listener did not start: $(cat "$out")"
		return 1
	fi
	printf '%s\n' "${pairs[@]}" >>"$WAN_TMP/open"
}

# wan_filter [ADDR:]PORT...: drop pure SYNs to those pairs in the target
# namespace (testbed_filter), so they are filtered.
wan_filter() {
	local a
	local -a pairs=()
	[ $# -gt 0 ] || return 0
	for a in "$@"; do pairs+=("$(wan__pair "$a")"); done
	testbed_filter "$WAN_NS_T" "${pairs[*]}" "$WAN_TMP/filter.nft" ||
		return 1
	printf '%s\n' "${pairs[@]}" >>"$WAN_TMP/filtered"
}

# wan_subnet PREFIX: the target namespace answers every address of PREFIX.
wan_subnet() {
	if [ "$WAN_MODE" = lo ]; then
		wan__log "wan_subnet: no subnets in lo mode (127.0.0.0/8 is local)"
		return 1
	fi
	testbed_subnet "$WAN_NS_S" "$WAN_NS_T" "$1" "$WAN_NET_TARGET"
}

# wan_limit_answers RATE [BURST [SYNACK_RATE]]: the target rate-limits its
# RSTs (and SYN-ACKs) in an nft output chain (testbed_limit_answers).
wan_limit_answers() {
	testbed_limit_answers "$WAN_NS_T" "$@"
}

# wan_truth "HOSTS" "PORTS": sorted ground-truth rows (testbed_truth).
wan_truth() {
	testbed_truth "$WAN_TMP/open" "$WAN_TMP/filtered" "$1" "$2"
}

wan_target_mac() {
	ip -n "$WAN_NS_T" -o link show "$WAN_IF_T" |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# wan_wanem_counters: wanem's cumulative counters (SIGUSR1), summed over
# both directions, as "lost N dropped N tail_drops N overrun N" where
# dropped = queue full + storage full + socket overruns (every frame that
# was not carried, apart from the loss asked for), tail_drops = the part of
# it that the emulated bottleneck's queue dropped (--pps/--rate with
# --queue: the network being emulated), and overrun = storage full +
# socket overruns (the emulator itself could not keep up).  Prints nothing
# outside WAN mode.
wan_wanem_counters() {
	local before i
	[ -n "$WAN_WANEM_PID" ] || return 0
	before=$(grep -c '^end$' "$WAN_TMP/wanem.out")
	kill -USR1 "$WAN_WANEM_PID" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c '^end$' "$WAN_TMP/wanem.out")" -gt "$before" ] && break
		sleep 0.02
	done
	awk '/^report$/ { l = 0; d = 0; t = 0; o = 0; next }
		/^end$/ { last = "lost " l " dropped " d " tail_drops " t \
			" overrun " o; next }
		{ for (i = 1; i < NF; i++) {
			if ($i == "lost") l += $(i + 1)
			if ($i == "dropped" || $i == "kernel_drops") d += $(i + 1)
			if ($i == "tail_drops") t += $(i + 1)
			if ($i == "store_full" || $i == "kernel_drops") o += $(i + 1)
		} }
		END { if (last != "") print last }' "$WAN_TMP/wanem.out"
}

# wan_target_drops: SYNs the target's kernel dropped so far because a
# listener's queue was full (TcpExtListenDrops, per namespace; nstat -as
# reads absolute values and leaves its history file alone).  A benchmark
# run during which this grows was partly measuring a starved listener.
wan_target_drops() {
	ip netns exec "$WAN_NS_T" nstat -asz TcpExtListenDrops 2>/dev/null |
		awk '$1 == "TcpExtListenDrops" { print $2 }'
}

# wan_count_start syn|reply: a syncount on the target's interface (syn:
# probes arriving) or the scanner's (reply: answers arriving).
wan_count_start() {
	local mode=$1 bin ns ifc pid out
	bin=$(wan_build_tool syncount) || return 1
	if [ "$mode" = syn ]; then
		ns=$WAN_NS_T
		ifc=$WAN_IF_T
	else
		ns=$WAN_NS_S
		ifc=$WAN_IF_S
	fi
	out="$WAN_TMP/count.$mode"
	ip netns exec "$ns" "$bin" -i "$ifc" -m "$mode" >"$out" 2>&1 &
	pid=$!
	WAN_COUNT_PID[$mode]=$pid
	WAN_PIDS+=("$pid")
	if ! wan__wait_ready "$out" "$pid"; then
		wan__log "syncount did not start: $(cat "$out")"
		return 1
	fi
}

# wan_count_stop syn|reply: stop that counter; its result line goes to
# WAN_COUNT_LINE (not printed: it must run in this shell, which alone can
# wait for the counter to write it).
wan_count_stop() {
	local mode=$1 pid=${WAN_COUNT_PID[$1]:-}
	WAN_COUNT_LINE=
	[ -n "$pid" ] || return 1
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "WAN_COUNT_PID[$mode]"
	# shellcheck disable=SC2034 # read by the caller
	WAN_COUNT_LINE=$(grep -v '^ready$' "$WAN_TMP/count.$mode")
}

wan_down() {
	local pid ns
	if [ -n "$WAN_WANEM_PID" ]; then
		kill -TERM "$WAN_WANEM_PID" 2>/dev/null
		wait "$WAN_WANEM_PID" 2>/dev/null
		if [ -n "${WAN_STATS_FILE:-}" ] && [ -f "$WAN_TMP/wanem.out" ]
		then
			awk '/^(ready|report)$/ { next } /^end$/ { skip = 0; next }
				{ line[++n] = $0 }
				END { if (n >= 2) print line[n - 1] "\n" line[n] }' \
				"$WAN_TMP/wanem.out" >>"$WAN_STATS_FILE"
		fi
		WAN_WANEM_PID=
	fi
	for pid in "${WAN_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	WAN_PIDS=()
	for ns in "${WAN_NAMESPACES[@]}"; do
		# Anything still running in it would keep its sockets alive.
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	WAN_NAMESPACES=()
	WAN_COUNT_PID=()
	WAN_NS_T="${WAN_PREFIX}T"
	WAN_IF_S=s0
	WAN_IF_T=t0
	[ -n "$WAN_TMP" ] && rm -rf "$WAN_TMP"
	WAN_TMP=
	WAN_MODE=
	WAN_SCANNER_IP=
	WAN_TARGET_IP=
}

# ---- self test (bench/wan.sh selftest) ---------------------------------

wan__selftest_nmap() {
	# Open ports and filtered ports as nmap sees them, "open:P" lines.
	wan_exec_scanner nmap -sT -Pn -n -p 1-1000 -oX - "$WAN_TARGET_IP" |
		grep -o 'portid="[0-9]*"><state state="[a-z|]*"' |
		sed 's/portid="\([0-9]*\)"><state state="\([a-z|]*\)"/\2:\1/' |
		sort
}

wan__selftest() {
	local delay=${1:-20} jitter=${2:-2} loss=${3:-1} fails=0
	local out got want stats
	local -a open=(22 80 443 888 999) filt=(23 445)
	want=$(printf 'filtered:%s\n' "${filt[@]}"; printf 'open:%s\n' "${open[@]}")
	want=$(sort <<<"$want")
	stats=$(mktemp "/tmp/${WAN_PREFIX}stats.XXXXXX")
	wan_atexit "rm -f '$stats'"
	export WAN_STATS_FILE=$stats

	echo "== WAN delay $delay ms jitter $jitter ms loss $loss %"
	wan_up "$delay" "$jitter" "$loss" || return 1
	out=$(wan_exec_scanner ping -q -c 1000 -i 0.01 "$WAN_TARGET_IP")
	echo "$out" | tail -2
	awk -v d="$delay" -v l="$loss" '
		/packet loss/ { for (i = 1; i <= NF; i++)
			if ($i ~ /%$/) { sub("%", "", $i); pl = $i } }
		/^rtt/ { split($4, v, "/"); avg = v[2] }
		END {
			want_l = 100 * (1 - (1 - l / 100) ^ 2)
			printf "RTT avg %.2f ms (want %.1f); loss %.1f%% " \
				"(want ~%.2f%% round trip)\n", avg, 2 * d, pl, want_l
			bad = (avg < 2 * d - 2 || avg > 2 * d + 3)
			bad = bad || (pl > 3 * want_l + 1.5)
			bad = bad || (want_l > 1 && pl < want_l / 4)
			exit bad }' <<<"$out" || { echo "FAIL: ping"; fails=$((fails + 1)); }

	wan_listen "${open[@]}" || fails=$((fails + 1))
	wan_filter "${filt[@]}" || fails=$((fails + 1))
	got=$(wan__selftest_nmap)
	if [ "$got" = "$want" ]; then
		echo "nmap 1-1000 across the WAN: right ($(tr '\n' ' ' <<<"$got"))"
	else
		echo "FAIL: nmap across the WAN: got $(tr '\n' ' ' <<<"$got")"
		fails=$((fails + 1))
	fi
	if command -v python3 >/dev/null; then
		wan__selftest_bulk 20 || fails=$((fails + 1))
	fi
	wan_down
	echo "wanem counters:"
	sed 's/^/  /' "$stats"
	: >"$stats"

	echo "== WAN rate 1 Mbit/s, no delay: 1500-byte pings serialize 12 ms each way"
	wan_up 0 0 0 1 || return 1
	out=$(wan_exec_scanner ping -q -c 20 -i 0.2 -s 1472 "$WAN_TARGET_IP")
	echo "$out" | tail -1
	awk '/^rtt/ { split($4, v, "/"); avg = v[2] }
		END { exit !(avg > 23 && avg < 27) }' <<<"$out" ||
		{ echo "FAIL: rate"; fails=$((fails + 1)); }
	wan_down
	: >"$stats"

	# UDP to a closed port: no flow control, so the sender keeps its
	# pace (ping slows down to the replies).  Each direction of wanem
	# counts on its own; the verdict is the scanner-to-target direction.
	echo "== WAN --pps 1000 --queue 5, 50 ms each way: 200 datagrams at 500/s pass (the delay line is not the queue)"
	wan_up 50 0 0 - 1000 5 || return 1
	out=$(wan_exec_scanner ping -q -c 3 -i 0.2 "$WAN_TARGET_IP")
	echo "$out" | tail -1
	wan__selftest_udp 200 0.002 || fails=$((fails + 1))
	got=$(wan_wanem_counters)
	echo "wanem: $got (want tail_drops 0, RTT 102 ms)"
	awk -v c="$got" '/^rtt/ { split($4, v, "/"); avg = v[2] }
		END { split(c, f, " ")
			exit !(avg > 101 && avg < 105 && f[6] == 0 && f[8] == 0) }' \
		<<<"$out" || { echo "FAIL: pps below capacity"; fails=$((fails + 1)); }
	wan_down
	: >"$stats"

	echo "== WAN --pps 100 --queue 5, no delay: 50 datagrams at 500/s, the queue tail-drops"
	wan_up 0 0 0 - 100 5 || return 1
	wan__selftest_udp 50 0.002 || fails=$((fails + 1))
	got=$(wan_wanem_counters)
	# 0.1 s of datagrams: ~10 carried + 5 queued + 1 in service, so
	# about 34 tail drops.
	echo "wanem: $got (want tail_drops ~34)"
	awk -v c="$got" 'BEGIN { split(c, f, " ")
		exit !(f[6] >= 25 && f[6] <= 40 && f[8] == 0) }' ||
		{ echo "FAIL: pps tail drop"; fails=$((fails + 1)); }
	wan_down
	: >"$stats"

	echo "== plain veth"
	wan_up_veth || return 1
	wan_listen "${open[@]}" || fails=$((fails + 1))
	wan_filter "${filt[@]}" || fails=$((fails + 1))
	out=$(wan_exec_scanner ping -q -c 50 -i 0.01 "$WAN_TARGET_IP")
	echo "$out" | tail -1
	got=$(wan__selftest_nmap)
	if [ "$got" = "$want" ]; then
		echo "nmap 1-1000 across veth: right"
	else
		echo "FAIL: nmap across veth: got $(tr '\n' ' ' <<<"$got")"
		fails=$((fails + 1))
	fi
	wan_down
	echo "selftest: $fails failed"
	[ "$fails" -eq 0 ]
}

# wan__selftest_udp N INTERVAL_S: N one-byte datagrams from the scanner
# to the target's port 9 (closed), INTERVAL_S apart.
wan__selftest_udp() {
	wan_exec_scanner python3 -c '
import socket, sys, time
n, gap, addr = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
for i in range(n):
    s.sendto(b"x", (addr, 9))
    t += gap
    d = t - time.monotonic()
    if d > 0:
        time.sleep(d)
' "$1" "$2" "$WAN_TARGET_IP" || { echo "FAIL: UDP sender"; return 1; }
	sleep 0.3
}

# Bulk TCP through the emulator: large segments (GSO, partial checksums)
# must arrive intact.
wan__selftest_bulk() {
	local mb=$1 port=5001 out
	cat >"$WAN_TMP/bulk.py" <<'EOF'
import hashlib, socket, sys, time
mode, addr, port, mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
block = bytes(range(256)) * 256
if mode == "recv":
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1); print("ready", flush=True)
    c, _ = s.accept(); h = hashlib.sha256(); n = 0
    while True:
        d = c.recv(1 << 20)
        if not d: break
        h.update(d); n += len(d)
    print(n, h.hexdigest(), flush=True)
else:
    c = socket.create_connection((addr, port)); t = time.time(); h = hashlib.sha256()
    for _ in range(mb * 16):
        c.sendall(block); h.update(block)
    c.shutdown(socket.SHUT_WR); c.recv(1); dt = time.time() - t
    print(mb * 16 * len(block), h.hexdigest(), "%.2f" % dt, flush=True)
EOF
	wan_exec_target python3 "$WAN_TMP/bulk.py" recv "$WAN_TARGET_IP" $port \
		"$mb" >"$WAN_TMP/bulk.recv" 2>&1 &
	local rpid=$!
	wan__wait_ready "$WAN_TMP/bulk.recv" $rpid || return 1
	out=$(timeout 60 ip netns exec "$WAN_NS_S" python3 "$WAN_TMP/bulk.py" \
		send "$WAN_TARGET_IP" $port "$mb")
	wait $rpid
	local sent_n sent_h secs recv_n recv_h
	read -r sent_n sent_h secs <<<"$out"
	read -r recv_n recv_h < <(grep -v ready "$WAN_TMP/bulk.recv")
	if [ -n "$sent_h" ] && [ "$sent_h" = "$recv_h" ] && [ "$sent_n" = "$recv_n" ]
	then
		echo "bulk TCP: $mb MiB intact in $secs s"
		return 0
	fi
	echo "FAIL: bulk TCP: sent '$out' received '$(cat "$WAN_TMP/bulk.recv")'"
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	selftest)
		shift
		wan__selftest "$@"
		;;
	*)
		echo "usage: $0 selftest [DELAY_MS JITTER_MS LOSS_PCT]" >&2
		echo "       or source it: see the comment at its top" >&2
		exit 2
		;;
	esac
fi
