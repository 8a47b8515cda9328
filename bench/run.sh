#!/bin/bash
# bench/run.sh - ringscan against nmap, masscan and zmap on namespace
# testbeds, scored against the testbeds' ground truth.
#
#   BUILD=build bench/run.sh quick|full      (make bench-quick / make bench)
#
# Scenarios (testbeds from bench/wan.sh, topology and truth from
# tests/integration/testbed.sh, all in private namespaces, addresses 127/8 and
# 198.18.0.0/15 only):
#   loopback  one namespace, TCP 1-65535 on 127.0.0.1.
#   wan       one host through wanem (20 ms each way = 40 ms RTT, ±2 ms
#             jitter, 1 % loss each way), TCP 1-65535, open and filtered
#             ports.
#   subnet    198.19.0.0/16 (quick: /19) x 5 ports answered by the target
#             namespace through a local route, on plain veth and through the
#             WAN; nmap scans a quarter of it (/18; quick /21) to fit the
#             time box.  On the WAN in full mode, smaller prefixes (@20,
#             @18) add points to the time-vs-ports plot.  Raw-socket scanners (masscan, zmap,
#             nmap -sS, later ringscan -sS) report SYN/s and replies/s.
#   rate      --rate 1k, 10k, 100k on veth: SYNs counted as they arrive in
#             the target namespace (bench/syncount), achieved rate = SYNs
#             between the first and the last / that time; flagged when off
#             by more than 5 %.
#   memory    peak RSS of ringscan on /16 x 1-65535 and /8 x 1 port
#             (loopback, every address answers), stopped after a few
#             seconds: the random probe order has touched the whole state
#             store by then (see RESULTS.md for the argument).
#   udp       -sU of one host whose ICMP errors are rate-limited, top 100
#             and top 1000 UDP ports, against nmap -sU: bench/udp.sh, full
#             mode only (BENCH_ONLY=udp to run it in quick mode); its last
#             section (results/udp.md) is carried into RESULTS.md.
# Each tool runs with the options named in the table; runs are interleaved
# (A, B, C, A, B, C, ...) so drift on this shared machine hits every tool
# alike.  Per run: wall, user and system seconds and peak RSS from
# /usr/bin/time (inside the namespace), SYNs arriving at the target and
# answers arriving at the scanner (syncount), and accuracy against the
# ground truth.  Summaries are medians (quick: one run each); accuracy is
# the worst run's.
#
# Output: bench/results/<scenario>.csv (one row per run), PNG plots in
# bench/results/, and bench/RESULTS.md (tables, machine, date, versions,
# commands).  Scratch files go to bench/results/tmp/.  Missing tools
# (nmap, masscan, zmap, gnuplot, nft, ping, time) are installed from Debian.
# In full mode bench/audit.sh, if it exists and is executable, is run too
# and its markdown output goes into RESULTS.md; so is bench/banners.sh
# (banners and -sV against nmap -sV and masscan --banners), whose section
# is carried over from its last run in quick mode.

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

MODE=${1:-quick}
BUILD=${BUILD:-build}
export BUILD
case $MODE in
quick)
	RUNS=1
	SLOW_RUNS=0
	SUBNET=198.19.0.0/19
	NMAP_SUBNET=198.19.0.0/21
	MEM_SECS=3
	RATE_SECS=1
	;;
full)
	RUNS=${BENCH_RUNS:-3}
	SLOW_RUNS=${BENCH_SLOW_RUNS:-1}
	SUBNET=198.19.0.0/16
	NMAP_SUBNET=198.19.0.0/18
	MEM_SECS=10
	RATE_SECS=3
	;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
RUN_TIMEOUT=${BENCH_TIMEOUT:-400} # seconds per scan before it is killed
RATE_TOLERANCE=5                  # per cent, from the scanner's issue

RES=bench/results
TMPD=$RES/tmp
RS=$BUILD/ringscan
START=$(date +%s)

# shellcheck source=bench/wan.sh
. bench/wan.sh
# shellcheck source=bench/score.sh
. bench/score.sh

die() {
	echo "bench: $*" >&2
	exit 1
}
say() { echo "bench: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"

install_missing || say "some tools are missing; their rows will fail"
for t in nft ping ip timeout; do
	command -v "$t" >/dev/null || die "$t is missing"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
wan_build_tool wanem >/dev/null || die "cannot build bench/wanem"
wan_build_tool syncount >/dev/null || die "cannot build bench/syncount"
HAVE_GNUPLOT=$(command -v gnuplot >/dev/null && echo 1)

rm -rf "$TMPD"
mkdir -p "$TMPD" || die "cannot create $TMPD"

V_NMAP=$(nmap --version 2>/dev/null | sed -n 's/^Nmap version \([^ ]*\).*/nmap \1/p')
V_MASSCAN=$(masscan --version 2>/dev/null |
	sed -n 's/^Masscan version \([^ ]*\).*/masscan \1/p')
V_ZMAP=$(zmap --version 2>/dev/null | head -1)
V_GNUPLOT=$(gnuplot --version 2>/dev/null)
if [ -x "$RS" ]; then
	V_RS=$("$RS" --version 2>/dev/null | head -1)
	[ -n "$V_RS" ] || V_RS="ringscan"
	# The binary may come from uncommitted work: name the base commit and
	# the binary itself.
	V_RS="$V_RS (tree on git $(git rev-parse --short HEAD 2>/dev/null),"
	V_RS+=" binary sha256 $(sha256sum "$RS" | cut -c1-12))"
else
	V_RS=
	say "$RS not built: no ringscan rows"
fi

# ---- hook: ringscan -sS (AF_XDP SYN scan) -------------------------------
# The SYN mode is being built.  Once `ringscan -sS --dry-run` exits 0, -sS
# rows are added wherever the raw-socket scanners run (subnet scenario on
# veth and WAN, and the rate scenario), with no change here.
RS_SYN=
if [ -n "$V_RS" ] && "$RS" -sS --dry-run -p 1 198.18.0.2 >/dev/null 2>&1; then
	RS_SYN=1
fi
# --------------------------------------------------------------------------

CSV_HEADER="scenario,testbed,tool,run,targets,ports,probes,wall_s,user_s,sys_s,"
CSV_HEADER+="cpu_s,max_rss_kb,probes_per_s,syn_at_target,syn_per_s,"
CSV_HEADER+="replies_at_scanner,replies_per_s,open_found,open_missed,"
CSV_HEADER+="false_open,filtered_right,filtered_missed,false_filtered,"
CSV_HEADER+="wanem_lost,wanem_dropped,exit_code,version,command"
SCEN_CSVS=(loopback wan subnet rate memory)
for s in "${SCEN_CSVS[@]}"; do echo "$CSV_HEADER" >"$RES/$s.csv.tmp"; done
# Results replace the old ones only when the whole benchmark finished.
wan_atexit "rm -f $RES/*.csv.tmp $RES/*.png.tmp bench/RESULTS.md.tmp"
MD=$TMPD/sections.md
: >"$MD"

# ---- tools ----------------------------------------------------------------
# Per scenario: tool names in order; per tool its kind (ringscan, nmap,
# masscan, zmap), runs, version, targets and ports (what the truth and the
# probe count are taken over), command template ({OUT} = its output file).
declare -a TOOLS
declare -A T_KIND T_RUNS T_VER T_CMD T_HOSTS T_PORTS T_NOTE T_RATE
declare -A R_WALL R_CPU R_RSS R_ACC R_RC R_PPS R_SYN R_SYNPS R_REP R_REPPS
declare -A R_WDROP R_LDROP
declare -A LAST_CMD PROBES

reset_tools() {
	TOOLS=()
	T_KIND=() T_RUNS=() T_VER=() T_CMD=() T_HOSTS=() T_PORTS=()
	T_NOTE=() T_RATE=()
	R_WALL=() R_CPU=() R_RSS=() R_ACC=() R_RC=() R_PPS=()
	R_SYN=() R_SYNPS=() R_REP=() R_REPPS=() R_WDROP=() R_LDROP=()
	LAST_CMD=() PROBES=()
}

# tool NAME KIND RUNS HOSTS PORTS COMMAND...
tool() {
	local name=$1 kind=$2 runs=$3 hosts=$4 ports=$5 ver
	shift 5
	case $kind in
	ringscan) ver=$V_RS ;;
	nmap) ver=$V_NMAP ;;
	masscan) ver=$V_MASSCAN ;;
	zmap) ver=$V_ZMAP ;;
	esac
	TOOLS+=("$name")
	T_KIND[$name]=$kind
	T_RUNS[$name]=$runs
	T_VER[$name]=$ver
	T_HOSTS[$name]=$hosts
	T_PORTS[$name]=$ports
	T_CMD[$name]="$*"
	T_NOTE[$name]=
	if [ -z "$ver" ]; then
		T_RUNS[$name]=0
		T_NOTE[$name]="not installed"
	fi
}

