#!/bin/bash
# bench/grid.sh - how scanners cope with a path or a target slower than
# they are: a grid of testbed cells, every answer scored against the
# testbed's ground truth, every time compared with the ideal one.
#
#   BUILD=build bench/grid.sh quick|full
#
# Cells (testbeds from bench/wan.sh, truth from tests/integration/testbed.sh, all in
# private namespaces, addresses 198.18.0.0/15 only):
#   wan     scanner -- wanem -- target, wanem a bottleneck of CAPACITY
#           frames/s each way with a QUEUE-frame tail-drop buffer, RTT ms
#           (half each way, no jitter) and LOSS % each way (wan_up D 0 L -
#           PPS QUEUE); wanem runs at SCHED_FIFO priority 10 (GRID_FIFO,
#           empty for normal scheduling) so that the path keeps its timing
#           while a scanner keeps a core busy.
#           full: capacity 2000 10000 50000 100000, queue 50 1000 2000,
#           RTT 40 200, loss 0 1.
#   veth    plain veth; the target rate-limits its RSTs (wan_limit_answers
#           LIMIT: an nft output chain, FreeBSD-style), or not ("none").
#           full: none 200 2000.
# Targets, both on every testbed (one target namespace):
#   host    198.18.0.2 x 1-65535: open 21 22 80 443 3306 5432 8080 50000
#           (22, 80, 443 on 0.0.0.0, the net target's listeners),
#           filtered (SYN dropped) 23 135 445, the rest closed.
#   net     198.19.0.0/20 x 22,80,443,3306,8080 (20480 probes) answered
#           through a local route as in run.sh's subnet scenario: open on
#           22, 80, 443 everywhere and on two single hosts, filtered 3306 on
#           a /24 and every port of one host.
# Scanners: ringscan -sT, ringscan -sS (when `ringscan -sS --dry-run`
# works), nmap -sT -T4, nmap -sT --min-rate 30000, masscan --rate 100000
# and, on the net target, zmap -r 100000 (port 80 only: zmap 2.1 scans one
# port per run), with the options bench/run.sh gives them.
#
# Per run (one row of bench/results/grid.csv): the cell, the scanner, wall
# seconds, the ideal time = probes / capacity + 3 x RTT on the wan cells,
# closed ports / answer limit on the veth ones (only RSTs are limited;
# empty without a limit), and wall / ideal, wrong answers against the
# truth (probes whose state differs from it, each once; masscan and zmap
# report open ports only, so for them: open or not), the six accuracy
# counts of bench/run.sh (open found / missed / false, filtered right /
# missed / false),
# ringscan's attempts, retries, spurious retries and withdrawn retries
# (never sent: the earlier answer came first; -v summary lines) and,
# for -sS, the kernel's receive drops plus send refusals (-v), and wanem's tail drops
# (the bottleneck doing its job), overruns (wanem out of room or socket
# buffer: should be 0) and lag_max_us (how late wanem ran at worst so far
# in the cell: added delay).  Every run is bounded by `timeout` (GRID_TIMEOUT,
# default 600 s).  bench/results/grid_capacity.png (with gnuplot): wall /
# ideal and wrong answers against capacity, wan cells, medians per scanner.
#
# quick: three cells, 7 runs, a few minutes: host x 1-65535 through 10k
# frames/s, 1000-frame buffer, 40 ms, 1 % (ringscan -sT/-sS, nmap
# --min-rate); the /20 through 2000 frames/s, 50-frame buffer, 200 ms
# (ringscan -sT/-sS); the /20 on veth with RSTs limited to 2000/s
# (ringscan -sT/-sS).
# full: every combination above: 48 wan cells and 3 veth cells, each with
# both targets and every scanner - many hours (nmap -T4 alone takes 2-10
# minutes per host run).  Narrow it with the environment:
#   GRID_CAPS, GRID_QUEUES, GRID_RTTS, GRID_LOSSES, GRID_LIMITS (lists;
#   GRID_LIMITS="" drops the veth cells, GRID_CAPS="" the wan cells),
#   GRID_TARGETS (host net), GRID_SCANNERS (ringscan-sT ringscan-sS
#   nmap-T4 nmap-minrate masscan zmap), GRID_MATCH (an extended regular
#   expression the plan line "bed cap queue rtt loss limit target scanner"
#   must match), GRID_REPEAT (runs of each scanner in each cell, one after
#   the other; default 1, the issue's grid asks for 3), GRID_MAX (at most
#   this many runs), GRID_LIST=1 (print the plan and stop).
# Rows are appended to bench/results/grid.csv.partial as runs end and it
# becomes grid.csv when the grid is done.  Raw outputs go to
# bench/results/tmp/grid/.  Missing tools are installed from Debian as in
# run.sh (nmap, masscan, zmap, gnuplot).

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

