#!/bin/bash
# bench/run.sh - connect-scan benchmark: ringscan against nmap -sT.
#
#   BUILD=build bench/run.sh quick|full      (make bench-quick / make bench)
#
# Scenarios (testbeds from bench/wan.sh, all in private namespaces):
#   loopback  one namespace, TCP 1-65535 on 127.0.0.1, a few listeners (one
#             inside the ephemeral range, where a connect can meet itself).
#   wan       scanner and target joined through wanem: 20 ms each way
#             (~40 ms RTT), jitter 2 ms, loss 1 %; ten open ports and five
#             dropped by nft (filtered); TCP 1-65535.
# Each tool runs with its defaults plus what the brief names (nmap: -Pn -n,
# -oX to read its answer; ringscan: -oC, --states open,filtered so filtered
# ports are written).  Runs are interleaved (tool A, B, C, A, B, C, ...) so
# drift on this shared machine hits every tool alike.
#
# Per run: wall, user and system seconds and peak RSS from /usr/bin/time
# (inside the namespace, so namespace entry is not timed) and accuracy
# against the ground truth the testbed set up.  quick: one run each, and
# nmap -T5 across the WAN is skipped (it takes ~145 s); full: median of
# BENCH_RUNS (3) runs, nmap -T5 across the WAN BENCH_SLOW_RUNS (1) times.
# CPU seconds are the scanner process's only: kernel work done in softirq
# on behalf of its packets may be charged to whichever task was running
# (on the WAN, mostly wanem).
#
# Output: bench/results/<scenario>.csv (one row per run) and
# bench/results/summary.md (medians, each with its exact command, version
# and time relative to ringscan).  Scratch files go to bench/results/tmp/.

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

MODE=${1:-quick}
BUILD=${BUILD:-build}
export BUILD
case $MODE in
quick)
	RUNS=1
	SLOW_RUNS=0
	;;
full)
	RUNS=${BENCH_RUNS:-3}
	SLOW_RUNS=${BENCH_SLOW_RUNS:-1}
	;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
RUN_TIMEOUT=${BENCH_TIMEOUT:-400} # seconds per scan before it is killed

RES=bench/results
TMPD=$RES/tmp
RS=$BUILD/ringscan

# shellcheck source=bench/wan.sh
. bench/wan.sh

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for t in nmap nft ping ip; do
	command -v "$t" >/dev/null || die "$t is missing"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
wan_build_wanem >/dev/null || die "cannot build bench/wanem"

rm -rf "$TMPD"
mkdir -p "$TMPD" || die "cannot create $TMPD"

NMAP_VERSION=$(nmap --version | sed -n 's/^Nmap version \([^ ]*\).*/nmap \1/p')
if [ -x "$RS" ]; then
	RS_VERSION=$("$RS" --version 2>/dev/null | head -1)
	[ -n "$RS_VERSION" ] || RS_VERSION="ringscan"
	# The binary may come from uncommitted work: name the base commit and
	# the binary itself.
	RS_VERSION="$RS_VERSION (tree on git $(git rev-parse --short HEAD \
		2>/dev/null), binary sha256 $(sha256sum "$RS" | cut -c1-12))"
else
	RS_VERSION=
	echo "bench: $RS not built: nmap rows only" >&2
fi

CSV_HEADER="scenario,tool,run,wall_s,user_s,sys_s,cpu_s,max_rss_kb,"
CSV_HEADER+="open_found,open_missed,false_open,filtered_right,"
CSV_HEADER+="filtered_missed,false_filtered,exit_code,version,command"

# Per scenario: tool names in order, and per tool its command template,
# kind (csv|xml), runs, version, and the results gathered.
declare -a TOOLS
declare -A T_CMD T_KIND T_RUNS T_VER T_NOTE R_WALL R_CPU R_RSS R_ACC R_RC
SUMMARY=$RES/summary.md.tmp
# Results replace the old ones only when the whole benchmark finished.
wan_atexit "rm -f '$SUMMARY' '$RES/loopback.csv.tmp' '$RES/wan.csv.tmp'"

