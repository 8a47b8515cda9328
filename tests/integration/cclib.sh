# shellcheck shell=bash
#
# cclib.sh - testbeds for the congestion-control tests (t_cc_*), on top of
# synlib.sh and lib.sh: a scanner that must find the capacity of the path
# or the target's answer rate by itself, and still report every port
# exactly.
#
#   cc_wan_bed WANEM_ARGS...   three namespaces, "scan" (198.18.0.1 on
#                              v-tgt, as synlib's $SYN_IF) -- "mid" (bench/
#                              wanem between wa and wb, no addresses) --
#                              "tgt" (198.18.0.2 on v-scan); wanem is built
#                              from bench/wanem.c into the scratch
#                              directory and run with the arguments given
#                              (e.g. --pps 5000 --queue 100 --delay 20)
#   cc_veth_bed                "scan" and "tgt" joined by veth (synlib's
#                              syn_bed without its subnet)
#   cc_target                  listeners and SYN drops on 198.18.0.2, the
#                              truth of $CC_HOST x $CC_PORTS in
#                              $TB_TMP/truth; then one connection to warm
#                              the neighbour entries
#   cc_scan LABEL ARGS...      ringscan -v ARGS $CC_HOST -p $CC_PORTS with
#                              every state to a CSV, timed; compares it
#                              with the truth, logs the wrong rows, the
#                              time and ringscan's attempts/retries line,
#                              and returns 1 if anything differed (the
#                              caller fails at the end, so that every scan
#                              is measured)
#   cc_syn_available           whether this ringscan has -sS
#   cc_wanem_counters          wanem's counters so far, one line per
#                              direction (SIGUSR1)
#
# The scans run with ringscan's defaults: finding the right pace is the
# scanner's job, not the test's.  CC_EXTRA_ARGS (env) adds options to every
# scan, e.g. "--rate 900" to check by hand that a testbed can be passed by
# a scanner that knows its pace.

# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "${BASH_SOURCE[0]}")/synlib.sh"

CC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CC_HOST=198.18.0.2
CC_PORTS=1-5000
CC_WANEM_PID=
CC_FAILS=0

cc_wanem_build()
{
	local cc=${CC:-cc}
	command -v "$cc" >/dev/null 2>&1 ||
		tb_skip "no C compiler ($cc) to build bench/wanem.c"
	"$cc" -std=gnu11 -D_GNU_SOURCE -O2 -o "$TB_TMP/wanem" \
		"$CC_ROOT/bench/wanem.c" -lm 2>"$TB_TMP/wanem.build" || {
		cat "$TB_TMP/wanem.build" >&2
		tb_fail "bench/wanem.c does not build"
	}
}

cc_wan_bed()
{
	cc_wanem_build
	tb_netns scan
	tb_netns mid
	tb_netns tgt
	if ! testbed_veth "$(tb_nsname scan)" "$SYN_IF" 198.18.0.1/24 \
		"$(tb_nsname mid)" wa - ||
		! testbed_veth "$(tb_nsname tgt)" v-scan 198.18.0.2/24 \
			"$(tb_nsname mid)" wb -; then
		tb_fail "cannot build scan -- mid -- tgt"
	fi
	tb_bg mid "$TB_TMP/wanem" -a wa -b wb "$@" \
		>"$TB_TMP/wanem.out" 2>"$TB_TMP/wanem.err"
	CC_WANEM_PID=$TB_LASTPID
	for _ in $(seq 1 100); do
		grep -qx ready "$TB_TMP/wanem.out" && break
		kill -0 "$CC_WANEM_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -qx ready "$TB_TMP/wanem.out" ||
		tb_fail "wanem did not start: $(cat "$TB_TMP/wanem.err")"
	tb_log "wanem $*"
}

cc_veth_bed()
{
	tb_netns scan
	tb_netns tgt
	tb_veth scan tgt
}