MODE=${1:-quick}
BUILD=${BUILD:-build}
export BUILD
case $MODE in
quick)
	D_CAPS="10000 2000"
	D_QUEUES="1000 50"
	D_RTTS="40 200"
	D_LOSSES="1 0"
	D_LIMITS="2000"
	;;
full)
	D_CAPS="2000 10000 50000 100000"
	D_QUEUES="50 1000 2000"
	D_RTTS="40 200"
	D_LOSSES="0 1"
	D_LIMITS="none 200 2000"
	;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
CAPS=${GRID_CAPS-$D_CAPS}
QUEUES=${GRID_QUEUES-$D_QUEUES}
RTTS=${GRID_RTTS-$D_RTTS}
LOSSES=${GRID_LOSSES-$D_LOSSES}
LIMITS=${GRID_LIMITS-$D_LIMITS}
TARGETS=${GRID_TARGETS-host net}
SCANNERS=${GRID_SCANNERS-ringscan-sT ringscan-sS nmap-T4 nmap-minrate masscan zmap}
RUN_TIMEOUT=${GRID_TIMEOUT:-600}
export WAN_FIFO=${GRID_FIFO-10}

RES=bench/results
TMPD=$RES/tmp/grid
RS=$BUILD/ringscan
CSV=$RES/grid.csv
PNG=$RES/grid_capacity.png
START=$(date +%s)

HOST=198.18.0.2
HOST_PORTS=1-65535
NET=198.19.0.0/20
NET_PORTS=22,80,443,3306,8080

say() { echo "grid: $*" >&2; }
die() {
	say "$*"
	exit 1
}

# ---- the plan ---------------------------------------------------------------
# One line per run: bed cap queue rtt loss limit target scanner ("-" where
# a field does not apply).  quick picks its cells by hand; full crosses.
plan() {
	local c q r l lim t s
	if [ "$MODE" = quick ] && [ -z "${GRID_CAPS+x}${GRID_QUEUES+x}${GRID_RTTS+x}${GRID_LOSSES+x}${GRID_LIMITS+x}${GRID_TARGETS+x}${GRID_SCANNERS+x}" ]; then
		for s in ringscan-sT ringscan-sS nmap-minrate; do
			echo "wan 10000 1000 40 1 none host $s"
		done
		for s in ringscan-sT ringscan-sS; do
			echo "wan 2000 50 200 0 none net $s"
		done
		for s in ringscan-sT ringscan-sS; do
			echo "veth - - 0 0 2000 net $s"
		done
		return
	fi
	for c in $CAPS; do
		for q in $QUEUES; do
			for r in $RTTS; do
				for l in $LOSSES; do
					for t in $TARGETS; do
						for s in $SCANNERS; do
							echo "wan $c $q $r $l none $t $s"
						done
					done
				done
			done
		done
	done
	for lim in $LIMITS; do
		for t in $TARGETS; do
			for s in $SCANNERS; do
				echo "veth - - 0 0 $lim $t $s"
			done
		done
	done
}

# Drop runs that cannot be made: zmap scans one port (net only), -sS
# needs a ringscan with it.
RS_SYN=
V_RS=
if [ -x "$RS" ]; then
	V_RS=$("$RS" --version 2>/dev/null | head -1)
	V_RS="${V_RS:-ringscan} (tree on git $(git rev-parse --short HEAD 2>/dev/null), binary sha256 $(sha256sum "$RS" | cut -c1-12))"
	"$RS" -sS --dry-run -p 1 "$HOST" >/dev/null 2>&1 && RS_SYN=1