# tool NAME KIND RUNS VERSION COMMAND...; {OUT} and {TARGET} are replaced.
tool() {
	local name=$1 kind=$2 runs=$3 ver=$4
	shift 4
	TOOLS+=("$name")
	T_KIND[$name]=$kind
	T_RUNS[$name]=$runs
	T_VER[$name]=$ver
	T_CMD[$name]="$*"
	T_NOTE[$name]=
	R_WALL[$name]=
	R_CPU[$name]=
	R_RSS[$name]=
	R_ACC[$name]=
	R_RC[$name]=
}

# "port state" lines from an nmap XML file; unlisted ports are closed.
nmap_states() {
	awk '
	/<extraports / { match($0, /state="[^"]*"/)
		xs = substr($0, RSTART + 7, RLENGTH - 8) }
	/<extrareasons / && match($0, /ports="[^"]*"/) {
		n = split(substr($0, RSTART + 7, RLENGTH - 8), r, ",")
		for (i = 1; i <= n; i++) {
			if (split(r[i], ab, "-") == 1) ab[2] = ab[1]
			for (p = ab[1] + 0; p <= ab[2] + 0; p++) print p, xs
		}
	}
	/<port protocol="tcp"/ {
		match($0, /portid="[0-9]*"/); p = substr($0, RSTART + 8, RLENGTH - 9)
		match($0, /<state state="[^"]*"/)
		print p, substr($0, RSTART + 14, RLENGTH - 15)
	}' "$1"
}

# "port state" lines from a ringscan CSV (host,port,proto,state,...).
ringscan_states() {
	awk -F, 'NR > 1 && $3 == "tcp" { print $2, $4 }' "$1"
}