# A row that is not run, with the reason.
tool_skip() {
	TOOLS+=("$1")
	T_KIND[$1]=none
	T_RUNS[$1]=0
	T_VER[$1]=
	T_NOTE[$1]=$2
}

# ---- parsing and scoring ----------------------------------------------------

median() {
	printf '%s\n' "$@" | grep -v '^-*$' | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] :
			(v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

csv_quote() {
	local s=${1//\"/\"\"}
	printf '"%s"' "$s"
}

# csv_row FIELD... (28, as CSV_HEADER): "-" becomes empty; targets and
# ports (fields 5, 6) have their separators turned into spaces so that no
# field but the last two (quoted) holds a comma.
csv_row() {
	local -a f=("$@")
	local i out=
	f[4]=${f[4]//,/ }
	f[5]=${f[5]//,/ }
	for ((i = 0; i < 26; i++)); do
		[ "${f[$i]}" = - ] && f[$i]=
		out+="${f[$i]},"
	done
	echo "$out$(csv_quote "${f[26]}"),$(csv_quote "${f[27]}")"
}

# truth_for HOSTS PORTS -> path of the truth file (made once per testbed).
declare -A TRUTH_CACHE
truth_for() {
	local key="$1|$2" f
	f=${TRUTH_CACHE[$key]:-}
	if [ -z "$f" ]; then
		f="$TMPD/truth.${#TRUTH_CACHE[@]}.$SCEN_ID"
		wan_truth "$1" "$2" >"$f"
		TRUTH_CACHE[$key]=$f
	fi
	echo "$f"
}

# field LINE KEY: the value after KEY in a "key value ..." line.
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"
}

# run_one TOOL RUN
run_one() {
	local name=$1 run=$2 kind=${T_KIND[$1]} id out cmd rc wall user sys rss
	local cpu acc truth rows oponly=0 zport='' syn='' synps='' rep='' repps=''
	local probes pps w0 w1 wlost=- wdrop=- ld0 ld1
	id="$SCEN_ID-${name//[^A-Za-z0-9@.-]/_}-$run"
	case $kind in
	ringscan) out="$TMPD/$id.csv" ;;
	nmap) out="$TMPD/$id.xml" ;;
	*) out="$TMPD/$id.txt" ;;
	esac
	cmd=${T_CMD[$name]//\{OUT\}/$out}
	truth=$(truth_for "${T_HOSTS[$name]}" "${T_PORTS[$name]}")
	probes=$(wc -l <"$truth")
	PROBES[$name]=$probes
	case $kind in
	masscan) oponly=1 ;;
	zmap)
		oponly=1
		zport=${T_PORTS[$name]}
		;;
	esac

	if [ -n "$SCEN_COUNT" ]; then
		wan_count_start syn && wan_count_start reply ||
			say "$id: syncount failed"
	fi
	[ "$kind" = masscan ] && pinger_start
	w0=$(wan_wanem_counters)
	ld0=$(wan_target_drops)
	# shellcheck disable=SC2086
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "$RUN_TIMEOUT" $cmd \
		>"$TMPD/$id.stdout" 2>"$TMPD/$id.stderr"
	rc=$?
	pinger_stop
	w1=$(wan_wanem_counters)
	ld1=$(wan_target_drops)
	if [ -n "$ld0" ] && [ -n "$ld1" ] && [ "$ld1" -gt "$ld0" ]; then
		R_LDROP[$name]+="$((ld1 - ld0)) "
	fi
	if [ -n "$w0" ] && [ -n "$w1" ]; then
		wlost=$(($(field "$w1" lost) - $(field "$w0" lost)))
		wdrop=$(($(field "$w1" dropped) - $(field "$w0" dropped)))
		[ "$wdrop" -gt 0 ] && R_WDROP[$name]+="$wdrop "
	fi
	if [ -n "$SCEN_COUNT" ]; then
		wan_count_stop syn
		syn=$(field "$WAN_COUNT_LINE" syn)
		synps=$(field "$WAN_COUNT_LINE" rate_pps)
		wan_count_stop reply
		rep=$(field "$WAN_COUNT_LINE" replies)
		repps=$(field "$WAN_COUNT_LINE" rate_pps)
	fi
	read -r wall user sys rss < <(tail -1 "$TMPD/$id.time")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	pps=$(awk -v n="$probes" -v w="$wall" 'BEGIN { printf "%.0f", (w > 0) ? n / w : 0 }')
	rows="$TMPD/$id.rows"
	rows_of "$kind" "$out" "$zport" >"$rows"
	acc=$(accuracy "$truth" "$rows" "$oponly")
	[ "$rc" -eq 0 ] || say "$id exited $rc ($(tail -c 200 "$TMPD/$id.stderr" | tr '\r\n' '  '))"
	printf '  %-16s run %d: %7.2f s wall %6.2f s cpu %8d KB %9s SYN/s  acc %s%s\n' \
		"$name" "$run" "$wall" "$cpu" "$rss" "${synps:--}" "$acc" \
		"$([ "$rc" -eq 0 ] || echo "  exit $rc")" >&2
	csv_row "$SCEN_CSV" "$SCEN_BED" "$name" "$run" "${T_HOSTS[$name]}" \
		"${T_PORTS[$name]}" "$probes" "$wall" "$user" "$sys" "$cpu" "$rss" \
		"$pps" "$syn" "$synps" "$rep" "$repps" $acc "$wlost" "$wdrop" "$rc" \
		"${T_VER[$name]}" "$cmd" >>"$RES/$SCEN_CSV.csv.tmp"
	R_WALL[$name]+="$wall "
	R_CPU[$name]+="$cpu "
	R_RSS[$name]+="$rss "
	R_PPS[$name]+="$pps "
	R_SYN[$name]+="${syn:--} "
	R_SYNPS[$name]+="${synps:--} "
	R_REP[$name]+="${rep:--} "
	R_REPPS[$name]+="${repps:--} "
	R_ACC[$name]+="${acc// /,} "
	[ "$rc" -eq 0 ] || R_RC[$name]+="$rc "
	LAST_CMD[$name]=$cmd
}

