#!/bin/bash
# bench/audit.sh - the local audit against unhide-tcp, in one namespace.
#
#   BUILD=build bench/audit.sh            (BENCH_AUDIT_RUNS=5 by default)
#
# Two testbeds, each a fresh network namespace with only lo:
#   small   ~10 listeners: 5 TCP IPv4, 2 TCP IPv6, 3 UDP
#   large   ~200 listeners: 100 TCP IPv4, 60 TCP IPv6, 40 UDP
# and three commands run in it, interleaved (A, B, C, A, B, C, ...) so
# that drift on a shared machine hits each alike:
#   ringscan audit      the full local audit: TCP+UDP, IPv4+IPv6, bind()
#                       test, connect scan of 127.0.0.1 and ::1, netlink
#                       and /proc listings, owners, verdicts
#   unhide-tcp          IPv4 bind() test of TCP and UDP, `ss` per busy port
#   unhide-tcp -s       the same with one `netstat` listing ("quick")
# Each run is timed inside the namespace with /usr/bin/time (wall, user,
# system seconds, peak RSS); each must report nothing hidden (exit 0) on
# these clean testbeds, which the table shows as "ok".
#
# Output: a markdown table on stdout (medians) and bench/results/audit.csv
# (one row per run).  Scratch files (each run's output and timing) go to a
# private mktemp directory, removed at exit unless BENCH_AUDIT_KEEP=1:
# bench/run.sh clears bench/results/tmp/ when it starts.
# Needs root.  Touches nothing outside its namespace, which is removed on
# every exit path.

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

BUILD=${BUILD:-build}
RS=$BUILD/ringscan
RUNS=${BENCH_AUDIT_RUNS:-5}
RES=bench/results
TMPD=
NS=rsaudit-$$
PIDS=

die()
{
	echo "bench/audit.sh: $*" >&2
	exit 1
}

ns_down()
{
	local p
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns delete "$NS" 2>/dev/null
	PIDS=
}

cleanup()
{
	ns_down
	rm -f "$RES/audit.csv.tmp"
	if [ -n "$TMPD" ] && [ -z "${BENCH_AUDIT_KEEP:-}" ]; then
		rm -rf "$TMPD"
	elif [ -n "$TMPD" ]; then
		echo "bench/audit.sh: kept $TMPD" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
[ -x "$RS" ] || die "$RS is not built (make)"
command -v unhide-tcp >/dev/null || die "unhide-tcp missing (apt-get install unhide)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
mkdir -p "$RES" || die "cannot create $RES"
TMPD=$(mktemp -d /tmp/rsaudit-bench.XXXXXX) || die "cannot create a scratch directory"

LISTEN=$BUILD/helpers/listen
if [ ! -x "$LISTEN" ]; then
	LISTEN=$TMPD/listen
	cc -O2 -D_GNU_SOURCE -o "$LISTEN" tests/helpers/listen.c ||
		die "cannot build tests/helpers/listen.c"
fi

RS_VERSION="$("$RS" --version 2>/dev/null | head -n 1) (git $(git rev-parse --short HEAD 2>/dev/null), binary sha256 $(sha256sum "$RS" | cut -c1-12))"
UNHIDE_VERSION=$(unhide-tcp -V 2>&1 | head -n 1)

# Start listeners from a list of pairs; wait for "ready".
listen()
{
	local out="$TMPD/listen.$RANDOM.out" pid
	ip netns exec "$NS" "$LISTEN" "$@" >"$out" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	for _ in $(seq 1 100); do
		grep -qx ready "$out" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$out" >&2
	die "listener did not start"
}

# bed NAME TCP4 TCP6 UDP: a fresh namespace with that many listeners.
bed()
{
	local name=$1 n4=$2 n6=$3 nu=$4 pairs i
	ns_down
	ip netns add "$NS" || die "cannot create namespace"
	ip -n "$NS" link set lo up
	pairs=
	for ((i = 0; i < n4; i++)); do
		pairs="$pairs 0.0.0.0:$((2000 + i * 97))"
	done
	for ((i = 0; i < n6; i++)); do
		pairs="$pairs [::]:$((3001 + i * 89))"
	done
	# shellcheck disable=SC2086 # one pair per word
	listen $pairs
	pairs=
	for ((i = 0; i < nu; i++)); do
		pairs="$pairs 0.0.0.0:$((5000 + i * 53))"
	done
	# shellcheck disable=SC2086
	listen -u $pairs
	BED=$name
	BED_DESC="$((n4 + n6)) TCP ($n4 IPv4, $n6 IPv6) + $nu UDP"
}

TOOLS=("ringscan audit" "unhide-tcp" "unhide-tcp -s")
declare -A CMD=(
	["ringscan audit"]="$RS audit"
	["unhide-tcp"]="unhide-tcp"
	["unhide-tcp -s"]="unhide-tcp -s"
)
declare -A CHECKS=(
	["ringscan audit"]="TCP+UDP, IPv4+IPv6: bind() test, connect scan of 127.0.0.1 and ::1, netlink + /proc listings, owners"
	["unhide-tcp"]="TCP+UDP, IPv4: bind() test, ss per busy port"
	["unhide-tcp -s"]="TCP+UDP, IPv4: bind() test (SO_REUSEADDR), one netstat listing"
)

echo "bed,tool,run,wall_s,user_s,sys_s,max_rss_kb,exit,verdict,version,command" \
	>"$RES/audit.csv.tmp"

# run TOOL N: one timed run; appends to the CSV.
run()
{
	local tool=$1 n=$2 base="$TMPD/$BED-${1// /_}-$2" rc verdict ver
	rc=0
	# shellcheck disable=SC2086 # the command splits into words
	ip netns exec "$NS" /usr/bin/time -f '%e %U %S %M' -o "$base.time" \
		${CMD[$tool]} >"$base.out" 2>"$base.err" || rc=$?
	# Exit 0 is each tool's "nothing hidden"; unhide also prints it.
	verdict=ok
	[ "$rc" = 0 ] || verdict="exit $rc"
	grep -q 'Found Hidden' "$base.out" && verdict="false finding"
	case $tool in
	ringscan*) ver=$RS_VERSION ;;
	*) ver=$UNHIDE_VERSION ;;
	esac
	# (time prepends "Command exited with non-zero status N" when it fails)
	read -r wall user sys rss < <(tail -n 1 "$base.time")
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,"%s","%s"\n' "$BED" "$tool" "$n" \
		"$wall" "$user" "$sys" "$rss" "$rc" "$verdict" "$ver" \
		"${CMD[$tool]}" >>"$RES/audit.csv.tmp"
}

