#!/usr/bin/env bash
# t_syn_privdrop: ringscan -sS gives up root once its engine is set up -
# in every engine variant available, while the scan runs, /proc/PID/status
# shows no capability left in any set (effective, permitted, bounding,
# ambient) and NoNewPrivs 1 - yet still resolves next hops (the neighbour
# table flushed first: the privsep keeper solicits them) and gets the
# truth; its keeper is the one process that kept capabilities, and only
# CAP_NET_ADMIN, CAP_SYS_ADMIN and CAP_BPF; and when the scanner is killed
# with SIGKILL the keeper still detaches the XDP program and exits.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

syn_bed
tb_listen tgt "0.0.0.0:22 0.0.0.0:80"
# A whole host of dropped ports keeps a scan busy for seconds.
tb_filter tgt "198.18.1.9:*"
tb_truth tgt "$SYN_HOST" 1-100 >"$TB_TMP/truth"
rc=0
syn_scan "$TB_TMP/trial" --engine packet --timeout 200 --retries 0 -p 9 \
	"$SYN_HOST" || rc=$?
[ "$rc" = 0 ] || tb_skip "-sS unavailable here: $(tail -n 1 "$TB_TMP/trial.err")"
VARIANTS=$(syn_variants all)

# field PID NAME: a field of /proc/PID/status ("" once PID is gone).
field()
{
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null ||
		true
}

for v in $VARIANTS; do
	tb_log "$v: a scan after the neighbour table is flushed"
	tb_run scan ip neigh flush dev "$SYN_IF"
	syn_run "$v" "$TB_TMP/ok.$v" --timeout 300 -p 1-100 "$SYN_HOST"
	tb_diff "$TB_TMP/truth" "$TB_TMP/ok.$v" "rows ($v)" ||
		tb_fail "$v: wrong states without capabilities"
	grep -q '^ringscan: capabilities dropped' "$TB_TMP/ok.$v.err" ||
		{ cat "$TB_TMP/ok.$v.err"; tb_fail "$v: no -v line saying capabilities were dropped"; }
	! syn_xdp_attached || tb_fail "$v: program left attached after exit"

	tb_log "$v: /proc/PID/status during a scan"
	tb_run scan ip neigh flush dev "$SYN_IF"
	err=$TB_TMP/long.$v.err
	: >"$err" # polled below before the scan's shell may have opened it
	# shellcheck disable=SC2046 # options are meant to split
	ip netns exec "$(tb_nsname scan)" "$RINGSCAN" -sS -v $(syn_args "$v") \
		--retries 5 --timeout 1000 -p 1-2000 198.18.1.9 \
		>/dev/null 2>"$err" &
	pid=$!
	TB_PIDS="$TB_PIDS $pid"
	for _ in $(seq 1 100); do
		grep -q '^ringscan: capabilities dropped' "$err" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^ringscan: capabilities dropped' "$err" ||
		{ cat "$err"; tb_fail "$v: the scan never said it dropped capabilities"; }
	for f in CapEff CapPrm CapInh CapBnd CapAmb; do
		got=$(field "$pid" "$f")
		[ "$got" = 0000000000000000 ] ||
			tb_fail "$v: $f is '$got' during the scan, want none"
	done
	[ "$(field "$pid" NoNewPrivs)" = 1 ] ||
		tb_fail "$v: NoNewPrivs is '$(field "$pid" NoNewPrivs)' during the scan"
	keeper=$(pgrep -P "$pid" || true)
	[ -n "$keeper" ] && [ "$(wc -w <<<"$keeper")" = 1 ] ||
		tb_fail "$v: want one keeper process, found '$keeper'"
	kcap=$(field "$keeper" CapEff)
	[ -n "$kcap" ] && [ "$kcap" != 0000000000000000 ] ||
		tb_fail "$v: the keeper has no capabilities ($kcap)"
	# NET_ADMIN (12), SYS_ADMIN (21), BPF (39): nothing else.
	[ $((0x$kcap & ~((1 << 12) | (1 << 21) | (1 << 39)))) = 0 ] ||
		tb_fail "$v: the keeper kept more than it needs: CapEff $kcap"
	tb_log "  ok: scanner CapEff/CapPrm/CapBnd 0, NoNewPrivs 1; keeper CapEff $kcap"

	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$keeper" 2>/dev/null || break
		sleep 0.05
	done
	! kill -0 "$keeper" 2>/dev/null ||
		tb_fail "$v: the keeper outlived a killed scanner"
	! syn_xdp_attached || tb_fail "$v: program left attached after SIGKILL"
	tb_log "  ok: after SIGKILL the keeper cleaned up and exited"
done
exit 0
