#!/usr/bin/env bash
# t_cc_bottleneck: a path with a bottleneck the scanner knows nothing about.
# Scanner and target are joined through bench/wanem: 5000 frames/s each
# way, a 100-frame tail-drop buffer in front of it, 20 ms each way (40 ms
# RTT) and 1 % random loss each way.  ringscan -sT and -sS of 198.18.0.2 x
# 1-5000, with their defaults, must report every port exactly as the
# testbed's truth says (4 open, 2 filtered by SYN drops, the rest closed).
# A scanner that sends faster than 5000 probes/s overflows the buffer: the
# dropped SYNs (or the answers behind them) look like filtered ports unless
# it slows down to what the path carries and retries what was lost - the
# congestion control this test asks for.  An ideal scan takes about
# 5000 / 5000 + 3 x 0.04 = 1.1 s; the timeout allows 45 s per scan.
# wanem runs at SCHED_FIFO priority (--fifo) so that the emulated path
# keeps its timing while the scanner keeps a core busy.
# shellcheck source-path=SCRIPTDIR source=cclib.sh
. "$(dirname "$0")/cclib.sh"
tb_init
: "${TB_RS_TIMEOUT:=45}"

cc_wan_bed --pps 5000 --queue 100 --delay 20 --loss 1 --seed 1 --fifo 10
cc_target

cc_scan sT -sT || :
if cc_syn_available; then
	cc_scan sS -sS || :
else
	tb_log "(no -sS in this ringscan: -sT only)"
fi
[ "$CC_FAILS" = 0 ] || tb_fail "$CC_FAILS scan(s) differ from the truth behind a 5000 frames/s bottleneck"
exit 0
