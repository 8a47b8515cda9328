#!/bin/bash
# bench/udp.sh - UDP scans (-sU) of one host that rate-limits its ICMP
# errors, ringscan against nmap, every answer scored against the truth.
#
#   BUILD=build bench/udp.sh quick|full        (make bench-udp, make bench)
#
# Why a scenario of its own: a closed UDP port answers with ICMP port
# unreachable, and Linux sends those at about one per second per peer
# after a burst of six (net.ipv4.icmp_ratelimit = 1000 ms, the token
# bucket of icmpv4_xrlim_allow, on top of icmp_msgs_per_sec = 1000 for the
# whole host).  That limit, not the link or the CPU, sets how long an exact
# UDP scan takes, so the testbed keeps it: a fresh target namespace has the
# defaults, the script checks them, and the scan goes over a veth pair
# (loopback is exempt from the limit and would hide it).
#
# Testbed (bench/wan.sh wan_up_veth; addresses in 198.18.0.0/15 only):
#
#   S: s0 198.18.0.1/24 + 198.18.0.10-41 --veth-- T: t0 198.18.0.2/24
#
# The 32 extra scanner addresses are the sources for --source-ip lists: the
# ICMP budget is per peer, so N sources get N budgets.  In T: dnsmasq (a
# real DNS server) on 53, a python3 responder that answers any datagram on
# the UDP_OPEN ports, nftables dropping the UDP_DROP ports (truth:
# open|filtered, nobody can tell them from an open port that stays silent)
# and rejecting the UDP_REJECT ports with ICMP admin-prohibited (truth:
# filtered); every other port is closed (port unreachable, rate-limited).
# Truth per port follows from those lists alone.
#
# Rows: one host x nmap's top 100 UDP ports (the same list in both tools:
# checked against the services nmap reports in its XML), and x the top
# 1000.  nmap -sU with its defaults, tuned (-T4, -T4 --max-retries 1), with
# --defeat-icmp-ratelimit; ringscan -sU with one source, with 16 and 32
# sources (--source-ip 198.18.0.10-25 / -41) and its fast open-port mode
# (--defeat-icmp-ratelimit).  Rows whose options this build lacks are
# listed as "not supported by this build" (detected with a dry run in the
# scanner namespace, or --help), not run.  Rows that take many minutes
# (nmap -sU defaults and ringscan with one source on the top 1000, ~1000 s
# each at one ICMP per second) run once, in full mode only.
#
# Scoring: each of the port list's ports is wrong when its state differs
# from the truth or it is missing from the output.  The fast modes label a
# silent port without waiting for the ICMP budget (nmap: closed|filtered,
# ringscan: UDP_DEFEAT_LABEL, closed|filtered by default, as nmap); their rows are
# scored twice: strictly, and with that label accepted for every port that
# is not open (what an open-port sweep promises).
#
# Output: bench/results/udp.csv (one row per run: times, CPU, RSS, the
# target's ICMP counters, accuracy per truth state, exact command and
# version), bench/results/udp.md (the RESULTS.md section, carried over by
# bench/run.sh), and that section spliced into bench/RESULTS.md (unless
# UDP_SPLICE=0, as bench/run.sh sets: it writes RESULTS.md itself).
# Environment: BENCH_UDP_RUNS (runs per row, quick 1, full 3),
# BENCH_UDP_SLOW_RUNS (the ~1000 s rows; quick 0, full 1),
# BENCH_UDP_TIMEOUT (seconds per run, 600; slow rows 1800), BENCH_UDP_ONLY
# (a regular expression on row names, to work on a few).
# Traps from bench/wan.sh remove the namespaces and every process on EXIT,
# INT and TERM.

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

MODE=${1:-quick}
BUILD=${BUILD:-build}
export BUILD
case $MODE in
quick)
	RUNS=${BENCH_UDP_RUNS:-1}
	SLOW_RUNS=${BENCH_UDP_SLOW_RUNS:-0}
	;;
full)
	RUNS=${BENCH_UDP_RUNS:-3}
	SLOW_RUNS=${BENCH_UDP_SLOW_RUNS:-1}
	;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
RUN_TIMEOUT=${BENCH_UDP_TIMEOUT:-600}
SLOW_TIMEOUT=${BENCH_UDP_SLOW_TIMEOUT:-1800}
ONLY=${BENCH_UDP_ONLY:-}
DEFEAT_LABEL=${UDP_DEFEAT_LABEL:-closed|filtered}
REFILL=6 # s: the target's ICMP token bucket refills between runs