fi
case ${GRID_REPEAT:-1} in
'' | *[!0-9]* | 0) die "GRID_REPEAT must be a whole number of runs, 1 or more" ;;
esac
mapfile -t PLAN < <(plan | awk -v syn="$RS_SYN" -v rs="$V_RS" \
	-v match_re="${GRID_MATCH:-}" -v max="${GRID_MAX:-0}" \
	-v rep="${GRID_REPEAT:-1}" '
	$8 == "zmap" && $7 != "net" { next }
	$8 == "ringscan-sS" && syn == "" { next }
	$8 ~ /^ringscan/ && rs == "" { next }
	match_re != "" && $0 !~ match_re { next }
	{
		for (i = 0; i < rep; i++) {
			if (max > 0 && ++n > max)
				exit
			print
		}
	}')
if [ -n "${GRID_LIST:-}" ]; then
	printf '%s\n' "${PLAN[@]}"
	echo "${#PLAN[@]} runs" >&2
	exit 0
fi
[ "${#PLAN[@]}" -gt 0 ] || die "nothing to run (GRID_* narrowed it to nothing?)"

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -n "$V_RS" ] || say "$RS not built: no ringscan rows"

# shellcheck source=bench/wan.sh
. bench/wan.sh
# shellcheck source=bench/score.sh
. bench/score.sh

install_missing || say "some tools are missing; their rows will fail"
for t in nft ping ip timeout; do
	command -v "$t" >/dev/null || die "$t is missing"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
wan_build_tool wanem >/dev/null || die "cannot build bench/wanem"
HAVE_GNUPLOT=$(command -v gnuplot >/dev/null && echo 1)
V_NMAP=$(nmap --version 2>/dev/null | sed -n 's/^Nmap version \([^ ]*\).*/nmap \1/p')
V_MASSCAN=$(masscan --version 2>/dev/null |
	sed -n 's/^Masscan version \([^ ]*\).*/masscan \1/p')
V_ZMAP=$(zmap --version 2>/dev/null | head -1)

rm -rf "$TMPD"
mkdir -p "$TMPD" || die "cannot create $TMPD"

# ---- scoring: rows_of and accuracy come from bench/score.sh -------------------

# wrong_count TRUTH ROWS OPEN_ONLY: probes whose reported state is not the
# truth's, each counted once (an open port reported filtered is one wrong
# answer, where run.sh's sum counts it as open missed and false filtered).
# A port not reported is closed; for open-only scanners, not open.
wrong_count() {
	awk -F, -v oponly="$3" '
	FNR == NR { t[$1 "," $2] = $3; next }
	{ r[$1 "," $2] = $3 }
	END {
		for (k in t) {
			s = (k in r) ? r[k] : "closed"
			if (oponly) { if ((s == "open") != (t[k] == "open")) n++ }
			else if (s != t[k]) n++
		}
		for (k in r) if (!(k in t)) n++
		print n + 0
	}' "$1" "$2"
}

# field LINE KEY: the value after KEY in a "key value ..." line.
field() {
	awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' <<<"$1"
}

# wanem's worst lag so far, over both directions (its last report).
wanem_lag() {
	[ -n "$WAN_WANEM_PID" ] || return 0
	awk '/^report$/ { m = 0; next } /^end$/ { last = m; next }
		{ for (i = 1; i < NF; i++) if ($i == "lag_max_us" && $(i + 1) > m) m = $(i + 1) }
		END { print last + 0 }' "$WAN_TMP/wanem.out"
}

# ---- testbed ----------------------------------------------------------------
BED_KEY=

target_setup() {
	wan_subnet 198.19.0.0/16 || return 1
	wan_listen 21 3306 5432 8080 50000 || return 1
	wan_listen 0.0.0.0:22 0.0.0.0:80 0.0.0.0:443 198.19.7.7:8080 \
		198.19.12.1:3306 || return 1
	wan_filter 23 135 445 198.19.1.0/24:3306 198.19.9.9:'*'
}