# run_tools: every tool RUNS times, interleaved.
run_tools() {
	local run name max=0
	for name in "${TOOLS[@]}"; do
		[ "${T_RUNS[$name]}" -gt "$max" ] && max=${T_RUNS[$name]}
	done
	for ((run = 1; run <= max; run++)); do
		for name in "${TOOLS[@]}"; do
			[ "$run" -le "${T_RUNS[$name]}" ] || continue
			run_one "$name" "$run"
		done
	done
}

# Worst run's accuracy (most errors) as "found / missed / false | right /
# wrong" cells.
acc_cells() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | awk -F, '
		{ e = $2 + $3 + $5 + $6; if (NR == 1 || e > worst) { worst = e; w = $0 } }
		END { split(w, a, ",")
		      f = (a[4] == "-") ? "n/a (open only)" : \
			  sprintf("%d / %d", a[4], a[5] + a[6])
		      printf "%d / %d / %d | %s", a[1], a[2], a[3], f }'
}

# wrong_cell ACC_RUNS PROBES: the worst run's wrong answers (open missed,
# false open, filtered missed, false filtered) and their share of probes.
wrong_cell() {
	# shellcheck disable=SC2086
	printf '%s\n' $1 | awk -F, -v n="$2" '
		{ e = $2 + $3 + $5 + $6; if (NR == 1 || e > worst) worst = e }
		END { if (worst == 0) print "**0**"
		      else printf "%d (%.2g %%)\n", worst, 100 * worst / n }'
}

# reply_cell TOOL RATE: replies/s, except for AF_XDP scans, whose answers
# are taken from the driver before any packet socket (syncount) sees them.
reply_cell() {
	if [[ $1 == ringscan-sS* ]] && awk -v r="${2:-0}" 'BEGIN { exit !(r + 0 == 0) }'; then
		echo "n/a (AF_XDP)"
	else
		fmt "$2" '%.0f'
	fi
}

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "") print "-"; else printf f, v }'; }

