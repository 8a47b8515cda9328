#!/usr/bin/env bash
# t_syn_retrans: a -sT attempt that goes unanswered does not let the kernel
# send SYNs of its own.  Linux retransmits a connect's SYN one second after
# it; an attempt that keeps listening for a late answer past that adds a
# probe the scheduler never paced (on a bottleneck, thousands of them).
# With --min-rtt-timeout 500ms each attempt waits at least half a second
# and would listen two timeouts more; the scan must stop listening before
# the kernel's retransmission (TcpExtTCPSynRetrans stays 0) and still
# report the filtered ports filtered and the closed ones closed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns sr
tb_filter sr "127.0.0.1:9 127.0.0.1:11"
tb_listen sr "127.0.0.1:10"
tb_truth sr 127.0.0.1 9-14 >"$TB_TMP/truth"

synretrans()
{
	tb_run sr nstat -asz TcpExtTCPSynRetrans |
		awk '$1 == "TcpExtTCPSynRetrans" { print $2 }'
}

before=$(synretrans)
[ -n "$before" ] || tb_skip "nstat cannot read TcpExtTCPSynRetrans"
tb_log "ringscan -sT --min-rtt-timeout 500ms --max-retries 2 -p 9-14 127.0.0.1"
rc=0
tb_rs sr -v -sT --min-rtt-timeout 500ms --max-retries 2 -p 9-14 \
	--states open,closed,filtered -oC "$TB_TMP/a.csv" 127.0.0.1 >"$TB_TMP/a.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/a.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/a.csv" || tb_fail "states differ"
# The sockets are closed when the scan ends; a retransmission already sent
# has been counted by then.
after=$(synretrans)
tb_log "kernel SYN retransmissions during the scan: $((after - before))"
if [ "$((after - before))" -ne 0 ]; then
	grep -E 'attempts|kept listening' "$TB_TMP/a.out"
	tb_fail "the kernel retransmitted $((after - before)) SYNs (want 0)"
fi
exit 0