# accuracy STATES_FILE "OPEN..." "FILTERED..." -> six numbers
accuracy() {
	awk -v open="$2" -v filt="$3" '
	BEGIN { n = split(open, o, " "); for (i = 1; i <= n; i++) to[o[i]] = 1
		n = split(filt, f, " "); for (i = 1; i <= n; i++) tf[f[i]] = 1 }
	{ st = $2; if (st != "open" && st != "closed") st = "filtered"
	  s[$1] = st }
	END {
		for (p in to) if (s[p] == "open") of++; else om++
		for (p in tf) if (s[p] == "filtered") fr++; else fm++
		for (p in s) {
			if (s[p] == "open" && !(p in to)) fo++
			if (s[p] == "filtered" && !(p in tf)) ff++
		}
		printf "%d %d %d %d %d %d\n", of, om, fo, fr, fm, ff
	}' "$1"
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] :
			(v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

csv_quote() {
	local s=${1//\"/\"\"}
	printf '"%s"' "$s"
}

# run_one SCENARIO TOOL RUN OPEN FILTERED
run_one() {
	local scen=$1 name=$2 run=$3 t_open=$4 t_filt=$5
	local id="$scen-$name-$run" out cmd rc wall user sys rss cpu acc st
	case ${T_KIND[$name]} in
	csv) out="$TMPD/$id.csv" ;;
	*) out="$TMPD/$id.xml" ;;
	esac
	cmd=${T_CMD[$name]//\{OUT\}/$out}
	cmd=${cmd//\{TARGET\}/$WAN_TARGET_IP}
	# shellcheck disable=SC2086
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "$RUN_TIMEOUT" $cmd \
		>"$TMPD/$id.stdout" 2>"$TMPD/$id.stderr"
	rc=$?
	read -r wall user sys rss < <(tail -1 "$TMPD/$id.time")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	st="$TMPD/$id.states"
	if [ -s "$out" ]; then
		if [ "${T_KIND[$name]}" = csv ]; then
			ringscan_states "$out" >"$st"
		else
			nmap_states "$out" >"$st"
		fi
	else
		: >"$st"
	fi
	acc=$(accuracy "$st" "$t_open" "$t_filt")
	[ "$rc" -eq 0 ] || echo "bench: $id exited $rc" \
		"($(tail -1 "$TMPD/$id.stderr"))" >&2
	printf '  %-14s run %d: %6.2f s wall %6.2f s cpu %7d KB  acc %s%s\n' \
		"$name" "$run" "$wall" "$cpu" "$rss" "$acc" \
		"$([ "$rc" -eq 0 ] || echo "  exit $rc")" >&2
	echo "$scen,$name,$run,$wall,$user,$sys,$cpu,$rss,${acc// /,},$rc,$(
		csv_quote "${T_VER[$name]}"),$(csv_quote "$cmd")" >>"$RES/$scen.csv.tmp"
	R_WALL[$name]+="$wall "
	R_CPU[$name]+="$cpu "
	R_RSS[$name]+="$rss "
	R_ACC[$name]+="${acc// /,} "
	[ "$rc" -eq 0 ] || R_RC[$name]+="$rc "
	LAST_CMD[$name]=$cmd
}
declare -A LAST_CMD

# scenario NAME TITLE "OPEN..." "FILTERED..." - runs TOOLS, writes CSV and
# its part of the summary.
scenario() {
	local scen=$1 title=$2 t_open=$3 t_filt=$4 run name max=0 base
	echo "bench: $scen: $title" >&2
	echo "$CSV_HEADER" >"$RES/$scen.csv.tmp"
	for name in "${TOOLS[@]}"; do
		[ "${T_RUNS[$name]}" -gt "$max" ] && max=${T_RUNS[$name]}
	done
	for ((run = 1; run <= max; run++)); do
		for name in "${TOOLS[@]}"; do
			[ "$run" -le "${T_RUNS[$name]}" ] || continue
			run_one "$scen" "$name" "$run" "$t_open" "$t_filt"
		done
	done

	base=
	# shellcheck disable=SC2086
	[ -n "${R_WALL[ringscan]:-}" ] && base=$(median ${R_WALL[ringscan]})
	{
		echo
		echo "## $scen: $title"
		echo
		if [ -n "$t_filt" ]; then
			echo "Ground truth: open ${t_open// /, }; filtered" \
				"${t_filt// /, } (nft drop); every other port closed."
		else
			echo "Ground truth: open ${t_open// /, }; every other" \
				"port closed."
		fi
		echo
		echo "| tool | runs | wall s (median) | × ringscan | CPU s | peak RSS MiB | open found / missed / false | filtered right / wrong | version | command |"
		echo "|---|---|---|---|---|---|---|---|---|---|"
		for name in "${TOOLS[@]}"; do
			scenario_row "$name" "$base"
		done
	} >>"$SUMMARY"
}

# One summary row: medians; accuracy is the worst run's (most errors).
scenario_row() {
	local name=$1 base=$2 wall cpu rss ratio acc runs
	if [ -n "${T_NOTE[$name]}" ] && [ -z "${R_WALL[$name]}" ]; then
		echo "| $name | 0 | - | - | - | - | - | - | ${T_VER[$name]:-} | ${T_NOTE[$name]} |"
		return
	fi
	# shellcheck disable=SC2086
	{
		wall=$(median ${R_WALL[$name]})
		cpu=$(median ${R_CPU[$name]})
		rss=$(median ${R_RSS[$name]})
		runs=$(wc -w <<<"${R_WALL[$name]}")
	}
	ratio=-
	[ -n "$base" ] && ratio=$(awk -v a="$wall" -v b="$base" \
		'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	# shellcheck disable=SC2086
	acc=$(printf '%s\n' ${R_ACC[$name]} | awk -F, '
		{ e = $2 + $3 + $5 + $6; if (NR == 1 || e > worst) { worst = e; w = $0 } }
		END { split(w, a, ",")
		      printf "%d / %d / %d | %d / %d", a[1], a[2], a[3], a[4], a[5] + a[6] }')
	# shellcheck disable=SC2016
	printf '| %s | %s | %.2f | %s | %.2f | %.1f | %s | %s | `%s`%s |\n' \
		"$name" "$runs" "$wall" "$ratio" "$cpu" \
		"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$acc" \
		"${T_VER[$name]}" "${LAST_CMD[$name]}" \
		"${R_RC[$name]:+ (exit codes: ${R_RC[$name]% })}${T_NOTE[$name]:+ ${T_NOTE[$name]}}"
}

reset_tools() {
	TOOLS=()
	T_CMD=()
	T_KIND=()
	T_RUNS=()
	T_VER=()
	T_NOTE=()
	R_WALL=()
	R_CPU=()
	R_RSS=()
	R_ACC=()
	R_RC=()
	LAST_CMD=()
}

add_ringscan() {
	if [ -n "$RS_VERSION" ]; then
		tool ringscan csv "$RUNS" "$RS_VERSION" \
			"$RS" -p- --states open,filtered -oC '{OUT}' '{TARGET}'
	else
		tool ringscan csv 0 "" true
		T_NOTE[ringscan]="not built ($RS missing)"
	fi
}

START=$(date +%s)
{
	echo "# ringscan connect-scan benchmark ($MODE)"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'); Linux $(uname -r);" \
		"$(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
			head -1)); load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "Wall time is the median over the runs; CPU = user + sys of the" \
		"scanner process (softirq work may be charged elsewhere); accuracy" \
		"is the worst run's. \"filtered wrong\" = filtered ports reported" \
		"otherwise + other ports reported filtered. Per-run rows:" \
		"\`loopback.csv\`, \`wan.csv\`."
} >"$SUMMARY"

# --- A: loopback -------------------------------------------------------
LO_OPEN="22 80 443 8080 45000"
reset_tools
wan_up_lo || die "loopback testbed failed"
# shellcheck disable=SC2086
wan_listen $LO_OPEN || die "listeners failed"
add_ringscan
tool nmap-T4 xml "$RUNS" "$NMAP_VERSION" \
	nmap -sT -T4 -Pn -n -p 1-65535 -oX '{OUT}' '{TARGET}'
tool nmap-T5 xml "$RUNS" "$NMAP_VERSION" \
	nmap -sT -T5 -Pn -n -p 1-65535 -oX '{OUT}' '{TARGET}'
scenario loopback "127.0.0.1 in a private namespace, TCP 1-65535" \
	"$LO_OPEN" ""
wan_down

# --- B: one host across the emulated WAN -------------------------------
WAN_OPEN="21 22 25 80 443 3306 5432 8080 8443 50000"
WAN_FILT="23 135 445 1433 6379"
WAN_STATS_FILE=$TMPD/wanem.stats
: >"$WAN_STATS_FILE"
reset_tools
wan_up 20 2 1 || die "WAN testbed failed"
# shellcheck disable=SC2086
{ wan_listen $WAN_OPEN && wan_filter $WAN_FILT; } || die "target setup failed"
add_ringscan
tool nmap-minrate xml "$RUNS" "$NMAP_VERSION" \
	nmap -sT -Pn -n --min-rate 30000 -p 1-65535 -oX '{OUT}' '{TARGET}'
tool nmap-T5 xml "$SLOW_RUNS" "$NMAP_VERSION" \
	nmap -sT -T5 -Pn -n -p 1-65535 -oX '{OUT}' '{TARGET}'
[ "$SLOW_RUNS" -gt 0 ] ||
	T_NOTE[nmap-T5]="skipped in quick mode (takes ~145 s; make bench runs it)"
scenario wan "198.18.0.2 through wanem: delay 20 ms each way, jitter ±2 ms, loss 1 % per frame each way; TCP 1-65535" \
	"$WAN_OPEN" "$WAN_FILT"
wan_down
{
	echo
	echo "wanem counters over the whole scenario:"
	echo
	sed 's/^/    /' "$WAN_STATS_FILE"
	echo
	if awk '{ for (i = 1; i < NF; i++)
			if ($i ~ /^(dropped|kernel_drops)$/ && $(i + 1) > 0) bad = 1 }
		END { exit !bad }' "$WAN_STATS_FILE"; then
		echo "**Warning:** wanem dropped frames (queue full or socket" \
			"overrun): some scan ran faster than the emulator forwards" \
			"(~200k frames/s here), so the WAN numbers are bounded by it."
		echo
	fi
	echo "Total benchmark time $(($(date +%s) - START)) s."
} >>"$SUMMARY"
mv -f "$RES/loopback.csv.tmp" "$RES/loopback.csv"
mv -f "$RES/wan.csv.tmp" "$RES/wan.csv"
mv -f "$SUMMARY" "$RES/summary.md"
echo "bench: wrote $RES/loopback.csv $RES/wan.csv $RES/summary.md" >&2