# bed_up BED CAP QUEUE RTT LOSS LIMIT: (re)build the testbed if the cell
# changed.
bed_up() {
	local key="$*" bed=$1 cap=$2 queue=$3 rtt=$4 loss=$5 limit=$6 half
	[ "$key" = "$BED_KEY" ] && return 0
	wan_down
	BED_KEY=
	if [ "$bed" = wan ]; then
		half=$(awk -v r="$rtt" 'BEGIN { print r / 2 }')
		wan_up "$half" 0 "$loss" - "$cap" "$queue" || return 1
	else
		wan_up_veth || return 1
	fi
	target_setup || return 1
	if [ "$limit" != none ]; then
		wan_limit_answers "$limit" || return 1
	fi
	BED_KEY=$key
	TRUTH_HOST=$TMPD/truth.host
	TRUTH_NET=$TMPD/truth.net
	TRUTH_NET80=$TMPD/truth.net80
	wan_truth "$HOST" "$HOST_PORTS" >"$TRUTH_HOST"
	wan_truth "$NET" "$NET_PORTS" >"$TRUTH_NET"
	wan_truth "$NET" 80 >"$TRUTH_NET80"
}

# scanner_cmd SCANNER TARGET -> "KIND|VERSION|COMMAND" ({OUT}: output).
scanner_cmd() {
	local s=$1 t=$2 hosts ports hg=
	if [ "$t" = host ]; then
		hosts=$HOST
		ports=$HOST_PORTS
	else
		hosts=$NET
		ports=$NET_PORTS
		hg="--min-hostgroup 4096 "
	fi
	case $s in
	ringscan-sT) echo "ringscan|$V_RS|$RS -v --states open,filtered -oC {OUT} -sT -p $ports $hosts" ;;
	ringscan-sS) echo "ringscan|$V_RS|$RS -v --states open,filtered -oC {OUT} -sS -p $ports $hosts" ;;
	nmap-T4) echo "nmap|$V_NMAP|nmap -sT -T4 -Pn -n ${hg}-p $ports -oX {OUT} $hosts" ;;
	nmap-minrate) echo "nmap|$V_NMAP|nmap -sT -Pn -n --min-rate 30000 ${hg}-p $ports -oX {OUT} $hosts" ;;
	masscan) echo "masscan|$V_MASSCAN|masscan -e $WAN_IF_S --router-mac $(wan_target_mac) --adapter-ip $WAN_SCANNER_IP --wait 1 -oL {OUT} --rate 100000 -p $ports $hosts" ;;
	zmap) echo "zmap|$V_ZMAP|zmap -q -b /dev/null -i $WAN_IF_S -G $(wan_target_mac) -S $WAN_SCANNER_IP -c 1 -o {OUT} -r 100000 -p 80 $hosts" ;;
	esac
}

