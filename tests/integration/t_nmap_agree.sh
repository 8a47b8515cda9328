#!/usr/bin/env bash
# t_nmap_agree: on the standard testbed, nmap -sT and ringscan report the
# same state for every (host, port) of 127.0.0.1-8 x 1-2000.  nmap is first
# checked against the testbed's ground truth, so a disagreement points at
# the scanner and not at the testbed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v nmap >/dev/null || tb_skip "nmap not installed"

tb_standard_bed bed
tb_truth bed "$TB_STD_HOSTS" "$TB_STD_PORTS" >"$TB_TMP/truth"

tb_log "nmap -sT -Pn -n -p $TB_STD_PORTS $TB_STD_HOSTS"
timeout 120 ip netns exec "$(tb_nsname bed)" nmap -sT -Pn -n \
	-p "$TB_STD_PORTS" -oX "$TB_TMP/nmap.xml" "$TB_STD_HOSTS" >/dev/null ||
	tb_fail "nmap failed"
tb_nmap_rows "$TB_TMP/nmap.xml" >"$TB_TMP/nmap"
tb_log "check: nmap agrees with the testbed's truth"
tb_diff "$TB_TMP/truth" "$TB_TMP/nmap" "nmap rows" ||
	tb_fail "testbed broken: nmap disagrees with the ground truth"

tb_log "ringscan -sT -p $TB_STD_PORTS --states open,closed,filtered $TB_STD_HOSTS"
rc=0
tb_rs bed -sT -p "$TB_STD_PORTS" --timeout 500 --retries 1 \
	--states open,closed,filtered -oC "$TB_TMP/rs.csv" \
	"$TB_STD_HOSTS" >"$TB_TMP/rs.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/rs.out"; tb_fail "ringscan exited $rc"; }
tb_csv_rows "$TB_TMP/rs.csv" >"$TB_TMP/rs"
tb_log "check: ringscan agrees with nmap on every port"
tb_diff "$TB_TMP/nmap" "$TB_TMP/rs" "ringscan rows vs nmap" ||
	tb_fail "ringscan and nmap disagree"
exit 0