RES=bench/results
TMPD=$RES/tmp/udp
RS=$BUILD/ringscan
START=$(date +%s)
T=198.18.0.2
SRC16=198.18.0.10-25
SRC32=198.18.0.10-41
UDP_OPEN="123 161 389 500 1900 5351 5353" # python3 responder; dnsmasq on 53
UDP_DROP="37 137 520 1434 6346"
UDP_REJECT="69 111 2049 4672 27015"

# shellcheck source=bench/wan.sh
. bench/wan.sh
# shellcheck source=bench/score.sh
. bench/score.sh

die() {
	echo "bench/udp.sh: $*" >&2
	exit 1
}
say() { echo "bench/udp.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
install_missing || say "some tools are missing; their rows will fail"
for t in nft ping ip timeout python3 nstat; do
	command -v "$t" >/dev/null || die "$t is missing"
done
command -v dnsmasq >/dev/null ||
	die "dnsmasq is missing (dnsmasq-base; scripts/install-deps.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ -x "$RS" ] || die "$RS is not built (make)"
rm -rf "$TMPD"
mkdir -p "$TMPD" || die "cannot create $TMPD"

V_NMAP=$(nmap --version 2>/dev/null | sed -n 's/^Nmap version \([^ ]*\).*/nmap \1/p')
V_RS=$("$RS" --version 2>/dev/null | head -1)
[ -n "$V_RS" ] || V_RS=ringscan
V_RS="$V_RS (tree on git $(git rev-parse --short HEAD 2>/dev/null),"
V_RS+=" binary sha256 $(sha256sum "$RS" | cut -c1-12))"

CSV_HEADER="scenario,testbed,tool,run,targets,ports,probes,wall_s,user_s,"
CSV_HEADER+="sys_s,cpu_s,max_rss_kb,icmp_unreach_sent,icmp_ratelimited,"
CSV_HEADER+="open_right,open_wrong,closed_right,closed_wrong,"
CSV_HEADER+="filtered_right,filtered_wrong,openfiltered_right,"
CSV_HEADER+="openfiltered_wrong,extra_rows,wrong,strict_wrong,"
CSV_HEADER+="silent_label_accepted,port_list_differs,exit_code,version,command"
echo "$CSV_HEADER" >"$RES/udp.csv.tmp"
wan_atexit "rm -f $RES/udp.csv.tmp $RES/udp.md.tmp bench/RESULTS.md.udp.tmp"

# ---- testbed --------------------------------------------------------------
bed_up() {
	local i rl mps
	wan_up_veth || die "veth testbed failed"
	for ((i = 10; i <= 41; i++)); do
		ip -n "$WAN_NS_S" addr add "198.18.0.$i/24" dev "$WAN_IF_S" ||
			die "cannot add 198.18.0.$i to the scanner"
	done
	# Each source's neighbour entry in the target, before anything is
	# timed (an echo reply is not rate-limited: not in icmp_ratemask).
	for ((i = 10; i <= 41; i++)); do
		wan_exec_scanner ping -c 1 -W 1 -q -I "198.18.0.$i" "$T" \
			>/dev/null 2>&1 || die "no ping from 198.18.0.$i"
	done
	rl=$(wan_exec_target sysctl -n net.ipv4.icmp_ratelimit)
	mps=$(wan_exec_target sysctl -n net.ipv4.icmp_msgs_per_sec)
	if [ "$rl" != 1000 ] || [ "$mps" != 1000 ]; then
		die "the target's ICMP limits are not the defaults ($rl ms, $mps/s)"
	fi
	TARGET_SYSCTLS="net.ipv4.icmp_ratelimit = $rl ms,"
	TARGET_SYSCTLS+=" icmp_msgs_per_sec = $mps,"
	TARGET_SYSCTLS+=" icmp_msgs_burst = $(wan_exec_target sysctl -n net.ipv4.icmp_msgs_burst),"
	TARGET_SYSCTLS+=" icmp_ratemask = $(wan_exec_target sysctl -n net.ipv4.icmp_ratemask)"

	# dnsmasq: a DNS server only (no DHCP, no upstream, no files read).
	wan_exec_target dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--user=root --port=53 --bind-interfaces --listen-address="$T" \
		--no-resolv --no-hosts --pid-file="$WAN_TMP/dnsmasq.pid" \
		--address=/ringscan.test/198.18.0.9 >"$WAN_TMP/dnsmasq.log" 2>&1 &
	WAN_PIDS+=("$!")
	# shellcheck disable=SC2086
	wan_exec_target python3 -c '
import selectors, socket, sys
sel = selectors.DefaultSelector()
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], int(p)))
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        d, a = key.fileobj.recvfrom(4096)
        key.fileobj.sendto(b"pong", a)