csv_quote() {
	local s=${1//\"/\"\"}
	printf '"%s"' "$s"
}

HEADER="cell,bed,capacity_fps,queue,rtt_ms,loss_pct,answer_limit,target,hosts,"
HEADER+="ports,probes,scanner,exit_code,wall_s,ideal_s,wall_over_ideal,wrong,"
HEADER+="wrong_pct,open_found,open_missed,false_open,filtered_right,"
HEADER+="filtered_missed,false_filtered,attempts,retries,wanem_tail_drops,"
HEADER+="wanem_overrun,wanem_lag_max_us,wanem_fifo,spurious,kernel_drops,"
HEADER+="floor_s,wall_over_floor,withdrawn,version,command"
echo "$HEADER" >"$CSV.partial"

# run_one PLAN_LINE INDEX
run_one() {
	local bed cap queue rtt loss limit target scanner idx=$2
	read -r bed cap queue rtt loss limit target scanner <<<"$1"
	local spec kind ver cmd out id truth probes oponly=0 zport='' rc
	local wall acc of om fo fr fm ff wrong wpct ideal ratio
	local att='' ret='' w0 w1 tdrop='' over='' lag='' hosts ports cell closed
	local spur='' wdrawn='' kdrop='' floor fratio per_open

	bed_up "$bed" "$cap" "$queue" "$rtt" "$loss" "$limit" ||
		{ say "testbed for '$1' failed"; wan_down; BED_KEY=; return 1; }
	spec=$(scanner_cmd "$scanner" "$target")
	kind=${spec%%|*}
	spec=${spec#*|}
	ver=${spec%%|*}
	cmd=${spec#*|}
	if [ -z "$ver" ]; then
		say "$scanner: not installed, skipped"
		return 0
	fi
	cell="$bed/$cap/$queue/$rtt/$loss/$limit/$target"
	id=$(printf '%04d-%s-%s' "$idx" "${cell//\//_}" "$scanner")
	case $kind in
	ringscan) out=$TMPD/$id.csv ;;
	nmap) out=$TMPD/$id.xml ;;
	*) out=$TMPD/$id.txt ;;
	esac
	cmd=${cmd//\{OUT\}/$out}
	if [ "$target" = host ]; then
		truth=$TRUTH_HOST hosts=$HOST ports=$HOST_PORTS
	elif [ "$scanner" = zmap ]; then
		truth=$TRUTH_NET80 hosts=$NET ports=80 zport=80
	else
		truth=$TRUTH_NET hosts=$NET ports=$NET_PORTS
	fi
	case $kind in masscan | zmap) oponly=1 ;; esac
	probes=$(wc -l <"$truth")

	[ "$kind" = masscan ] && pinger_start
	w0=$(wan_wanem_counters)
	# shellcheck disable=SC2086
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "$RUN_TIMEOUT" $cmd \
		>"$TMPD/$id.stdout" 2>"$TMPD/$id.stderr"
	rc=$?
	pinger_stop
	w1=$(wan_wanem_counters)
	if [ -n "$w0" ] && [ -n "$w1" ]; then
		tdrop=$(($(field "$w1" tail_drops) - $(field "$w0" tail_drops)))
		over=$(($(field "$w1" overrun) - $(field "$w0" overrun)))
		lag=$(wanem_lag)
	fi
	read -r wall _ < <(tail -1 "$TMPD/$id.time")
	rows_of "$kind" "$out" "$zport" >"$TMPD/$id.rows"
	acc=$(accuracy "$truth" "$TMPD/$id.rows" "$oponly")
	read -r of om fo fr fm ff <<<"$acc"
	wrong=$(wrong_count "$truth" "$TMPD/$id.rows" "$oponly")
	wpct=$(awk -v w="$wrong" -v n="$probes" 'BEGIN { printf "%.3f", 100 * w / n }')
	# Only RSTs are limited: the closed ports wait for the limit, the
	# rest for the link.
	closed=$(grep -c ',closed$' "$truth")
	ideal=$(awk -v n="$probes" -v k="$closed" -v c="$cap" -v l="$limit" \
		-v r="$rtt" 'BEGIN {
		t = -1
		if (c != "-") t = n / c
		if (l != "none" && k / l > t) t = k / l
		if (t < 0) { print ""; exit }
		printf "%.2f", t + 3 * r / 1000 }')
	ratio=$(awk -v w="$wall" -v i="$ideal" 'BEGIN { if (i > 0) printf "%.2f", w / i }')
	# The ideal counts one frame per probe; an open port costs more.
	# The frame floor counts the frames the scan cannot avoid on the
	# busier direction of the bottleneck: every SYN, and per open port a
	# SYN scan's RST, or a connect's ACK, the RST of its close and the RST
	# that answers the listener's FIN (it accepts and closes at once, and
	# its FIN crosses our RST: measured, two RSTs per open port); back,
	# an answer per answered probe and a connect's FIN.
	case $scanner in ringscan-sT | nmap-*) per_open=3 ;; *) per_open=1 ;; esac
	floor=$(awk -v n="$probes" -v o="$(grep -c ',open$' "$truth")" \
		-v f="$(grep -c ',filtered$' "$truth")" -v p="$per_open" \
		-v c="$cap" -v r="$rtt" 'BEGIN {
		if (c == "-") { print ""; exit }
		up = n + p * o
		down = n - f + (p == 3 ? o : 0)
		printf "%.2f", (up > down ? up : down) / c + 3 * r / 1000 }')
	fratio=$(awk -v w="$wall" -v i="$floor" 'BEGIN { if (i > 0) printf "%.2f", w / i }')
	if [ "$kind" = ringscan ]; then
		local sum
		sum=$(grep -m1 '^ringscan: [0-9]* probes, ' "$TMPD/$id.stderr")
		att=$(sed -n 's/^ringscan: [0-9]* probes, \([0-9]*\) attempts.*/\1/p' <<<"$sum")
		ret=$(sed -n 's/.* attempts (\([0-9]*\) retries.*/\1/p' <<<"$sum")
		# Retries whose predecessor was answered after all, and what
		# the kernel dropped or refused under a -sS scan (-v lines).
		spur=$(sed -n 's/^ringscan: pacing: .* \([0-9]*\) spurious retries.*/\1/p' \
			"$TMPD/$id.stderr" | head -n 1)
		# Retries the earlier answer beat to the wire: never sent.
		wdrawn=$(sed -n 's/^ringscan: pacing: .* \([0-9]*\) retries withdrawn.*/\1/p' \
			"$TMPD/$id.stderr" | head -n 1)
		kdrop=$(sed -n 's/.*kernel: \([0-9]*\) receive drops, \([0-9]*\) send refusals.*/\1 \2/p' \
			"$TMPD/$id.stderr" | head -n 1 | awk '{ print $1 + $2 }')
	fi
	[ "$rc" -eq 0 ] || say "$id exited $rc ($(tail -c 200 "$TMPD/$id.stderr" | tr '\r\n' '  '))"
	printf '  %-44s %-13s %7.2f s (ideal %6s, x%5s; floor x%5s)  wrong %6s (%s%%)  retries %-6s tail_drops %-6s overrun %s%s\n' \
		"$cell" "$scanner" "$wall" "${ideal:--}" "${ratio:--}" "${fratio:--}" "$wrong" \
		"$wpct" "${ret:--}" "${tdrop:--}" "${over:--}" \
		"$([ "$rc" -eq 0 ] || echo "  exit $rc")" >&2
	{
		printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,' \
			"$cell" "$bed" "${cap#-}" "${queue#-}" "$rtt" "$loss" \
			"$limit" "$target" "$hosts" "${ports//,/ }" "$probes" \
			"$scanner" "$rc" "$wall" "$ideal" "$ratio" "$wrong" "$wpct" \
			"$of" "$om" "$fo" "${fr#-}" "${fm#-}" "${ff#-}" "$att" "$ret" \
			"$tdrop" "$over" "$lag" "$([ "$bed" = wan ] && echo "${WAN_FIFO:-0}")" \
			"$spur" "$kdrop" "$floor" "$fratio" "$wdrawn"
		echo "$(csv_quote "$ver"),$(csv_quote "$cmd")"
	} >>"$CSV.partial"
	# Let the queues, the delay line and the target's sockets drain.
	sleep 1
}