# summary_table: the markdown table of the current tools.  The ratio is
# the tool's time per probe over ringscan's (= the wall-time ratio when
# both scanned the same targets).
summary_table() {
	local name base_w base_p wall ratio cpu rss pps synps repps runs cmd note
	base_w=
	if [ -n "${R_WALL[ringscan]:-}" ]; then
		# shellcheck disable=SC2086
		base_w=$(median ${R_WALL[ringscan]})
		base_p=${PROBES[ringscan]}
	fi
	echo "| tool | runs | targets × ports | probes | wall s | × ringscan | wrong answers | probes/s | CPU s | peak RSS MiB | SYN/s at target | replies/s at scanner | open found / missed / false | filtered right / wrong | command |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for name in "${TOOLS[@]}"; do
		if [ -z "${R_WALL[$name]:-}" ]; then
			echo "| $name | 0 | | | | | | | | | | | | | ${T_NOTE[$name]:-not run} |"
			continue
		fi
		# shellcheck disable=SC2086
		{
			wall=$(median ${R_WALL[$name]})
			cpu=$(median ${R_CPU[$name]})
			rss=$(median ${R_RSS[$name]})
			pps=$(median ${R_PPS[$name]})
			synps=$(median ${R_SYNPS[$name]})
			repps=$(median ${R_REPPS[$name]})
			runs=$(wc -w <<<"${R_WALL[$name]}")
		}
		ratio=-
		[ -n "$base_w" ] && ratio=$(awk -v w="$wall" -v p="${PROBES[$name]}" \
			-v bw="$base_w" -v bp="$base_p" \
			'BEGIN { if (bw > 0 && p > 0) printf "%.2f", (w / p) / (bw / bp); else print "-" }')
		cmd=${LAST_CMD[$name]//$TMPD\//}
		note=${R_RC[$name]:+ (exit codes: ${R_RC[$name]% })}
		[ -n "${R_WDROP[$name]:-}" ] &&
			note+=" **wanem overran: dropped ${R_WDROP[$name]% } frames**"
		[ -n "${R_LDROP[$name]:-}" ] &&
			note+=" **target listen queue full: ${R_LDROP[$name]% } SYNs dropped**"
		note+=${T_NOTE[$name]:+ ${T_NOTE[$name]}}
		# shellcheck disable=SC2016
		printf '| %s | %s | %s × %s | %s | %.2f | %s | %s | %s | %.2f | %.1f | %s | %s | %s | `%s`%s |\n' \
			"$name" "$runs" "${T_HOSTS[$name]}" "${T_PORTS[$name]}" \
			"${PROBES[$name]}" "$wall" "$ratio" \
			"$(wrong_cell "${R_ACC[$name]}" "${PROBES[$name]}")" "$pps" "$cpu" \
			"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" \
			"$(fmt "$synps" '%.0f')" "$(reply_cell "$name" "$repps")" \
			"$(acc_cells "${R_ACC[$name]}")" "$cmd" "$note"
	done
}

# scenario_begin CSV TESTBED ID COUNT
scenario_begin() {
	SCEN_CSV=$1
	SCEN_BED=$2
	SCEN_ID=$3
	SCEN_COUNT=$4
	TRUTH_CACHE=()
	reset_tools
}

# truth_line: what the target holds, for the section text.
truth_line() {
	local o f
	o=$(tr '\n' ' ' <"$WAN_TMP/open" | sed 's/ $//')
	f=$(tr '\n' ' ' <"$WAN_TMP/filtered" | sed 's/ $//')
	echo "Target: listeners on \`$o\`;" \
		"${f:+SYN drops on \`$f\`;}$([ -n "$f" ] || echo 'no SYN drops;')" \
		"every other port closed (RST)."
}

# ---- scanners' command lines ---------------------------------------------
rs_cmd() { echo "$RS --states open,filtered -oC {OUT} $*"; }
nmap_tuned() { echo "nmap -Pn -n --min-rate 30000 --max-retries 2 $*"; }
masscan_cmd() {
	echo "masscan -e $WAN_IF_S --router-mac $(wan_target_mac)" \
		"--adapter-ip $WAN_SCANNER_IP --wait 1 -oL {OUT} $*"
}
zmap_cmd() {
	echo "zmap -q -b /dev/null -i $WAN_IF_S -G $(wan_target_mac)" \
		"-S $WAN_SCANNER_IP -c 1 -o {OUT} $*"
}

# ==== 1: loopback =============================================================
scen_loopback() {
	local open="22 80 443 8080 45000" ports=1-65535 t=127.0.0.1
	say "loopback: 127.0.0.1, TCP 1-65535"
	scenario_begin loopback lo loopback ""
	wan_up_lo || die "loopback testbed failed"
	# shellcheck disable=SC2086
	wan_listen $open || die "listeners failed"
	[ -n "$V_RS" ] && tool ringscan ringscan "$RUNS" $t $ports \
		"$(rs_cmd -p- $t)"
	tool nmap-T4 nmap "$RUNS" $t $ports \
		"nmap -sT -T4 -Pn -n -p $ports -oX {OUT} $t"
	tool nmap-T5 nmap "$RUNS" $t $ports \
		"nmap -sT -T5 -Pn -n -p $ports -oX {OUT} $t"
	tool nmap-tuned nmap "$RUNS" $t $ports \
		"$(nmap_tuned -sT -p $ports -oX {OUT} $t)"
	tool_skip masscan "cannot scan loopback (needs an Ethernet link)"
	tool_skip zmap "cannot scan loopback (needs an Ethernet link)"
	run_tools
	{
		echo "## 1. Localhost, TCP 1-65535"
		echo
		echo "One private namespace, scanner and target on 127.0.0.1. $(truth_line)"
		echo
		summary_table
		echo
	} >>"$MD"
	wan_down
}

# ==== 2: one host across the WAN =============================================
scen_wan() {
	local open="21 22 25 80 443 3306 5432 8080 8443 50000"
	local filt="23 135 445 1433 6379" ports=1-65535 t=198.18.0.2
	say "wan: one host through wanem, TCP 1-65535"
	scenario_begin wan wan wan 1
	WAN_STATS_FILE=$TMPD/wanem.wan.stats
	: >"$WAN_STATS_FILE"
	wan_up 20 2 1 || die "WAN testbed failed"
	# shellcheck disable=SC2086
	{ wan_listen $open && wan_filter $filt; } || die "target setup failed"
	[ -n "$V_RS" ] && tool ringscan ringscan "$RUNS" $t $ports \
		"$(rs_cmd -p- $t)"
	[ -n "$RS_SYN" ] && tool ringscan-sS ringscan "$RUNS" $t $ports \
		"$(rs_cmd -sS -p- $t)"
	tool nmap-tuned nmap "$RUNS" $t $ports \
		"$(nmap_tuned -sT -p $ports -oX {OUT} $t)"
	tool nmap-tuned-sS nmap "$RUNS" $t $ports \
		"$(nmap_tuned -sS -p $ports -oX {OUT} $t)"
	tool masscan masscan "$RUNS" $t $ports \
		"$(masscan_cmd --rate 100000 -p $ports $t)"
	tool_skip zmap "zmap 2.1 scans one port per run"
	tool nmap-T4 nmap "$SLOW_RUNS" $t $ports \
		"nmap -sT -T4 -Pn -n -p $ports -oX {OUT} $t"
	tool nmap-T5 nmap "$SLOW_RUNS" $t $ports \
		"nmap -sT -T5 -Pn -n -p $ports -oX {OUT} $t"
	if [ "$SLOW_RUNS" -eq 0 ]; then
		T_NOTE[nmap-T4]="skipped in quick mode (~150 s; make bench runs it)"
		T_NOTE[nmap-T5]="skipped in quick mode (~145 s; make bench runs it)"
	fi
	run_tools
	local tl
	tl=$(truth_line)
	wan_down
	{
		echo "## 2. One host across the emulated WAN, TCP 1-65535"
		echo
		echo "Scanner and target joined through wanem: 20 ms each way (≈40 ms RTT)," \
			"jitter ±2 ms, 1 % loss per frame each way. $tl"
		echo
		summary_table
		echo
		wanem_note
	} >>"$MD"
}

wanem_note() {
	echo "wanem counters over the scenario:"
	echo
	sed 's/^/    /' "$WAN_STATS_FILE"
	echo
	if awk '{ for (i = 1; i < NF; i++)
			if ($i ~ /^(dropped|kernel_drops)$/ && $(i + 1) > 0) bad = 1 }
		END { exit !bad }' "$WAN_STATS_FILE"; then
		echo "**Note:** wanem dropped frames (queue full or socket overrun):" \
			"the runs marked *wanem overran* sent faster than the" \
			"emulator could forward on this shared 2-core machine, and saw" \
			"loss beyond the 1 % asked for.  Their accuracy reflects a" \
			"congested link, not only the scanner."
		echo
	fi
}

# ==== 3 and 6: subnets, SYN scanners ============================================
subnet_target() {
	wan_subnet 198.19.0.0/16 || die "subnet route failed"
	wan_listen 0.0.0.0:22 0.0.0.0:80 0.0.0.0:443 198.19.7.7:8080 \
		198.19.40.1:8080 198.19.200.1:3306 || die "listeners failed"
	wan_filter 198.19.0.0/20:3306 198.19.100.0/24:'*' ||
		die "filters failed"
}

subnet_tools() {
	local ports=22,80,443,3306,8080 sfx=${1:-} net=${2:-$SUBNET}
	local nnet=${3:-$NMAP_SUBNET}
	[ -n "$V_RS" ] && tool "ringscan$sfx" ringscan "$RUNS" "$net" $ports \
		"$(rs_cmd -p $ports "$net")"
	[ -n "$RS_SYN" ] && tool "ringscan-sS$sfx" ringscan "$RUNS" "$net" \
		$ports "$(rs_cmd -sS -p $ports "$net")"
	tool "masscan$sfx" masscan "$RUNS" "$net" $ports \
		"$(masscan_cmd --rate 100000 -p $ports "$net")"
	tool "zmap$sfx" zmap "$RUNS" "$net" 80 \
		"$(zmap_cmd -r 100000 -p 80 "$net")"
	tool "nmap-tuned$sfx" nmap "$SLOW_RUNS" "$nnet" $ports \
		"$(nmap_tuned -sT --min-hostgroup 4096 -p $ports -oX {OUT} "$nnet")"
	[ "$SLOW_RUNS" -gt 0 ] || T_RUNS[nmap-tuned$sfx]=1
}