' "$T" $UDP_OPEN >"$WAN_TMP/udp.out" 2>&1 &
	WAN_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		grep -qx ready "$WAN_TMP/udp.out" &&
			wan_exec_target ss -Hlun "sport = :53" | grep -q . && break
		sleep 0.05
	done
	grep -qx ready "$WAN_TMP/udp.out" ||
		die "UDP responder not ready: $(cat "$WAN_TMP/udp.out")"
	wan_exec_target ss -Hlun "sport = :53" | grep -q . ||
		die "dnsmasq not listening: $(cat "$WAN_TMP/dnsmasq.log")"
	{
		echo "add table inet $TESTBED_NFT_TABLE"
		echo "add chain inet $TESTBED_NFT_TABLE input { type filter hook input priority 0; }"
		echo "add rule inet $TESTBED_NFT_TABLE input udp dport { ${UDP_DROP// /, } } drop"
		echo "add rule inet $TESTBED_NFT_TABLE input udp dport { ${UDP_REJECT// /, } } reject with icmp type admin-prohibited"
	} >"$WAN_TMP/udp.nft"
	wan_exec_target nft -f "$WAN_TMP/udp.nft" || die "nft rules failed"
}

# The target's ICMP counters so far: "unreach_sent ratelimited" (the
# per-peer limit's drops, IcmpOutRateLimitHost, where the kernel has it).
target_icmp() {
	wan_exec_target nstat -asz IcmpOutDestUnreachs IcmpOutRateLimitHost \
		2>/dev/null | awk '$1 == "IcmpOutDestUnreachs" { u = $2 }
		$1 == "IcmpOutRateLimitHost" { r = $2 }
		END { print (u == "" ? "-" : u), (r == "" ? "-" : r) }'
}

# port_list N: nmap's top N UDP ports as ringscan lists them, ascending.
port_list() {
	wan_exec_scanner "$RS" -sU --top-ports "$1" --dry-run "$T" 2>/dev/null |
		sed -n 's/^[^ ]* \([0-9]*\)\/udp$/\1/p' | sort -nu
}

# truth_of PORTFILE: "host,port,state" for each port of the list.
truth_of() {
	awk -v h="$T" -v o="53 $UDP_OPEN" -v d="$UDP_DROP" -v r="$UDP_REJECT" '
	BEGIN { n = split(o, a, " "); for (i = 1; i <= n; i++) s[a[i]] = "open"
		n = split(d, a, " "); for (i = 1; i <= n; i++) s[a[i]] = "open|filtered"
		n = split(r, a, " "); for (i = 1; i <= n; i++) s[a[i]] = "filtered" }
	{ print h "," $1 "," (($1 in s) ? s[$1] : "closed") }' "$1" | testbed_sort
}

# nmap_services XML: the ports nmap says it scanned, ascending.
nmap_services() {
	sed -n 's/.*<scaninfo [^>]*services="\([^"]*\)".*/\1/p' "$1" |
		tr ',' '\n' | awk -F- 'NF > 1 { for (i = $1; i <= $2; i++) print i
			next } NF { print $1 }' | sort -nu
}

# score TRUTH ROWS LABEL -> "or ow cr cw fr fw ofr ofw extra wrong strict
# silent": right/wrong per truth state, rows for ports not in the truth,
# wrong answers in all (LABEL, if given, accepted for any port that is not
# open), wrong answers strictly, and how often LABEL was accepted.
score() {
	awk -F, -v label="$3" '
	FNR == NR { t[$1 "," $2] = $3; next }
	{ k = $1 "," $2; if (k in t) got[k] = $3; else extra++ }
	END {
		for (k in t) {
			s = t[k]; g = (k in got) ? got[k] : "missing"
			ok = (g == s)
			if (!ok && label != "" && s != "open" && g == label) {
				ok = 1; silent++
			}
			if (g != s) strict++
			r[s, ok]++
			if (!ok) wrong++
		}
		printf "%d %d %d %d %d %d %d %d %d %d %d %d\n",
			r["open", 1], r["open", 0], r["closed", 1], r["closed", 0],
			r["filtered", 1], r["filtered", 0],
			r["open|filtered", 1], r["open|filtered", 0],
			extra, wrong + extra, strict + extra, silent
	}' "$1" "$2"
}

