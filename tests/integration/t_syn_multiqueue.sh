#!/usr/bin/env bash
# t_syn_multiqueue: replies spread over several receive queues.  On a veth
# pair with four queues a side, the target's kernel answers on whichever
# queue its transmit hash picks (with only queue 0 read, about three
# quarters of the answers would be lost), so ringscan -sS over AF_XDP
# must bind a socket on every queue (its -v engine line says "4
# queue(s)").  Each available XDP mode must report the exact truth for 16
# hosts x 2000 ports.  One retry only guards against a rare drop on a busy
# machine: a queue left unread would still lose about half of the answers
# (a retry leaves from another port, hence maybe another queue).
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

tb_netns scan
tb_netns tgt
ip -n "$(tb_nsname scan)" link add "$SYN_IF" numtxqueues 4 numrxqueues 4 \
	type veth peer name v-scan numtxqueues 4 numrxqueues 4 \
	netns "$(tb_nsname tgt)" || tb_skip "no multi-queue veth here"
tb_run scan ip addr add 198.18.0.1/24 dev "$SYN_IF"
tb_run tgt ip addr add 198.18.0.2/24 dev v-scan
tb_run scan ip link set "$SYN_IF" up
tb_run tgt ip link set v-scan up
tb_subnet scan tgt "$SYN_NET"
tb_listen tgt "0.0.0.0:22 0.0.0.0:1999 198.18.1.3:80"
tb_truth tgt 198.18.1.0/28 1-2000 >"$TB_TMP/truth"
VARIANTS=$(syn_variants xdp)
[ -n "$VARIANTS" ] || tb_skip "no AF_XDP mode works on veth here"

for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) --retries 1 -p 1-2000 198.18.1.0/28 (4 queues)"
	syn_run "$v" "$TB_TMP/mq.$v" --retries 1 --timeout 500 \
		-p 1-2000 198.18.1.0/28
	syn_engine_line "$TB_TMP/mq.$v" | grep -q ', 4 queue(s), ' ||
		tb_fail "$v: not bound to all four queues: $(syn_engine_line "$TB_TMP/mq.$v")"
	tb_diff "$TB_TMP/truth" "$TB_TMP/mq.$v" "rows ($v, 4 queues)" ||
		tb_fail "$v: answers lost on some queue"
done
exit 0
