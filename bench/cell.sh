#!/bin/bash
# bench/cell.sh - one ringscan run in one testbed cell of bench/grid.sh,
# scored against the testbed's truth: for A/B runs of two builds by hand,
# where the grid would run every scanner.
#
#   bench/cell.sh BINARY MODE BED TARGET [OUT]
#
# BINARY  the ringscan to run (two builds interleaved compare best)
# MODE    -sT or -sS
# BED     veth             plain veth
#         veth:LIMIT       the target answers at most LIMIT RSTs/s
#                          (wan_limit_answers, nft, as the grid's veth cells)
#         wan:D:L[:PPS:Q]  through wanem: D ms each way (RTT 2 x D), L %
#                          loss each way, and optionally a bottleneck of PPS
#                          frames/s with a Q-frame tail-drop queue
# TARGET  host (198.18.0.2 x 1-65535), net (198.19.0.0/20 x 5 ports) or
#         net16 (198.19.0.0/16 x the same 5 ports): the grid's targets,
#         listeners and filters (bench/grid.sh target_setup)
# OUT     file prefix for the CSV, stderr (-v) and result line (default
#         bench/results/tmp/cell/run)
#
# Prints one line: wall seconds (outside the namespace), the six accuracy
# counts of bench/score.sh (open found / missed / false, filtered right /
# missed / false) and the wrong answers (probes whose state differs from
# the truth).  Everything runs in private namespaces on 198.18.0.0/15.
set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

[ $# -ge 4 ] || {
	sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
BIN=$(realpath "$1") MODE=$2 BED=$3 TARGET=$4
OUT=${5:-bench/results/tmp/cell/run}
[ -x "$BIN" ] || { echo "cell: $1: not an executable" >&2; exit 2; }
case $MODE in -sT | -sS) ;; *) echo "cell: MODE must be -sT or -sS" >&2; exit 2 ;; esac
case $TARGET in
host) HOSTS=198.18.0.2 PORTS=1-65535 ;;
net) HOSTS=198.19.0.0/20 PORTS=22,80,443,3306,8080 ;;
net16) HOSTS=198.19.0.0/16 PORTS=22,80,443,3306,8080 ;;
*) echo "cell: TARGET must be host, net or net16" >&2; exit 2 ;;
esac
mkdir -p "$(dirname "$OUT")" || exit 1

# shellcheck source=bench/wan.sh
. bench/wan.sh
# shellcheck source=bench/score.sh
. bench/score.sh

case $BED in
veth) wan_up_veth || exit 1 ;;
veth:*) wan_up_veth || exit 1 ;;
wan:*)
	IFS=: read -r _ delay loss pps queue <<<"$BED"
	WAN_FIFO=${WAN_FIFO-10} wan_up "$delay" 0 "$loss" - "${pps:--}" \
		"${queue:--}" || exit 1
	;;
*) echo "cell: BED must be veth, veth:LIMIT or wan:D:L[:PPS:Q]" >&2; exit 2 ;;
esac
wan_subnet 198.19.0.0/16 || exit 1
wan_listen 21 3306 5432 8080 50000 || exit 1
wan_listen 0.0.0.0:22 0.0.0.0:80 0.0.0.0:443 198.19.7.7:8080 \
	198.19.12.1:3306 || exit 1
wan_filter 23 135 445 198.19.1.0/24:3306 198.19.9.9:'*' || exit 1
case $BED in veth:*) wan_limit_answers "${BED#veth:}" || exit 1 ;; esac

wan_truth "$HOSTS" "$PORTS" >"$OUT.truth"
t0=$(date +%s.%N)
wan_exec_scanner "$BIN" -v "$MODE" -p "$PORTS" "$HOSTS" \
	--states open,closed,filtered -oC "$OUT.csv" >/dev/null 2>"$OUT.err"
rc=$?
t1=$(date +%s.%N)
rows_of ringscan "$OUT.csv" >"$OUT.rows"
acc=$(accuracy "$OUT.truth" "$OUT.rows" 0)
# Closed ports are the truth's default: compare the other states both ways.
wrong=$(awk -F, 'FNR == NR { if ($3 != "closed") t[$1 "," $2] = $3; next }
	{ if ($3 != "closed") s[$1 "," $2] = $3 }
	END { for (k in t) if (t[k] != s[k]) w++
	      for (k in s) if (!(k in t)) w++
	      print w + 0 }' "$OUT.truth" "$OUT.rows")
wan_down
awk -v t0="$t0" -v t1="$t1" -v rc="$rc" -v acc="$acc" -v w="$wrong" \
	-v bed="$BED" -v mode="$MODE" -v tg="$TARGET" 'BEGIN {
	printf "%s %s %s: exit %d, %.2f s, accuracy %s, wrong %d\n",
		bed, tg, mode, rc, t1 - t0, acc, w }' | tee "$OUT.res"
[ "$rc" = 0 ]
