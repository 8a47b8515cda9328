#!/usr/bin/env bash
# t_veth_subnet: the benchmarks' topology in small.  A scanner namespace and
# a target namespace joined by veth; the target answers the whole
# 198.18.1.0/24 through a local route, with listeners on 0.0.0.0 (open on
# every host), on single hosts, and SYN drops on a prefix, a host and a
# port.  ringscan's CSV of every (host, port) must equal the ground truth
# from tests/integration/testbed.sh row for row - the same truth `make bench` scores
# nmap, masscan and zmap against.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

HOSTS=198.18.1.0/24
PORTS=22,80,443,3306,8080
tb_netns scan
tb_netns tgt
tb_veth scan tgt
tb_subnet scan tgt "$HOSTS"
tb_listen tgt "0.0.0.0:22 0.0.0.0:443 198.18.1.7:8080 198.18.1.200:80 \
	198.18.1.255:3306"
# 3306 dropped on the upper half, but .255 listens there: filtered wins.
tb_filter tgt "198.18.1.128/25:3306 198.18.1.9:* 198.18.1.10:443"
tb_truth tgt "$HOSTS" "$PORTS" >"$TB_TMP/truth"
tb_log "truth: $(grep -c ',open$' "$TB_TMP/truth") open," \
	"$(grep -c ',filtered$' "$TB_TMP/truth") filtered," \
	"$(grep -c ',closed$' "$TB_TMP/truth") closed of $(wc -l <"$TB_TMP/truth")"
# The truth itself must say what the rules above mean, or both sides of the
# comparison could share one mistake.
grep -qx '198.18.1.255,3306,filtered' "$TB_TMP/truth" &&
	grep -qx '198.18.1.127,3306,closed' "$TB_TMP/truth" &&
	grep -qx '198.18.1.9,22,filtered' "$TB_TMP/truth" &&
	grep -qx '198.18.1.7,8080,open' "$TB_TMP/truth" &&
	grep -qx '198.18.1.8,8080,closed' "$TB_TMP/truth" &&
	grep -qx '198.18.1.0,22,open' "$TB_TMP/truth" &&
	[ "$(wc -l <"$TB_TMP/truth")" = 1280 ] ||
	tb_fail "ground truth does not follow from the testbed"

tb_log "ringscan -p $PORTS --states open,closed,filtered -oC all.csv $HOSTS"
rc=0
tb_rs scan -p "$PORTS" --timeout 300 --retries 1 \
	--states open,closed,filtered -oC "$TB_TMP/all.csv" "$HOSTS" \
	>"$TB_TMP/all.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/all.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/all.csv" ||
	tb_fail "states across the veth differ from the truth"
exit 0