cc_target()
{
	tb_listen tgt "198.18.0.2:22 198.18.0.2:80 198.18.0.2:443 198.18.0.2:4000"
	tb_filter tgt "198.18.0.2:81 198.18.0.2:3306"
	tb_truth tgt "$CC_HOST" "$CC_PORTS" >"$TB_TMP/truth"
	if ! { grep -qx '198.18.0.2,81,filtered' "$TB_TMP/truth" &&
		grep -qx '198.18.0.2,4000,open' "$TB_TMP/truth" &&
		grep -qx '198.18.0.2,4999,closed' "$TB_TMP/truth" &&
		[ "$(wc -l <"$TB_TMP/truth")" = 5000 ]; }; then
		tb_fail "ground truth does not follow from the testbed"
	fi
	# Resolve the neighbour entries before anything is timed: connect
	# to the open port 22 (the emulated loss may eat a try or two).
	for _ in $(seq 1 20); do
		tb_run scan timeout 2 bash -c 'exec 3<>/dev/tcp/198.18.0.2/22' \
			2>/dev/null && return 0
	done
	tb_fail "198.18.0.2:22 does not answer"
}

cc_syn_available()
{
	"$RINGSCAN" -sS --dry-run -p 1 "$CC_HOST" >/dev/null 2>&1
}

cc_wanem_counters()
{
	local before
	[ -n "$CC_WANEM_PID" ] || return 0
	before=$(grep -c '^end$' "$TB_TMP/wanem.out" || true)
	kill -USR1 "$CC_WANEM_PID" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		[ "$(grep -c '^end$' "$TB_TMP/wanem.out" || true)" -gt "$before" ] &&
			break
		sleep 0.02
	done
	awk '/^report$/ { n = 0; next } /^end$/ { last = l[1] "\n" l[2]; next }
		/->/ { l[++n] = $0 } END { print last }' "$TB_TMP/wanem.out"
}

# cc_scan LABEL ARGS...: see the top.
cc_scan()
{
	local label=$1 out="$TB_TMP/$1" rc=0 t0 t1 secs wrong closed_filt
	shift
	# shellcheck disable=SC2086 # options are meant to split
	set -- "$@" ${CC_EXTRA_ARGS:-}
	tb_log "ringscan -v $* -p $CC_PORTS $CC_HOST ($label)"
	t0=$(date +%s.%N)
	tb_rs scan -v "$@" --states open,closed,filtered -oC "$out.csv" \
		-p "$CC_PORTS" "$CC_HOST" >"$out.out" 2>"$out.err" || rc=$?
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	grep -E '^ringscan: ([0-9]* probes|pacing:)' "$out.err" | sed 's/^/  /' || true
	[ -z "${CC_SHOW_PACE:-}" ] || grep 'answers at' "$out.err" | head -n 40 | sed 's/^/    /'
	if [ -n "$CC_WANEM_PID" ]; then
		cc_wanem_counters | sed 's/^/  wanem (since start) /'
	fi
	if [ "$rc" != 0 ]; then
		tail -n 5 "$out.err" >&2
		tb_log "  FAILED: ringscan exited $rc after $secs s ($label)"
		CC_FAILS=$((CC_FAILS + 1))
		return 1
	fi
	tb_csv_rows "$out.csv" >"$out.rows"
	if tb_diff "$TB_TMP/truth" "$out.rows" "rows ($label)"; then
		tb_log "  exact in $secs s ($label)"
		return 0
	fi
	# Rows that differ or are not in the truth, and truth rows missing.
	wrong=$(awk -F, 'FNR == NR { w[$1 "," $2] = $3; next }
		{ seen[$1 "," $2] = 1 }
		!(($1 "," $2) in w) || w[$1 "," $2] != $3 { n++ }
		END { for (k in w) if (!(k in seen)) n++; print n + 0 }' \
		"$TB_TMP/truth" "$out.rows")
	closed_filt=$(awk -F, 'FNR == NR { w[$1 "," $2] = $3; next }
		w[$1 "," $2] == "closed" && $3 == "filtered" { n++ }
		END { print n + 0 }' "$TB_TMP/truth" "$out.rows")
	tb_log "  FAILED: $wrong wrong rows ($closed_filt closed reported" \
		"filtered) in $secs s ($label)"
	CC_FAILS=$((CC_FAILS + 1))
	return 1
}
