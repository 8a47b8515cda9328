#!/usr/bin/env bash
# t_syn_resume: checkpoints and --resume work for -sS as for -sT.  A paced
# SYN scan (6000 probes at 4000/s) with --checkpoint is stopped by SIGINT
# partway (exit 130, a checkpoint on disk, some rows but not all in the
# CSV); `ringscan --resume FILE` rebuilds the scan from the checkpoint's
# command line - the SYN engine again, with its XDP program detached at
# the end - sends only what was left (not another 6000 SYNs) and
# leaves a CSV equal to the ground truth, no probe lost or reported twice.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

syn_bed
tb_listen tgt "0.0.0.0:22 198.18.0.2:80 198.18.1.7:443 198.18.1.7:2999"
tb_filter tgt "198.18.0.2:1000-1019 198.18.1.7:2000-2009"
HOSTS="198.18.0.2 198.18.1.7"
tb_truth tgt "$HOSTS" 1-3000 >"$TB_TMP/truth"
CSV=$TB_TMP/r.csv
CK=$TB_TMP/r.ck

tb_log "ringscan -sS --rate 4000 --checkpoint ... (6000 probes), SIGINT partway"
# shellcheck disable=SC2086 # hosts are meant to split
ip netns exec "$(tb_nsname scan)" "$RINGSCAN" -sS -v -p 1-3000 --rate 4000 \
	--timeout 300 --retries 2 --seed 3 --states open,closed,filtered \
	-oC "$CSV" --checkpoint "$CK" --checkpoint-interval 200 $HOSTS \
	>/dev/null 2>"$TB_TMP/first.err" &
pid=$!
TB_PIDS="$TB_PIDS $pid"
# A loaded machine may start the scan late: wait for its first checkpoint.
for _ in $(seq 1 100); do
	[ -s "$CK" ] && break
	sleep 0.05
done
sleep 0.3
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$TB_TMP/first.err"; tb_fail "exit $rc after SIGINT, want 130"; }
[ -s "$CK" ] || tb_fail "no checkpoint written"
grep -q "continue with --resume $CK" "$TB_TMP/first.err" ||
	{ cat "$TB_TMP/first.err"; tb_fail "no hint to --resume"; }
before=$(($(wc -l <"$CSV") - 1))
if [ "$before" -le 0 ] || [ "$before" -ge 6000 ]; then
	tb_fail "$before rows before the interruption: not partway"
fi
! syn_xdp_attached || tb_fail "XDP program left attached after SIGINT"
tb_log "  stopped with $before of 6000 rows; $(grep '^ringscan: engine' "$TB_TMP/first.err")"

tb_log "ringscan --resume $CK -v"
rc=0
tb_rs scan --resume "$CK" -v >/dev/null 2>"$TB_TMP/resume.err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/resume.err"; tb_fail "--resume exited $rc"; }
grep -q '^ringscan: engine AF_\(XDP\|PACKET\) on ' "$TB_TMP/resume.err" ||
	{ cat "$TB_TMP/resume.err"; tb_fail "the resumed scan did not use the SYN engine"; }
# Resumed: the 6000 - $before probes left, the few in flight at the stop
# and retries of the 30 filtered ports; started over: 6000 and more.
sent=$(syn_stat "$TB_TMP/resume" SYNs)
[ "$sent" -lt $((6000 - before / 2)) ] ||
	tb_fail "the resumed scan sent $sent SYNs after $before rows: it started over"
tb_compare "$TB_TMP/truth" "$CSV" || tb_fail "resumed -sS scan differs from the truth"
! syn_xdp_attached || tb_fail "XDP program left attached after --resume"
tb_log "  ok: resumed with $sent SYNs"
exit 0
