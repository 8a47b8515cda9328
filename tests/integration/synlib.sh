# shellcheck shell=bash
#
# synlib.sh - the SYN scan tests' testbed, on top of lib.sh.
#
# Two namespaces joined by veth (tb_veth): "scan" (198.18.0.1 on $SYN_IF)
# and "tgt" (198.18.0.2), which also answers all of $SYN_NET through a
# local route (tb_subnet) - so targets are reached both on-link (the next
# hop is the target itself) and through a gateway (198.18.0.2).  Scans run
# tests/helpers/synscan, which drives the SYN engine with the same
# scheduler and store as ringscan -sT, until the CLI has -sS.
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
	[ -x "$HELPERS/synscan" ] || tb_fail "helper $HELPERS/synscan missing"
	SYNSCAN=$HELPERS/synscan
}

syn_bed()
{
	tb_netns scan
	tb_netns tgt
	tb_veth scan tgt
	tb_subnet scan tgt "$SYN_NET"
}

# syn_scan OUT ARGS...: synscan -v ARGS in the scan namespace; the sorted
# rows go to OUT, stderr (setup, counters) to OUT.err.  Returns its status.
syn_scan()
{
	local out=$1 rc=0
	shift
	timeout -k 2 "${TB_RS_TIMEOUT:-60}" ip netns exec "$(tb_nsname scan)" \
		"$SYNSCAN" -v "$@" >"$out.raw" 2>"$out.err" || rc=$?
	tb_sort "$out.raw" >"$out"
	return "$rc"
}

# syn_args VARIANT: synscan's options for an engine variant.
syn_args()
{
	case $1 in
	packet) printf '%s\n' --engine packet ;;
	xdp-native) printf '%s\n' --engine xdp --xdp-mode native ;;
	xdp-skb) printf '%s\n' --engine xdp --xdp-mode skb ;;
	*) tb_fail "unknown engine variant $1" ;;
	esac
}

# syn_stat OUT NAME: a counter from the "stats:" line of OUT.err.
syn_stat()
{
	awk -v k="$2" '/^stats:/ {
		for (i = 2; i < NF; i++) if ($i == k) { print $(i + 1); exit }
	}' "$1.err"
}

syn_xdp_attached()
{
	ip -n "$(tb_nsname scan)" link show dev "$SYN_IF" | grep -q xdp
}

# syn_variants all|xdp: the variants that work here, one per line (only the
# AF_XDP ones with "xdp").  Must run after syn_bed.
syn_variants()
{
	local v all=packet
	[ "$1" = xdp ] && all=
	for v in xdp-native xdp-skb; do
		# shellcheck disable=SC2046 # options are meant to split
		if syn_scan "$TB_TMP/trial.$v" $(syn_args "$v") \
			--timeout-ms 200 --retries 0 -p 9 "$SYN_HOST"; then
			all="$all $v"
		else
			tb_log "  (variant $v unavailable here: $(tail -n 1 \
				"$TB_TMP/trial.$v.err"))" >&2
		fi
	done
	# shellcheck disable=SC2086 # one variant per line
	printf '%s\n' $all
}