# ---- rows -----------------------------------------------------------------
declare -a TOOLS
declare -A T_KIND T_RUNS T_CMD T_LIST T_NOTE T_LABEL T_TMO T_GROUP T_VER
declare -A R_WALL R_CPU R_RSS R_ICMP R_RL R_ACC R_RC R_LISTDIFF LAST_CMD

# row GROUP NAME KIND RUNS LIST LABEL COMMAND: LIST is 100 or 1000, LABEL
# the silent-port label a fast mode may use ("" = strict only).
row() {
	local group=$1 name=$2 kind=$3 runs=$4 list=$5 label=$6
	shift 6
	TOOLS+=("$name")
	T_GROUP[$name]=$group
	T_KIND[$name]=$kind
	T_RUNS[$name]=$runs
	T_LIST[$name]=$list
	T_LABEL[$name]=$label
	T_CMD[$name]="$*"
	T_NOTE[$name]=
	T_TMO[$name]=$RUN_TIMEOUT
	case $kind in
	nmap) T_VER[$name]=$V_NMAP ;;
	*) T_VER[$name]=$V_RS ;;
	esac
	if [ -z "${T_VER[$name]}" ]; then
		T_RUNS[$name]=0
		T_NOTE[$name]="not installed"
	fi
	if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then
		T_RUNS[$name]=0
		T_NOTE[$name]="not run (BENCH_UDP_ONLY)"
	fi
}

# slow NAME: a ~1000 s row: SLOW_RUNS runs (full mode: once).
slow() {
	[ "${T_RUNS[$1]}" -gt 0 ] && T_RUNS[$1]=$SLOW_RUNS
	T_TMO[$1]=$SLOW_TIMEOUT
	[ "$SLOW_RUNS" -gt 0 ] ||
		T_NOTE[$1]="pending: full mode only (~1000 s; bench/udp.sh full)"
}

# unsupported NAME WHAT: this build lacks an option the row needs.
unsupported() {
	T_RUNS[$1]=0
	T_NOTE[$1]="pending: not supported by this build ($2)"
}