median()
{
	LC_ALL=C sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f\n", m }'
}

col()
{
	awk -F, -v b="$1" -v t="$2" -v c="$3" \
		'NR > 1 && $1 == b && $2 == t { print $c }' "$RES/audit.csv.tmp"
}

declare -a ROWS
for spec in "small 5 2 3" "large 100 60 40"; do
	# shellcheck disable=SC2086
	bed $spec
	echo "bench/audit.sh: $BED: $BED_DESC, $RUNS runs each" >&2
	# one warm-up of each, not recorded (page cache, first namespace use)
	for tool in "${TOOLS[@]}"; do
		# shellcheck disable=SC2086
		ip netns exec "$NS" ${CMD[$tool]} >/dev/null 2>&1
	done
	for ((n = 1; n <= RUNS; n++)); do
		for tool in "${TOOLS[@]}"; do
			run "$tool" "$n"
		done
	done
	rs_wall=$(col "$BED" "ringscan audit" 4 | median)
	for tool in "${TOOLS[@]}"; do
		wall=$(col "$BED" "$tool" 4 | median)
		cpu=$(awk -F, -v b="$BED" -v t="$tool" \
			'NR > 1 && $1 == b && $2 == t { print $5 + $6 }' \
			"$RES/audit.csv.tmp" | median)
		rss=$(col "$BED" "$tool" 7 | median |
			awk '{ printf "%.1f", $1 / 1024 }')
		bad=$(awk -F, -v b="$BED" -v t="$tool" \
			'NR > 1 && $1 == b && $2 == t && $9 != "ok"' \
			"$RES/audit.csv.tmp" | wc -l)
		rel=$(awk -v a="$wall" -v b="$rs_wall" \
			'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
		ROWS+=("| $BED ($BED_DESC) | \`${CMD[$tool]/$RS/ringscan}\` | $wall | $cpu | $rel | $rss | $((RUNS - bad))/$RUNS ok | ${CHECKS[$tool]} |")
	done
done

mv "$RES/audit.csv.tmp" "$RES/audit.csv"
echo "### Local audit: ringscan audit vs unhide-tcp"
echo
echo "Median of $RUNS runs per tool, interleaved; wall and CPU (user+sys) seconds inside the namespace; \"vs ringscan\" is wall time relative to ringscan's.  ringscan: $RS_VERSION; $UNHIDE_VERSION; $(nproc) CPUs, Linux $(uname -r)."
echo
echo "| testbed | command | wall s | CPU s | vs ringscan | RSS MiB | clean verdict | what it checks |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "Per-run rows: \`bench/results/audit.csv\`."