scen_subnet_veth() {
	say "subnet on veth: $SUBNET x 5 ports"
	scenario_begin subnet veth subnet-veth 1
	wan_up_veth || die "veth testbed failed"
	subnet_target
	subnet_tools
	tool nmap-tuned-sS nmap "$SLOW_RUNS" "$NMAP_SUBNET" 22,80,443,3306,8080 \
		"$(nmap_tuned -sS --min-hostgroup 4096 -p 22,80,443,3306,8080 -oX {OUT} "$NMAP_SUBNET")"
	[ "$SLOW_RUNS" -gt 0 ] || T_RUNS[nmap-tuned-sS]=1
	run_tools
	syn_rows >"$TMPD/syn.md"
	{
		echo "## 3a. A subnet on plain veth: $SUBNET × 5 ports"
		echo
		echo "The target namespace answers all of 198.19.0.0/16 through a" \
			"local route. $(truth_line) nmap scans $NMAP_SUBNET to fit" \
			"the time box; zmap 2.1 scans one port (80) per run and is" \
			"scored on that port only."
		echo
		summary_table
		echo
	} >>"$MD"
	wan_down
}

# Scenario 6's table: packets per second of the raw-socket scanners, from
# the subnet-on-veth runs.
syn_rows() {
	local name synps repps
	echo "| tool | SYN/s at target | replies/s at scanner | open found / missed / false | filtered right / wrong | command |"
	echo "|---|---|---|---|---|---|"
	for name in "${TOOLS[@]}"; do
		case $name in masscan | zmap | nmap-tuned-sS | ringscan-sS | ringscan) ;; *) continue ;; esac
		[ -n "${R_WALL[$name]:-}" ] || continue
		# shellcheck disable=SC2086
		synps=$(median ${R_SYNPS[$name]})
		# shellcheck disable=SC2086
		repps=$(median ${R_REPPS[$name]})
		# shellcheck disable=SC2016
		printf '| %s | %s | %s | %s | `%s` |\n' "$name" "$(fmt "$synps" '%.0f')" \
			"$(reply_cell "$name" "$repps")" "$(acc_cells "${R_ACC[$name]}")" \
			"${LAST_CMD[$name]//$TMPD\//}"
	done
}