run_one() {
	local name=$1 run=$2 kind=${T_KIND[$1]} id out cmd rc wall user sys rss
	local cpu acc rows truth i0 i1 unr='-' rl='-' ldiff=0
	id="${name//[^A-Za-z0-9.-]/_}-$run"
	case $kind in
	nmap) out="$TMPD/$id.xml" ;;
	*) out="$TMPD/$id.csv" ;;
	esac
	cmd=${T_CMD[$name]//\{OUT\}/$out}
	truth=$TMPD/truth.${T_LIST[$name]}
	# Every run starts with the target's full per-peer ICMP budget (a
	# burst of 6, refilled at one per second), not what the previous
	# run left of it.
	sleep "$REFILL"
	i0=$(target_icmp)
	# shellcheck disable=SC2086
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "${T_TMO[$name]}" $cmd \
		>"$TMPD/$id.stdout" 2>"$TMPD/$id.stderr"
	rc=$?
	i1=$(target_icmp)
	read -r wall user sys rss < <(tail -1 "$TMPD/$id.time")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	if [ "${i0% *}" != - ] && [ "${i1% *}" != - ]; then
		unr=$((${i1% *} - ${i0% *}))
	fi
	if [ "${i0#* }" != - ] && [ "${i1#* }" != - ]; then
		rl=$((${i1#* } - ${i0#* }))
	fi
	rows="$TMPD/$id.rows"
	case $kind in
	nmap)
		testbed_nmap_rows "$out" 2>/dev/null >"$rows"
		nmap_services "$out" >"$TMPD/$id.list"
		if [ -s "$TMPD/$id.list" ] &&
			! cmp -s "$TMPD/$id.list" "$TMPD/list.${T_LIST[$name]}"; then
			ldiff=$(comm -3 "$TMPD/$id.list" \
				"$TMPD/list.${T_LIST[$name]}" | wc -l)
			R_LISTDIFF[$name]=$ldiff
		fi
		;;
	*)
		awk -F, 'NR > 1 && $3 == "udp" { print $1 "," $2 "," $4 }' \
			"$out" 2>/dev/null >"$rows"
		;;
	esac
	acc=$(score "$truth" "$rows" "${T_LABEL[$name]}")
	[ "$rc" -eq 0 ] ||
		say "$id exited $rc ($(tail -c 200 "$TMPD/$id.stderr" | tr '\r\n' '  '))"
	printf '  %-22s run %d: %8.2f s wall %6.2f s cpu %7d KB icmp %s/%s acc %s%s\n' \
		"$name" "$run" "$wall" "$cpu" "$rss" "$unr" "$rl" "$acc" \
		"$([ "$rc" -eq 0 ] || echo "  exit $rc")" >&2
	# shellcheck disable=SC2086 # $acc: twelve fields
	csv_row udp veth "$name" "$run" "$T" "top-${T_LIST[$name]}" \
		"$(wc -l <"$truth")" "$wall" "$user" "$sys" "$cpu" "$rss" "$unr" \
		"$rl" $acc "$ldiff" "$rc" "${T_VER[$name]}" "$cmd" \
		>>"$RES/udp.csv.tmp"
	R_WALL[$name]+="$wall "
	R_CPU[$name]+="$cpu "
	R_RSS[$name]+="$rss "
	R_ICMP[$name]+="$unr "
	R_RL[$name]+="$rl "
	R_ACC[$name]+="${acc// /,} "
	[ "$rc" -eq 0 ] || R_RC[$name]+="$rc "
	LAST_CMD[$name]=$cmd
}

# csv_row FIELD...: 30 fields as CSV_HEADER, the last two quoted.
csv_row() {
	local -a f=("$@")
	local i out='' q
	for ((i = 0; i < 28; i++)); do
		[ "${f[i]}" = - ] && f[i]=
		out+="${f[i]},"
	done
	q=${f[28]//\"/\"\"}
	out+="\"$q\","
	q=${f[29]//\"/\"\"}
	echo "$out\"$q\""
}

# run_group GROUP: its rows RUNS times each, interleaved (A, B, C, A, ...)
# so that drift on this shared machine hits each alike.
run_group() {
	local run name max=0
	for name in "${TOOLS[@]}"; do
		[ "${T_GROUP[$name]}" = "$1" ] || continue
		[ "${T_RUNS[$name]}" -gt "$max" ] && max=${T_RUNS[$name]}
	done
	for ((run = 1; run <= max; run++)); do
		for name in "${TOOLS[@]}"; do
			[ "${T_GROUP[$name]}" = "$1" ] || continue
			[ "$run" -le "${T_RUNS[$name]}" ] || continue
			run_one "$name" "$run"
		done
	done
}

median() {
	printf '%s\n' "$@" | grep -v '^-*$' | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] :
			(v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "") print "-"; else printf f, v }'; }

# The worst run's accuracy: "wrong (strict)" and the per-state cells,
# tab-separated (a label holds a "|").
worst() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | awk -F, -v label="$2" '
		{ if (NR == 1 || $10 > w) { w = $10; line = $0 } }
		END { split(line, a, ",")
		      cell = (a[10] == 0) ? "**0**" : a[10]
		      if (label != "") cell = cell " (strict: " a[11] ", " \
			  a[12] " silent ports labelled " label ")"
		      printf "%s\t%d/%d\t%d/%d\t%d/%d\t%d/%d", cell,
			  a[1], a[1] + a[2], a[3], a[3] + a[4], a[5], a[5] + a[6],
			  a[7], a[7] + a[8] }'
}

# exact_runs NAME: how many of its runs had no wrong answer.
exact_runs() {
	# shellcheck disable=SC2086
	printf '%s\n' ${R_ACC[$1]} | awk -F, '$10 == 0 { n++ } END { print n + 0 }'
}

# exact_walls ROW: the wall times of ROW's runs that were exact.
exact_walls() {
	local w a
	# shellcheck disable=SC2086
	paste -d' ' <(printf '%s\n' ${R_WALL[$1]}) <(printf '%s\n' ${R_ACC[$1]}) |
		while read -r w a; do
			[ "$(cut -d, -f10 <<<"$a")" = 0 ] && printf '%s ' "$w"
		done
}

# table GROUP BASE: the markdown table of a group; "× BASE" is the wall
# time over BASE's median (nmap -sU with its defaults on the same list).
table() {
	local g=$1 base=$2 bw='' name wall ratio runs cmd note w oc cc fc ofc
	# shellcheck disable=SC2086 # one run per word
	[ -n "${R_WALL[$base]:-}" ] && bw=$(median ${R_WALL[$base]})
	echo "| row | runs | wall s (median) | × nmap -sU defaults | wrong answers (worst run) | exact runs | open right | closed right | filtered right | open\\|filtered right | CPU s | peak RSS MiB | ICMP unreachables sent by the target | ICMP errors the target's per-peer limit held back | command |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for name in "${TOOLS[@]}"; do
		[ "${T_GROUP[$name]}" = "$g" ] || continue
		if [ -z "${R_WALL[$name]:-}" ]; then
			cmd=${T_CMD[$name]//\{OUT\}/OUT}
			# shellcheck disable=SC2016
			printf '| %s | 0 | | | | | | | | | | | | | `%s` - **%s** |\n' \
				"$name" "${cmd//|/\\|}" "${T_NOTE[$name]:-not run}"
			continue
		fi
		# shellcheck disable=SC2086
		{
			wall=$(median ${R_WALL[$name]})
			runs=$(wc -w <<<"${R_WALL[$name]}")
		}
		ratio=-
		[ -n "$bw" ] && ratio=$(awk -v w="$wall" -v b="$bw" \
			'BEGIN { if (b > 0) printf "%.2f", w / b; else print "-" }')
		IFS=$'\t' read -r w oc cc fc ofc <<<"$(worst "${R_ACC[$name]}" \
			"${T_LABEL[$name]}")"
		cmd=${LAST_CMD[$name]//$TMPD\//}
		note=${R_RC[$name]:+ (exit codes: ${R_RC[$name]% }; 124 = timed out)}
		[ -n "${R_LISTDIFF[$name]:-}" ] &&
			note+=" **nmap scanned another list: ${R_LISTDIFF[$name]} ports differ**"
		# shellcheck disable=SC2016,SC2086
		printf '| %s | %s | %.2f | %s | %s | %s of %s | %s | %s | %s | %s | %.2f | %.1f | %s | %s | `%s`%s |\n' \
			"$name" "$runs" "$wall" "$ratio" "${w//|/\\|}" \
			"$(exact_runs "$name")" "$runs" "$oc" "$cc" \
			"$fc" "$ofc" "$(median ${R_CPU[$name]})" \
			"$(awk -v k="$(median ${R_RSS[$name]})" 'BEGIN { print k / 1024 }')" \
			"$(fmt "$(median ${R_ICMP[$name]})" '%.0f')" \
			"$(fmt "$(median ${R_RL[$name]})" '%.0f')" \
			"${cmd//|/\\|}" "$note"
	done
}

# goal TEXT ROW BASE MAX_RATIO MAX_S: one of issue 13's "Done when"
# targets held against ROW: exact in every run, and its median wall time
# at most MAX_RATIO x BASE's and under MAX_S seconds ("-" for neither).
goal() {
	local text=$1 name=$2 base=$3 maxr=$4 maxs=$5 wall bw='' runs ex
	if [ -z "${R_WALL[$name]:-}" ]; then
		echo "- $text (\`$name\`): ${T_NOTE[$name]:-not run}"
		return 0
	fi
	# shellcheck disable=SC2086 # one run per word
	{
		wall=$(median ${R_WALL[$name]})
		[ -n "${R_WALL[$base]:-}" ] && bw=$(median ${R_WALL[$base]})
	}
	runs=$(wc -w <<<"${R_WALL[$name]}")
	ex=$(exact_runs "$name")
	awk -v t="$text" -v n="$name" -v w="$wall" -v b="$bw" -v mr="$maxr" \
		-v ms="$maxs" -v r="$runs" -v e="$ex" -v bn="$base" 'BEGIN {
		ok = (e == r)
		if (mr != "-") ok = ok && b != "" && w <= mr * b
		if (ms != "-") ok = ok && w < ms
		rel = (b != "" && b > 0) ? sprintf(" = %.2f × %s", w / b, bn) : ""
		printf "- %s (`%s`): **%s**: median %.2f s%s, %d of %d runs exact\n",
			t, n, ok ? "met" : "not met", w, rel, e, r }'
	# A fast wrong answer is no win: held against the base's exact runs
	# too, when some of its runs were wrong and some exact.
	if [ "$maxr" != - ] && [ -n "$bw" ] &&
		[ "$(exact_runs "$base")" != "$(wc -w <<<"${R_WALL[$base]}")" ]; then
		local be
		# shellcheck disable=SC2046
		be=$(median $(exact_walls "$base"))
		if [ -n "$be" ]; then
			awk -v w="$wall" -v b="$be" -v mr="$maxr" -v bn="$base" \
				-v k="$(exact_runs "$base")" -v ok="$([ "$ex" = "$runs" ] && echo 1)" 'BEGIN {
				printf "  - against %s'"'"'s exact runs only (%d, median %.2f s): **%s**: %.2f × (the others were faster by being wrong)\n",
					bn, k, b, (ok && w <= mr * b) ? "met" : "not met", w / b }'
		else
			echo "  - $base had no exact run to hold it against"
		fi
	fi
}

# ---- the scan -------------------------------------------------------------
say "testbed: $T behind a veth, ICMP limits at their defaults"
bed_up
for n in 100 1000; do
	port_list "$n" >"$TMPD/list.$n"
	[ "$(wc -l <"$TMPD/list.$n")" -eq "$n" ] ||
		die "$RS -sU --top-ports $n --dry-run listed $(wc -l <"$TMPD/list.$n") ports"
	truth_of "$TMPD/list.$n" >"$TMPD/truth.$n"
done

# Options another branch adds; each row needing one is skipped until the
# build has it.
HAVE_SRCLIST=
wan_exec_scanner "$RS" -sU --source-ip "$SRC16" --dry-run -p 53 "$T" \
	>/dev/null 2>&1 && HAVE_SRCLIST=1
HAVE_DEFEAT=
"$RS" --help 2>&1 | grep -q -- '--defeat-icmp-ratelimit' && HAVE_DEFEAT=1

rs() { echo "$RS -sU --states open,closed,filtered -oC {OUT} $*"; }
nm() { echo "nmap -sU -Pn -n $* -oX {OUT} $T"; }

row a nmap-sU nmap "$RUNS" 100 "" "$(nm --top-ports 100)"
row a nmap-sU-T4 nmap "$RUNS" 100 "" "$(nm -T4 --top-ports 100)"
row a nmap-sU-T4-retries1 nmap "$RUNS" 100 "" \
	"$(nm -T4 --max-retries 1 --top-ports 100)"
row a nmap-sU-defeat nmap "$RUNS" 100 "closed|filtered" \
	"$(nm -T4 --defeat-icmp-ratelimit --top-ports 100)"
row a ringscan-1src ringscan "$RUNS" 100 "" "$(rs --top-ports 100 $T)"
row a ringscan-16src ringscan "$RUNS" 100 "" \
	"$(rs --source-ip $SRC16 --top-ports 100 $T)"
[ -n "$HAVE_SRCLIST" ] ||
	unsupported ringscan-16src "--source-ip LIST with -sU"

row b ringscan-32src-1000 ringscan "$RUNS" 1000 "" \
	"$(rs --source-ip $SRC32 --top-ports 1000 $T)"
[ -n "$HAVE_SRCLIST" ] ||
	unsupported ringscan-32src-1000 "--source-ip LIST with -sU"
row b ringscan-defeat-1000 ringscan "$RUNS" 1000 "$DEFEAT_LABEL" \
	"$(rs --defeat-icmp-ratelimit --top-ports 1000 $T)"
[ -n "$HAVE_DEFEAT" ] ||
	unsupported ringscan-defeat-1000 "--defeat-icmp-ratelimit"
row b nmap-sU-T4-retries1-1000 nmap "$RUNS" 1000 "" \
	"$(nm -T4 --max-retries 1 --top-ports 1000)"
row b nmap-sU-defeat-1000 nmap "$RUNS" 1000 "closed|filtered" \
	"$(nm -T4 --defeat-icmp-ratelimit --top-ports 1000)"
row b ringscan-1src-1000 ringscan "$RUNS" 1000 "" \
	"$(rs --top-ports 1000 $T)"
slow ringscan-1src-1000
row b nmap-sU-1000 nmap "$RUNS" 1000 "" "$(nm --top-ports 1000)"
slow nmap-sU-1000

say "top 100 UDP ports, $RUNS run(s) per row"
run_group a
say "top 1000 UDP ports, $RUNS run(s) per row (slow rows: $SLOW_RUNS)"
run_group b
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
wan_down

# ---- udp.csv, udp.md, RESULTS.md -----------------------------------------
count_of() { grep -c ",$2\$" "$TMPD/truth.$1"; }
pending=
for name in "${TOOLS[@]}"; do
	[[ ${T_NOTE[$name]} == pending:* ]] && pending+="${pending:+, }$name"
done
{
	echo "## 7. UDP: one host × nmap's top 100 and top 1000 UDP ports (bench/udp.sh)"
	echo
	echo "Generated by \`BUILD=$BUILD bench/udp.sh $MODE\` (\`make bench-udp$([ "$MODE" = full ] && echo ' UDP_MODE=full')\`)" \
		"on $(date -u '+%Y-%m-%d %H:%M UTC') in $(($(date +%s) - START)) s;" \
		"$RUNS run(s) per row, interleaved, slow rows $SLOW_RUNS run(s);" \
		"load average at the end $LOAD (the machine is shared)." \
		"ringscan: $V_RS; ${V_NMAP:-nmap missing}; Linux $(uname -r)."
	echo
	echo "Testbed: the scanner's namespace (198.18.0.1 and 198.18.0.10-41" \
		"on one veth) and the target's (198.18.0.2), the target's ICMP" \
		"limits at a new namespace's defaults ($TARGET_SYSCTLS; loopback" \
		"would be exempt).  In the target: dnsmasq on 53 (DNS), a python3" \
		"responder answering any datagram on ${UDP_OPEN// /, }," \
		"nftables dropping ${UDP_DROP// /, } (truth open|filtered) and" \
		"rejecting ${UDP_REJECT// /, } with ICMP admin-prohibited (truth" \
		"filtered); every other port closed (port unreachable)." \
		"Truth on the top 100: $(count_of 100 open) open," \
		"$(count_of 100 closed) closed, $(count_of 100 filtered) filtered," \
		"$(count_of 100 'open|filtered') open|filtered; on the top 1000:" \
		"$(count_of 1000 open) open, $(count_of 1000 closed) closed," \
		"$(count_of 1000 filtered) filtered, $(count_of 1000 'open|filtered')" \
		"open|filtered.  Both tools scan the same lists: ringscan's" \
		"\`--top-ports N --dry-run\` against the services nmap's XML says it" \
		"scanned (a row would say otherwise).  Each run starts after" \
		"${REFILL} s without traffic, with the target's per-peer ICMP" \
		"budget full."
	echo
	echo "Wrong answers: ports whose state differs from the truth, or that" \
		"are missing from the output, worst run.  The fast modes label" \
		"silent ports without waiting out the ICMP budget (nmap" \
		"\`--defeat-icmp-ratelimit\`: closed|filtered; ringscan's:" \
		"$DEFEAT_LABEL); their wrong answers accept that label on any port" \
		"that is not open, with the strict count next to it.  \"right\"" \
		"cells are right/truth of the worst run.  ICMP columns: the" \
		"target's IcmpOutDestUnreachs and IcmpOutRateLimitHost over the" \
		"run (median)."
	echo
	echo "### One host × top 100 UDP ports"
	echo
	table a nmap-sU
	echo
	echo "### One host × top 1000 UDP ports"
	echo
	table b nmap-sU-1000
	echo
	echo "Against issue 13's targets (its \"Done when\"), from the rows above:"
	echo
	goal "top 100, one source: exact, no slower than nmap -sU" \
		ringscan-1src nmap-sU 1 -
	goal "top 100, 16 sources: exact in at most 0.15 × nmap -sU's time" \
		ringscan-16src nmap-sU 0.15 -
	goal "top 1000, 32 sources: exact in under a minute" \
		ringscan-32src-1000 nmap-sU-1000 - 60
	goal "fast open-port mode (top 1000): finishes in seconds (under 10 s), no wrong answer with its label for silent ports" \
		ringscan-defeat-1000 nmap-sU-1000 - 10
	echo
	if [ -n "$pending" ]; then
		echo "Pending rows (not measured here, no number given): $pending."
		echo
	fi
	echo "Per-run rows with exact commands and versions: \`results/udp.csv\`" \
		"(OUT is each run's output file under \`results/tmp/udp/\`)."
	echo
} >"$RES/udp.md.tmp"
mv -f "$RES/udp.csv.tmp" "$RES/udp.csv"
mv -f "$RES/udp.md.tmp" "$RES/udp.md"

# Splice the section into RESULTS.md in place of its last version (before
# the audit, the grid or the notes if it is new).
if [ "${UDP_SPLICE:-1}" != 0 ] && [ -f bench/RESULTS.md ]; then
	awk -v sec="$RES/udp.md" '
	function put() { while ((getline l < sec) > 0) print l; done = 1 }
	/^## 7\. UDP/ { if (!done) put(); skip = 1; next }
	/^## / && skip { skip = 0 }
	!done && !skip && /^## (Audit|Congestion grid|Notes)/ { put() }
	!skip { print }
	END { if (!done) { print ""; put() } }' bench/RESULTS.md \
		>bench/RESULTS.md.udp.tmp &&
		mv -f bench/RESULTS.md.udp.tmp bench/RESULTS.md
fi
say "wrote $RES/udp.csv, $RES/udp.md$([ "${UDP_SPLICE:-1}" != 0 ] && echo ', bench/RESULTS.md') in $(($(date +%s) - START)) s"
