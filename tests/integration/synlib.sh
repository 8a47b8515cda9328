# shellcheck shell=bash
#
# synlib.sh - the SYN scan tests' testbed, on top of lib.sh.
#
# Two namespaces joined by veth (tb_veth): "scan" (198.18.0.1 on $SYN_IF)
# and "tgt" (198.18.0.2), which also answers all of $SYN_NET through a
# local route (tb_subnet) - so targets are reached both on-link (the next
# hop is the target itself) and through a gateway (198.18.0.2).  Scans run
# the real command, `ringscan -sS -v`, with every state written to a CSV
# (-oC) that is compared with the testbed's ground truth, and the -v lines
# on stderr (the engine chosen, the SYN engine's counters) read back by
# syn_engine_line and syn_stat.
#
# syn_variants lists the engines this machine can run - "packet" (AF_PACKET)
# always, "xdp-native" and "xdp-skb" (AF_XDP in driver and generic XDP mode)
# when a one-port trial scan with them works - and logs why a variant is
# left out, so that a missing kernel feature shows in the log rather than
# passing silently.

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SYN_HOST=198.18.0.2
SYN_NET=198.18.1.0/24
SYN_IF='v-tgt'

syn_init()
{
	tb_init
}

syn_bed()
{
	tb_netns scan
	tb_netns tgt
	tb_veth scan tgt
	tb_subnet scan tgt "$SYN_NET"
}

# syn_scan OUT ARGS...: ringscan -sS -v ARGS in the scan namespace, every
# state to OUT.csv; its sorted "host,port,state" rows go to OUT (empty if
# no CSV was written), stdout to OUT.out, stderr to OUT.err.  Returns
# ringscan's status.
syn_scan()
{
	local out=$1 rc=0
	shift
	rm -f "$out.csv"
	tb_rs scan -sS -v --states open,closed,filtered -oC "$out.csv" "$@" \
		>"$out.out" 2>"$out.err" || rc=$?
	if [ -s "$out.csv" ]; then
		tb_csv_rows "$out.csv" >"$out"
	else
		: >"$out"
	fi
	return "$rc"
}

# syn_args VARIANT: ringscan's options for an engine variant.
syn_args()
{
	case $1 in
	packet) printf '%s\n' --engine packet ;;
	xdp-native) printf '%s\n' --engine xdp --xdp-mode native ;;
	xdp-skb) printf '%s\n' --engine xdp --xdp-mode skb ;;
	*) tb_fail "unknown engine variant $1" ;;
	esac
}

# syn_engine_want VARIANT [IF]: how the -v engine line of VARIANT begins.
syn_engine_want()
{
	local ifname=${2:-$SYN_IF}
	case $1 in
	packet) printf 'ringscan: engine AF_PACKET on %s: ' "$ifname" ;;
	xdp-native) printf 'ringscan: engine AF_XDP on %s: native mode, ' "$ifname" ;;
	xdp-skb) printf 'ringscan: engine AF_XDP on %s: skb mode, ' "$ifname" ;;
	*) tb_fail "unknown engine variant $1" ;;
	esac
}

# syn_engine_line OUT: the -v line saying which engine ran.
syn_engine_line()
{
	grep '^ringscan: engine ' "$1.err" || true
}

# syn_run VARIANT OUT ARGS...: syn_scan with VARIANT's engine options; fails
# the test unless ringscan exits 0 and says (-v) that it ran that engine.
syn_run()
{
	local v=$1 out=$2 rc=0 want
	shift 2
	# shellcheck disable=SC2046 # options are meant to split
	syn_scan "$out" $(syn_args "$v") "$@" || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$out.err" >&2
		tb_fail "ringscan -sS ($v) exited $rc"
	fi
	want=$(syn_engine_want "$v")
	case $(syn_engine_line "$out") in
	"$want"*) ;;
	*)
		cat "$out.err" >&2
		tb_fail "$v: want an engine line starting '$want'"
		;;
	esac
}

# syn_stat OUT KEY: a counter from the "ringscan: -sS: sent N SYNs and N
# RSTs; received N frames: N answers, N late (N used by a later attempt),
# N duplicates, N bad cookies, N foreign, N malformed, N ICMP unreachable,
# N forged ICMP; N neighbour lookups, N unresolved (N timed out); kernel:
# N receive drops, N send refusals" line of OUT.err.  KEY is the word after the number: SYNs,
# RSTs, frames, answers, late, used, duplicates, bad, foreign, malformed,
# ICMP, forged, neighbour, unresolved, timed, receive, send.  Prints
# nothing if the line or the key is missing.
syn_stat()
{
	awk -v k="$2" 'index($0, "ringscan: -sS: sent ") == 1 {
		for (i = 3; i < NF; i++) {
			if ($i !~ /^\(?[0-9]+$/)
				continue
			n = $i
			w = $(i + 1)
			sub(/^\(/, "", n)
			gsub(/[^A-Za-z]/, "", w)
			if (w == k) { print n; exit }
		}
	}' "$1.err"
}

syn_xdp_attached()
{
	ip -n "$(tb_nsname scan)" link show dev "$SYN_IF" | grep -q xdp
}

# syn_variants all|xdp: the variants that work here, one per line (only the
# AF_XDP ones with "xdp").  Must run after syn_bed.  Port 9 of $SYN_HOST
# answers at once (closed), so a trial takes no timeout.
syn_variants()
{
	local v all=packet rc
	[ "$1" = xdp ] && all=
	for v in xdp-native xdp-skb; do
		rc=0
		# shellcheck disable=SC2046 # options are meant to split
		syn_scan "$TB_TMP/trial.$v" $(syn_args "$v") \
			--timeout 200 --retries 0 -p 9 "$SYN_HOST" || rc=$?
		if [ "$rc" = 0 ]; then
			all="$all $v"
		elif [ "$rc" = 2 ]; then
			tb_note "variant $v unavailable here: $(tail -n 1 \
				"$TB_TMP/trial.$v.err")"
		else
			cat "$TB_TMP/trial.$v.err" >&2
			tb_fail "trial scan with $v exited $rc"
		fi
	done
	# shellcheck disable=SC2086 # one variant per line
	printf '%s\n' $all
}