scen_subnet_wan() {
	local ports=22,80,443,3306,8080
	say "subnet through the WAN: $SUBNET x 5 ports (and smaller prefixes)"
	scenario_begin subnet wan subnet-wan 1
	WAN_STATS_FILE=$TMPD/wanem.subnet.stats
	: >"$WAN_STATS_FILE"
	wan_up 20 2 1 || die "WAN testbed failed"
	subnet_target
	subnet_tools
	# Smaller prefixes, one run each, for the time-vs-ports plot.
	local b net nbits=${NMAP_SUBNET#*/} sizes=
	[ "$MODE" = full ] && sizes="20 18"
	for b in $sizes; do
		net=198.19.0.0/$b
		[ -n "$V_RS" ] && tool "ringscan@$b" ringscan 1 "$net" $ports \
			"$(rs_cmd -p $ports "$net")"
		[ -n "$RS_SYN" ] && tool "ringscan-sS@$b" ringscan 1 "$net" \
			$ports "$(rs_cmd -sS -p $ports "$net")"
		tool "masscan@$b" masscan 1 "$net" $ports \
			"$(masscan_cmd --rate 100000 -p $ports "$net")"
		tool "zmap@$b" zmap 1 "$net" 80 \
			"$(zmap_cmd -r 100000 -p 80 "$net")"
		[ "$b" -gt "$nbits" ] && tool "nmap-tuned@$b" nmap 1 "$net" \
			$ports "$(nmap_tuned -sT --min-hostgroup 4096 -p $ports -oX {OUT} "$net")"
	done
	run_tools
	wan_down
	{
		echo "## 3b. A subnet across the emulated WAN: $SUBNET × 5 ports"
		echo
		echo "The same target behind wanem (40 ms RTT, ±2 ms, 1 % loss each way)." \
			"$([ -n "$sizes" ] && echo "Rows named @20 / @18 scan" \
				"198.19.0.0/20 / /18 once each (the time-vs-ports plot).")"
		echo
		summary_table
		echo
		wanem_note
	} >>"$MD"
}

# ==== 4: rate accuracy ==========================================================
# Per rate: hosts such that 16 ports x hosts takes ~RATE_SECS at that rate
# (zmap: one port, 16 times the hosts, capped at the /16).
rate_prefix() {
	local rate=$1 mult=${2:-1} n bits
	n=$(awk -v r="$rate" -v s="$RATE_SECS" -v m="$mult" 'BEGIN { printf "%d", r * s * m / 16 }')
	# The nearest power of two (in log terms), at most the /16.
	bits=$(awk -v n="$n" 'BEGIN { b = int(log(n) / log(2) + 0.5)
		if (b < 0) b = 0; if (b > 16) b = 16; print b }')
	echo "198.19.0.0/$((32 - bits))"
}

scen_rate() {
	local r net znet k
	say "rate: --rate 1k, 10k, 100k on veth"
	scenario_begin rate veth rate 1
	wan_up_veth || die "veth testbed failed"
	wan_subnet 198.19.0.0/16 || die "subnet route failed"
	wan_listen 0.0.0.0:7 0.0.0.0:13 || die "listeners failed"
	for r in 1000 10000 100000; do
		k=$((r / 1000))k
		net=$(rate_prefix $r)
		znet=$(rate_prefix $r 16)
		[ -n "$V_RS" ] && tool "ringscan@$k" ringscan "$RUNS" "$net" 1-16 \
			"$(rs_cmd --rate $r -p 1-16 "$net")"
		[ -n "$RS_SYN" ] && tool "ringscan-sS@$k" ringscan "$RUNS" "$net" \
			1-16 "$(rs_cmd -sS --rate $r -p 1-16 "$net")"
		tool "masscan@$k" masscan 1 "$net" 1-16 \
			"$(masscan_cmd --rate $r -p 1-16 "$net")"
		tool "zmap@$k" zmap 1 "$znet" 7 \
			"$(zmap_cmd -r $r -p 7 "$znet")"
	done
	for k in "${TOOLS[@]}"; do T_RATE[$k]=${k##*@}; done
	run_tools
	wan_down
	{
		echo "## 4. Rate accuracy: --rate 1k, 10k, 100k"
		echo
		echo "Plain veth; the target answers 198.19.0.0/16, ports 7 and 13 open," \
			"1-16 scanned (zmap: port 7 on 16 times the hosts, at most the /16)," \
			"each scan sized to last about $RATE_SECS s at its rate." \
			"**Method:** \`bench/syncount\` in the target namespace counts" \
			"every pure SYN arriving on its interface, with the kernel's" \
			"receive time stamp of each; achieved rate = (SYNs − 1) /" \
			"(last SYN − first SYN), so neither the scanner's start-up nor" \
			"its closing wait counts, and the count includes retries" \
			"(which --rate also covers).  Flag: achieved off by more than" \
			"${RATE_TOLERANCE} %."
		echo
		rate_table
		echo
	} >>"$MD"
}

rate_table() {
	local name want syn span synps ratio flag runs acc
	echo "| tool | --rate | runs | probes | SYNs at target | first→last SYN s | achieved SYN/s | achieved / --rate | within ${RATE_TOLERANCE} % | wall s | open found / missed / false | command |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	for name in "${TOOLS[@]}"; do
		want=$(awk -v k="${T_RATE[$name]}" 'BEGIN { sub("k", "", k); print k * 1000 }')
		if [ -z "${R_WALL[$name]:-}" ]; then
			echo "| $name | $want | 0 | | | | | | | | | ${T_NOTE[$name]:-not run} |"
			continue
		fi
		# shellcheck disable=SC2086
		{
			syn=$(median ${R_SYN[$name]})
			synps=$(median ${R_SYNPS[$name]})
			runs=$(wc -w <<<"${R_WALL[$name]}")
		}
		span=$(awk -v n="$syn" -v r="$synps" 'BEGIN { if (r > 0) printf "%.2f", (n - 1) / r; else print "-" }')
		ratio=$(awk -v a="$synps" -v w="$want" 'BEGIN { printf "%.3f", a / w }')
		flag=$(awk -v q="$ratio" -v t="$RATE_TOLERANCE" \
			'BEGIN { d = (q - 1) * 100; if (d < 0) d = -d; print (d <= t) ? "yes" : sprintf("**NO** (%+.1f %%)", (q - 1) * 100) }')
		acc=$(acc_cells "${R_ACC[$name]}")
		# shellcheck disable=SC2016,SC2086
		printf '| %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %.2f | %s | `%s` |\n' \
			"$name" "$want" "$runs" "${PROBES[$name]}" "$(fmt "$syn" '%.0f')" "$span" \
			"$synps" "$ratio" "$flag" "$(median ${R_WALL[$name]})" \
			"${acc%% |*}" "${LAST_CMD[$name]//$TMPD\//}"
		echo "${name%@*} $want $ratio ${acc%% |*}" >>"$TMPD/rate.plot"
	done
}

# ==== 5: memory ===================================================================
# mem_run LABEL SECONDS COMMAND...: peak RSS of a scan stopped by SIGINT
# after SECONDS; prints "rss_kb attempts wall rc".
mem_run() {
	local label=$1 secs=$2 id rss wall sent rc
	shift 2
	id="memory-$label"
	# The text report of a /8 is hundreds of MB and not needed here.
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "$secs" "$@" >/dev/null 2>"$TMPD/$id.stderr"
	rc=$?
	read -r wall _ _ rss < <(tail -1 "$TMPD/$id.time")
	sent=$(sed -n 's/^ringscan: \([0-9]*\) probes, \([0-9]*\) attempts.*/\2/p' \
		"$TMPD/$id.stderr" | tail -1)
	echo "$rss ${sent:--} $wall $rc"
}

scen_memory() {
	local out rss sent wall
	say "memory: /16 x 1-65535 and /8 x 1 port, stopped after $MEM_SECS s"
	scenario_begin memory lo memory ""
	wan_up_lo || die "loopback testbed failed"
	{
		echo "## 5. Memory"
		echo
		echo "Peak RSS (\`/usr/bin/time\`) of ringscan scans stopped by SIGINT after $MEM_SECS s." \
			"**Why stopped:** a whole /16 × 1-65535 is 4.3 billion probes" \
			"(about a day at this machine's ~60k probes/s) and a /8 × 1 port" \
			"is 16.7 million (~4-5 min), beyond the time box.  Neither is" \
			"needed for the peak: memory is fixed at start (ring, in-flight" \
			"table, permutation) except the state store, 2 bits per probe in" \
			"a lazily backed mapping where a 4 KiB page (16384 probes) is" \
			"touched on the first answer in it.  Probes go out in a random" \
			"order over the whole space, so after N answers a fraction" \
			"1 − e^(−N/pages) of the pages is touched: on loopback every" \
			"address answers (RST) and the runs below send enough probes to" \
			"touch nearly all of the store, i.e. the peak of a full scan in" \
			"which every host answers.  A /16 that does not answer at all" \
			"costs no store pages."
		echo
		echo "| case | probes in the space | store if every probe answered | probes sent before the stop | expected pages touched | peak RSS MiB | command |"
		echo "|---|---|---|---|---|---|---|"
	} >>"$MD"
	if [ -n "$V_RS" ]; then
		mem_row "/16 × 1-65535, every address answers" 127.0.0.0/16 \
			1-65535 "$RS -v -p- 127.0.0.0/16"
		mem_row "/8 × 1 port, every address answers" 127.0.0.0/8 80 \
			"$RS -v -p 80 127.0.0.0/8"
	fi
	wan_down
	if [ -n "$V_RS" ] && [ "$MODE" = full ]; then
		wan_up_veth || die "veth testbed failed"
		wan_subnet 198.19.0.0/16 || die "subnet route failed"
		wan_filter 198.19.0.0/16:'*' || die "filters failed"
		mem_row "/16 × 1-65535 across veth, nothing answers" \
			198.19.0.0/16 1-65535 "$RS -v -p- 198.19.0.0/16"
		wan_down
	fi
	echo >>"$MD"
}

# mem_row LABEL TARGETS PORTS COMMAND
mem_row() {
	local label=$1 hosts=$2 ports=$3 cmd=$4 rss sent wall rc space pages
	local store touched id
	space=$(awk -v h="${hosts#*/}" -v p="$ports" 'BEGIN {
		n = split(p, r, "-"); np = (n > 1) ? r[2] - r[1] + 1 : 1
		printf "%.0f", 2 ^ (32 - h) * np }')
	id=$(tr -c 'a-z0-9\n' '_' <<<"${hosts}_$ports")
	# shellcheck disable=SC2086
	read -r rss sent wall rc < <(mem_run "$id" "$MEM_SECS" $cmd)
	pages=$(awk -v s="$space" 'BEGIN { printf "%.0f", s / 16384 }')
	store=$(awk -v s="$space" 'BEGIN { printf "%.1f MiB", s / 4 / 1048576 }')
	touched=$(awk -v n="$sent" -v p="$pages" -v l="$label" 'BEGIN {
		if (n == "-" || l ~ /nothing answers/) print "-"
		else if (n / p > 30) print "100.0 %"
		else printf "%.1f %%", 100 * (1 - exp(-n / p)) }')
	# shellcheck disable=SC2016
	printf '| %s | %s | %s | %s | %s | %.1f | `%s` (stopped after %s s) |\n' \
		"$label" "$space" "$store" "$sent" "$touched" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$cmd" "$MEM_SECS" >>"$MD"
	say "  memory $label: $rss KB after $sent attempts"
	csv_row memory "$SCEN_BED" ringscan 1 "$hosts" "$ports" "$space" "$wall" \
		- - - "$rss" - "$sent" - - - - - - - - - - - "$rc" "$V_RS" \
		"$cmd (stopped after $MEM_SECS s)" >>"$RES/memory.csv.tmp"
}

# ==== 7: UDP ======================================================================
# bench/udp.sh builds its own testbed (it keeps the target's ICMP rate
# limits, which none of the TCP scenarios need) and writes results/udp.csv
# and results/udp.md; RESULTS.md below carries udp.md, so a quick run that
# skips this keeps the last full run's section.
scen_udp() {
	say "udp: bench/udp.sh $MODE"
	BUILD=$BUILD UDP_SPLICE=0 bench/udp.sh "$MODE" ||
		say "bench/udp.sh failed; results/udp.md is the last run's"
}

# ==== plots =======================================================================
# One colour per tool in every plot.
fam_lt() {
	case $1 in
	ringscan) echo 1 ;;
	ringscan-sS) echo 2 ;;
	nmap-tuned) echo 3 ;;
	masscan) echo 4 ;;
	zmap) echo 6 ;;
	*) echo 7 ;;
	esac
}