# ---- run ------------------------------------------------------------------------
# Group the runs by testbed so that each is built once.
mapfile -t PLAN < <(printf '%s\n' "${PLAN[@]}" | awk '{ print NR, $0 }' |
	sort -s -k2,2 -k3,3n -k4,4n -k5,5n -k6,6n -k7,7 -k1,1n | cut -d' ' -f2-)
say "${#PLAN[@]} runs, up to ${RUN_TIMEOUT} s each; rows go to $CSV.partial"
i=0
for line in "${PLAN[@]}"; do
	i=$((i + 1))
	run_one "$line" "$i"
done
wan_down
mv -f "$CSV.partial" "$CSV"

# ---- plot ---------------------------------------------------------------------
plot() {
	rm -f "$PNG" # an old plot would not match the new grid.csv
	[ -n "$HAVE_GNUPLOT" ] || { say "no gnuplot: no plot"; return 0; }
	# Medians per scanner and capacity over the wan rows (every queue,
	# RTT, loss and target): wall/ideal, wrong %.
	awk -F, 'NR > 1 && $2 == "wan" && $16 != "" {
		k = $12 " " $3; n[k]++; r[k, n[k]] = $16; w[k, n[k]] = $18
	}
	function med(a, k, m,   v, i, j, t) {
		for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
			if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END { for (k in n) print k, med(r, k, n[k]), med(w, k, n[k]), n[k] }' \
		"$CSV" | sort -k1,1 -k2,2n >"$TMPD/cap.dat"
	awk -F, 'NR > 1 && $2 == "wan" && $16 != "" { print $12, $3, $16, $18 }' \
		"$CSV" >"$TMPD/cap.pts"
	[ -s "$TMPD/cap.dat" ] || { say "no wan rows: no plot"; return 0; }
	local fam first lt=0
	{
		echo "set terminal pngcairo size 1100,480 font 'sans,11'"
		echo "set output '$PNG.tmp'"
		echo "set multiplot layout 1,2 title 'Through a bottleneck (wanem --pps): medians over queue, RTT, loss and target; dots = runs'"
		echo "set logscale x"
		echo "set format x '%.0s%c'"
		echo "set xrange [1000:200000]"
		echo "set grid"
		echo "set xlabel 'bottleneck capacity, frames/s each way'"
		echo "set key top right font 'sans,9'"
		echo "set ylabel 'wall time / ideal time'"
		echo "set logscale y"
		printf 'plot '
		first=1
		# shellcheck disable=SC2013 # scanner names are single words
		for fam in $(awk '{ print $1 }' "$TMPD/cap.dat" | sort -u); do
			lt=$((lt + 1))
			[ $first -eq 1 ] || printf ', '
			first=0
			printf "'%s' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with linespoints lt %d lw 2 pt 7 title '%s', " \
				"$TMPD/cap.dat" "$fam" "$lt" "$fam"
			printf "'%s' using 2:(strcol(1) eq '%s' ? \$3 : 1/0) with points lt %d pt 1 ps 0.6 notitle" \
				"$TMPD/cap.pts" "$fam" "$lt"
		done
		echo
		echo "unset logscale y"
		echo "set ylabel 'wrong answers, % of probes'"
		echo "set yrange [0:*]"
		printf 'plot '
		first=1
		lt=0
		# shellcheck disable=SC2013 # scanner names are single words
		for fam in $(awk '{ print $1 }' "$TMPD/cap.dat" | sort -u); do
			lt=$((lt + 1))
			[ $first -eq 1 ] || printf ', '
			first=0
			printf "'%s' using 2:(strcol(1) eq '%s' ? \$4 : 1/0) with linespoints lt %d lw 2 pt 7 title '%s', " \
				"$TMPD/cap.dat" "$fam" "$lt" "$fam"
			printf "'%s' using 2:(strcol(1) eq '%s' ? \$4 : 1/0) with points lt %d pt 1 ps 0.6 notitle" \
				"$TMPD/cap.pts" "$fam" "$lt"
		done
		echo
		echo "unset multiplot"
	} >"$TMPD/cap.gp"
	if gnuplot "$TMPD/cap.gp" 2>"$TMPD/cap.err"; then
		mv -f "$PNG.tmp" "$PNG"
	else
		say "plot failed: $(cat "$TMPD/cap.err")"
		rm -f "$PNG.tmp"
	fi
}
plot
# The table that bench/run.sh carries into RESULTS.md.
{
	echo "Measured on $(date -u '+%Y-%m-%d %H:%M UTC') with the tree at git" \
		"$(git rev-parse --short HEAD 2>/dev/null || echo '?')," \
		"${GRID_REPEAT:-1} run(s) per scanner per cell; load average at the end" \
		"$(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)." \
		"Command: \`$(env | grep '^GRID_' | sort | tr '\n' ' ')bench/grid.sh $MODE\`."
	echo
	awk -f bench/grid-md.awk "$CSV"
} >"$RES/grid.md"
say "wrote $CSV$([ -f "$PNG" ] && echo " and $PNG"), $RES/grid.md in $(($(date +%s) - START)) s"
