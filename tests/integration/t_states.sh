#!/usr/bin/env bash
# t_states: every (host, port) of 127.0.0.1-8 x 1-2000 (16000 probes) on the
# standard testbed gets exactly its true state - open, closed or filtered -
# and --states open,filtered writes exactly the open and filtered rows.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_standard_bed bed
tb_truth bed "$TB_STD_HOSTS" "$TB_STD_PORTS" >"$TB_TMP/truth"
tb_log "truth: $(grep -c ',open$' "$TB_TMP/truth") open," \
	"$(grep -c ',filtered$' "$TB_TMP/truth") filtered," \
	"$(grep -c ',closed$' "$TB_TMP/truth") closed"

tb_log "ringscan -p $TB_STD_PORTS --states open,closed,filtered -oC all.csv $TB_STD_HOSTS"
rc=0
tb_rs bed -p "$TB_STD_PORTS" --states open,closed,filtered \
	-oC "$TB_TMP/all.csv" "$TB_STD_HOSTS" >"$TB_TMP/all.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/all.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/all.csv" || tb_fail "states differ from the truth"

tb_log "ringscan -p $TB_STD_PORTS --states open,filtered -oC of.csv $TB_STD_HOSTS"
rc=0
tb_rs bed -p "$TB_STD_PORTS" --states open,filtered \
	-oC "$TB_TMP/of.csv" "$TB_STD_HOSTS" >"$TB_TMP/of.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/of.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/of.csv" open,filtered ||
	tb_fail "--states open,filtered rows differ from the truth"
exit 0