fam_pt() {
	case $1 in
	ringscan) echo 7 ;;
	ringscan-sS) echo 5 ;;
	nmap-tuned) echo 9 ;;
	masscan) echo 11 ;;
	zmap) echo 13 ;;
	*) echo 1 ;;
	esac
}

plots() {
	[ -n "$HAVE_GNUPLOT" ] || { say "no gnuplot: no plots"; return 0; }
	local f fam
	# time vs ports scanned: subnet-through-WAN rows, median per tool/size.
	awk -F, 'NR > 1 && $1 == "subnet" && $2 == "wan" && $26 == 0 {
		fam = $3; sub(/@.*/, "", fam)
		k = fam " " $7; n[k]++; w[k, n[k]] = $8; fams[fam] = 1; keys[k] = 1
		# Worst run of open ports found, in per cent, for the label.
		pct = ($18 + $19 > 0) ? 100 * $18 / ($18 + $19) : 100
		if (!(k in low) || pct < low[k]) low[k] = pct
	}
	END {
		for (k in keys) {
			m = n[k]
			for (i = 1; i <= m; i++) v[i] = w[k, i]
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
				if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			med = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
			split(k, a, " ")
			printf "%s %s %s %.1f%%\n", a[1], a[2], med, low[k]
		}
	}' "$RES/subnet.csv" 2>/dev/null | sort -k1,1 -k2,2n >"$TMPD/tvp.dat"
	{
		echo "set terminal pngcairo size 900,560 font 'sans,11'"
		echo "set output '$RES/time_vs_ports.png.tmp'"
		echo "set title \"Scan time vs probes: 198.19.x.x x 5 ports through the emulated WAN (40 ms RTT, 1 % loss)\\nlabels: open ports found (worst run)\""
		echo "set xlabel 'probes (hosts x ports)'"
		echo "set ylabel 'wall time, s (median)'"
		echo "set logscale xy"
		echo "set format x '%.0s%c'"
		echo "set grid"
		echo "set key top left"
		printf 'plot '
		local first=1 lt
		for fam in $(awk '{ print $1 }' "$TMPD/tvp.dat" | sort -u); do
			[ $first -eq 1 ] || printf ', '
			first=0
			lt=$(fam_lt "$fam")
			printf "'%s' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with linespoints lt %d lw 2 pt %d ps 1.3 title '%s'" \
				"$TMPD/tvp.dat" "$fam" "$lt" "$(fam_pt "$fam")" \
				"$fam$([ "$fam" = zmap ] && echo ' (port 80 only)')"
			printf ", '%s' using 2:(strcol(1) eq '%s' ? \$3 : 1/0):4 with labels tc lt %d offset 0,0.9 font 'sans,9' notitle" \
				"$TMPD/tvp.dat" "$fam" "$lt"
		done
		echo
	} >"$TMPD/tvp.gp"
	if [ -s "$TMPD/tvp.dat" ]; then
		gnuplot "$TMPD/tvp.gp" 2>"$TMPD/tvp.err" ||
			say "time plot failed: $(cat "$TMPD/tvp.err")"
	fi

	# accuracy and achieved rate vs --rate.
	if [ -s "$TMPD/rate.plot" ]; then
		awk '{ split($4, a, " / "); split($0, b, " ")
			of = b[4]; om = b[6]; tot = of + om
			print b[1], b[2], b[3], (tot > 0 ? 100 * of / tot : 100) }' \
			"$TMPD/rate.plot" | sort -k1,1 -k2,2n >"$TMPD/rate.dat"
		{
			echo "set terminal pngcairo size 1000,460 font 'sans,11'"
			echo "set output '$RES/accuracy_vs_rate.png.tmp'"
			echo "set multiplot layout 1,2 title 'Requested --rate on veth: achieved rate (SYNs at the target) and open ports found'"
			echo "set logscale x"
			echo "set xrange [500:200000]"
			echo "set format x '%.0s%c'"
			echo "set grid"
			echo "set xlabel 'requested rate, probes/s'"
			echo "set key bottom left"
			echo "set ylabel 'achieved / requested'"
			echo "set yrange [0:1.2]"
			echo "set object 1 rect from graph 0, first 0.95 to graph 1, first 1.05 fc rgb '#ddeedd' fs solid 0.5 noborder behind"
			printf 'plot '
			local first=1
			for fam in $(awk '{ print $1 }' "$TMPD/rate.dat" | sort -u); do
				[ $first -eq 1 ] || printf ', '
				first=0
				printf "'%s' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with linespoints lt %d lw 2 pt %d ps 1.3 title '%s'" \
					"$TMPD/rate.dat" "$fam" "$(fam_lt "$fam")" "$(fam_pt "$fam")" "$fam"
			done
			echo
			echo "unset object 1"
			echo "set ylabel 'open ports found, % of truth'"
			echo "set yrange [0:105]"
			printf 'plot '
			first=1
			for fam in $(awk '{ print $1 }' "$TMPD/rate.dat" | sort -u); do
				[ $first -eq 1 ] || printf ', '
				first=0
				printf "'%s' using 2:(strcol(1) eq '%s' ? \$4 : 1/0) with linespoints lt %d lw 2 pt %d ps 1.3 title '%s'" \
					"$TMPD/rate.dat" "$fam" "$(fam_lt "$fam")" "$(fam_pt "$fam")" "$fam"
			done
			echo
			echo "unset multiplot"
		} >"$TMPD/rate.gp"
		gnuplot "$TMPD/rate.gp" 2>"$TMPD/rate.err" ||
			say "rate plot failed: $(cat "$TMPD/rate.err")"
	fi
}

# ==== 8: banners =============================================================
# bench/banners.sh is its own script (make bench-banners) with its own
# testbed of real servers; here it runs in full mode only (nmap -sV takes
# minutes a run), or when BENCH_ONLY names it, and its section of
# RESULTS.md (results/banners.md) is carried over otherwise, as the grid's.
scen_banners() {
	if [ "$MODE" != full ] && [[ " ${BENCH_ONLY:-} " != *" banners "* ]]; then
		return 0
	fi
	say "banners: bench/banners.sh $MODE"
	BUILD=$BUILD BENCH_BANNERS_NO_SPLICE=1 bench/banners.sh "$MODE" \
		>/dev/null 2>"$TMPD/banners.err" ||
		say "bench/banners.sh failed: $(tail -3 "$TMPD/banners.err")"
}

