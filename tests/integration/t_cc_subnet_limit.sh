#!/usr/bin/env bash
# t_cc_subnet_limit: a whole subnet behind one answer limit - a firewall
# that polices the RSTs of 198.18.1.0/24 together at 500 a second (one
# namespace answers the /24 through a local route; its nft output chain
# drops RSTs above the rate).  Each host gets only 5 probes, so no host
# alone shows the limit: the scan as a whole must see that its first
# attempts go unanswered and slow down, and must not call the silence of a
# host that has not answered yet "filtered".  -sT and -sS of the /24 x 5
# ports (1280 probes, 1270-odd closed) must equal the truth exactly.
# Ideal: about 1270 / 500 = 2.5 s; the timeout allows 60 s per scan.
# shellcheck source-path=SCRIPTDIR source=cclib.sh
. "$(dirname "$0")/cclib.sh"
tb_init
: "${TB_RS_TIMEOUT:=60}"

CC_HOST=198.18.1.0/24
CC_PORTS=22,80,443,3306,8080
cc_veth_bed
tb_subnet scan tgt "$CC_HOST"
tb_listen tgt "0.0.0.0:22 198.18.1.7:8080 198.18.1.200:80"
tb_filter tgt "198.18.1.9:* 198.18.1.10:443"
tb_truth tgt "$CC_HOST" "$CC_PORTS" >"$TB_TMP/truth"
grep -qx '198.18.1.9,22,filtered' "$TB_TMP/truth" &&
	grep -qx '198.18.1.7,8080,open' "$TB_TMP/truth" &&
	grep -qx '198.18.1.8,8080,closed' "$TB_TMP/truth" &&
	[ "$(wc -l <"$TB_TMP/truth")" = 1280 ] ||
	tb_fail "ground truth does not follow from the testbed"
tb_limit_answers tgt 500

cc_scan sT -sT || :
if cc_syn_available; then
	cc_scan sS -sS || :
else
	tb_log "(no -sS in this ringscan: -sT only)"
fi
[ "$CC_FAILS" = 0 ] || tb_fail "$CC_FAILS scan(s) differ from the truth with the /24's RSTs policed at 500/s"
exit 0
