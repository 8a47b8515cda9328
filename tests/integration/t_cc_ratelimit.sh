#!/usr/bin/env bash
# t_cc_ratelimit: a target that rate-limits its answers, as FreeBSD does
# with its RSTs (net.inet.icmp.icmplim) and many firewalls do.  On plain
# veth, the target sends at most 1000 RSTs per second and drops the rest
# (nft output chain, testbed_limit_answers); ringscan -sT and -sS of
# 198.18.0.2 x 1-5000, with their defaults, must still report every port
# exactly as the truth says (4 open, 2 filtered by SYN drops, 4994 closed).
# Each silence for a closed port is a RST the target chose not to send: a
# scanner that does not notice that its answers come at 1000/s however
# fast it asks reports those ports filtered.  An ideal scan takes about
# 4994 / 1000 = 5 s; the timeout allows 45 s per scan.
# shellcheck source-path=SCRIPTDIR source=cclib.sh
. "$(dirname "$0")/cclib.sh"
tb_init
: "${TB_RS_TIMEOUT:=45}"

cc_veth_bed
cc_target
tb_limit_answers tgt 1000

cc_scan sT -sT || :
if cc_syn_available; then
	cc_scan sS -sS || :
else
	tb_log "(no -sS in this ringscan: -sT only)"
fi
[ "$CC_FAILS" = 0 ] || tb_fail "$CC_FAILS scan(s) differ from the truth with RSTs limited to 1000/s"
exit 0