# ==== run ===========================================================================
# BENCH_ONLY="rate memory" runs only those scenarios (for working on
# one); the CSVs of the others are then left as they were.
# UDP takes ~30 min in full mode (nmap -sU at one ICMP error per second)
# and is left out of the quick run.
SCENARIOS="loopback wan subnet_veth subnet_wan rate memory banners"
[ "$MODE" = full ] && SCENARIOS+=" udp"
for sc in ${BENCH_ONLY:-$SCENARIOS}; do
	"scen_$sc"
done

AUDIT_MD=
if [ "$MODE" = full ] && [ -x bench/audit.sh ]; then
	say "audit: bench/audit.sh"
	if BUILD=$BUILD timeout 300 bench/audit.sh >"$TMPD/audit.md" \
		2>"$TMPD/audit.err"; then
		AUDIT_MD=$TMPD/audit.md
	else
		say "bench/audit.sh failed: $(tail -3 "$TMPD/audit.err")"
		{
			echo "bench/audit.sh failed:"
			echo
			tail -20 "$TMPD/audit.err" | sed 's/^/    /'
		} >"$TMPD/audit.md"
		AUDIT_MD=$TMPD/audit.md
	fi
fi

for s in "${SCEN_CSVS[@]}"; do
	if [ "$(wc -l <"$RES/$s.csv.tmp")" -gt 1 ]; then
		mv -f "$RES/$s.csv.tmp" "$RES/$s.csv"
	else
		rm -f "$RES/$s.csv.tmp"
	fi
done
plots
for f in time_vs_ports accuracy_vs_rate; do
	[ -f "$RES/$f.png.tmp" ] && mv -f "$RES/$f.png.tmp" "$RES/$f.png"
done

# ---- RESULTS.md ---------------------------------------------------------------
TOTAL=$(($(date +%s) - START))
{
	echo "# ringscan benchmark results"
	echo
	echo "Generated by \`make bench$([ "$MODE" = quick ] && echo -quick)\`" \
		"(\`bench/run.sh $MODE\`) on $(date -u '+%Y-%m-%d %H:%M UTC') in ${TOTAL} s."
	echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
		head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
		"Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME");" \
		"load average at the end $(cut -d' ' -f1-3 /proc/loadavg)" \
		"(the machine is shared: compare within a table, not across runs)."
	echo
	echo "| tool | version |"
	echo "|---|---|"
	echo "| ringscan | ${V_RS:-not built} |"
	echo "| nmap | ${V_NMAP:-missing} |"
	echo "| masscan | ${V_MASSCAN:-missing} |"
	echo "| zmap | ${V_ZMAP:-missing} |"
	echo "| plots | ${V_GNUPLOT:-no gnuplot} |"
	echo
	echo "How to read: wall time is the median of the runs (quick mode: one" \
		"run); × ringscan is the time per probe relative to ringscan's" \
		"(the wall-time ratio when both scanned the same targets);" \
		"*wrong answers* are the worst run's open ports missed + false" \
		"open + filtered missed + false filtered, next to every time" \
		"because a fast wrong answer is not a win; CPU =" \
		"user + sys of the scanner process; accuracy is the worst run's," \
		"against the testbed's ground truth (\`tests/integration/testbed.sh\`, the same" \
		"one the integration tests use).  \"filtered wrong\" = filtered" \
		"ports reported otherwise + other ports reported filtered; masscan" \
		"and zmap report open ports only.  SYN/s at target and replies/s at" \
		"scanner are counted on the wire by \`bench/syncount\` (first to last" \
		"packet; answers to an AF_XDP scan are taken by XDP before any" \
		"packet socket sees them, hence n/a).  Per-run rows with exact commands and versions:" \
		"\`results/*.csv\`."
	echo
	echo "![time vs ports](results/time_vs_ports.png)"
	echo
	echo "![accuracy vs rate](results/accuracy_vs_rate.png)"
	echo
	cat "$MD"
	echo "## 6. SYN scanners on the same veth"
	echo
	if [ -n "$RS_SYN" ]; then
		echo "Packets per second on the wire and accuracy of the SYN" \
			"scanners on the veth and targets of scenario 3a (ringscan -sT" \
			"for reference; -sS rows appear because \`$RS -sS --dry-run\`" \
			"succeeds).  SYN/s is counted arriving at the target, replies/s" \
			"arriving at the scanner, first to last packet."
	else
		echo "ringscan has no -sS mode yet (\`$RS -sS --dry-run -p 1 198.18.0.2\`" \
			"fails); bench/run.sh adds ringscan-sS rows to scenarios 2-4" \
			"as soon as it succeeds.  Until then, the raw-socket scanners" \
			"on the veth of scenario 3a, with ringscan -sT for reference:"
	fi
	echo
	cat "$TMPD/syn.md" 2>/dev/null
	echo
	if [ -s "$RES/udp.md" ]; then
		cat "$RES/udp.md"
	fi
	if [ -n "$AUDIT_MD" ]; then
		echo "## Audit (bench/audit.sh)"
		echo
		cat "$AUDIT_MD"
		echo
	fi
	# bench/banners.sh's last section (this run's in full mode).
	if [ -s "$RES/banners.md" ]; then
		echo "## 8. Banners and -sV (bench/banners.sh)"
		echo
		cat "$RES/banners.md"
		echo
	fi
	# The congestion grid is its own, longer run (bench/grid.sh, make
	# bench-grid): its last table is carried over as it stands.
	if [ -s "$RES/grid.md" ]; then
		echo "## Congestion grid (bench/grid.sh)"
		echo
		cat "$RES/grid.md"
		echo
	fi
	echo "## Notes"
	echo
	echo "- masscan is run with a pinger on the link (\`ping -i 0.2\`): its" \
		"receive thread otherwise blocks in libpcap after the scan until" \
		"one more packet arrives (20-30 s on an idle link), which would" \
		"count against it."
	echo "- zmap and masscan get \`-c 1\` / \`--wait 1\` (1 s for late" \
		"answers, 25 round trips of the WAN; defaults are 8 s and 10 s)," \
		"nmap its tuned form" \
		"\`--min-rate 30000 --max-retries 2\` next to its -T4/-T5 defaults."
	echo "- CPU seconds are the scanner process's: kernel work done in" \
		"softirq for its packets may be charged to other tasks (on the WAN," \
		"mostly wanem)."
	echo "- Addresses: 127.0.0.0/8 and 198.18.0.0/15 only, inside" \
		"namespaces created and deleted by the run."
} >bench/RESULTS.md.tmp
mv -f bench/RESULTS.md.tmp bench/RESULTS.md
rm -f "$RES/summary.md"
say "wrote bench/RESULTS.md and $RES/*.csv in ${TOTAL} s"
