#!/usr/bin/env bash
# t_dryrun: --dry-run prints one "ADDR PORT" line per probe, in send order:
# 300 distinct lines covering exactly 127.0.0.1-3 x 1-100, the same order
# for the same --seed, another order for another seed, and nothing sent.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns dry
for h in 1 2 3; do
	for p in $(seq 1 100); do
		echo "127.0.0.$h $p"
	done
done | LC_ALL=C sort >"$TB_TMP/space"

lo_packets()
{
	tb_run dry cat /sys/class/net/lo/statistics/tx_packets
}

before=$(lo_packets)
for run in a:1 b:1 c:2; do
	tb_log "ringscan --dry-run --seed ${run#*:} -p 1-100 127.0.0.1-3"
	rc=0
	tb_rs dry --dry-run --seed "${run#*:}" -p 1-100 127.0.0.1-3 \
		>"$TB_TMP/${run%:*}" 2>"$TB_TMP/err" || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/err"; tb_fail "ringscan --dry-run exited $rc"; }
done
after=$(lo_packets)

n=$(wc -l <"$TB_TMP/a")
[ "$n" = 300 ] || { head "$TB_TMP/a"; tb_fail "$n lines, want 300"; }
tb_log "  ok: 300 lines"
if grep -Evq '^127\.0\.0\.[0-9]+ [0-9]+$' "$TB_TMP/a"; then
	grep -Ev '^127\.0\.0\.[0-9]+ [0-9]+$' "$TB_TMP/a" | head -n 5
	tb_fail "lines that are not 'ADDR PORT'"
fi
LC_ALL=C sort -u "$TB_TMP/a" >"$TB_TMP/a.sorted"
if ! cmp -s "$TB_TMP/space" "$TB_TMP/a.sorted"; then
	diff "$TB_TMP/space" "$TB_TMP/a.sorted" | head -n 20
	tb_fail "the probes are not exactly 127.0.0.1-3 x 1-100, once each"
fi
tb_log "  ok: exactly the 300 (host, port) pairs, each once"
cmp -s "$TB_TMP/a" "$TB_TMP/b" || tb_fail "seed 1 gave two different orders"
tb_log "  ok: same order for the same seed"
cmp -s "$TB_TMP/a" "$TB_TMP/c" && tb_fail "seeds 1 and 2 gave the same order"
LC_ALL=C sort -u "$TB_TMP/c" | cmp -s - "$TB_TMP/space" ||
	tb_fail "seed 2 does not cover the space exactly"
tb_log "  ok: another order for another seed, same space"
[ "$after" = "$before" ] ||
	tb_fail "dry run sent $((after - before)) packets on lo"
tb_log "  ok: no packet sent"
exit 0
