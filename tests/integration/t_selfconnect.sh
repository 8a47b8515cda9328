#!/usr/bin/env bash
# t_selfconnect: nothing listens in the ephemeral port range, yet a connect
# to 127.0.0.1:P from ephemeral port P connects a socket to itself and looks
# open.  Three scans of the whole default range 32768-60999 must report zero
# open ports, every one closed.  Self-connects there are rare (the kernel
# tries even ports first), so the namespace's range is then narrowed to
# 50000-50999 and scanned 20 times: a naive connect() scanner measured about
# one self-connect per pass of that narrow range.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns self
range=$(tb_run self sysctl -n net.ipv4.ip_local_port_range | tr -s ' \t' '-')
tb_log "ephemeral range in the namespace: $range"
tb_truth self 127.0.0.1 32768-60999 >"$TB_TMP/truth"
for i in 1 2 3; do
	tb_log "scan $i: ringscan --concurrency 5000 -p 32768-60999 127.0.0.1"
	rc=0
	tb_rs self --concurrency 5000 -p 32768-60999 \
		--states open,closed,filtered -oC "$TB_TMP/s$i.csv" \
		127.0.0.1 >"$TB_TMP/s$i.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/s$i.out"; tb_fail "ringscan exited $rc"; }
	n=$(awk -F, 'NR > 1 && $4 == "open"' "$TB_TMP/s$i.csv" | wc -l)
	if [ "$n" != 0 ]; then
		awk -F, 'NR > 1 && $4 == "open"' "$TB_TMP/s$i.csv" | head
		tb_fail "scan $i reported $n open ports (self-connects)"
	fi
	tb_log "  ok: no open port"
	tb_compare "$TB_TMP/truth" "$TB_TMP/s$i.csv" || tb_fail "scan $i: states differ"
done

tb_run self sysctl -qw net.ipv4.ip_local_port_range="50000 50999"
tb_log "ephemeral range narrowed to 50000-50999; 20 scans of it"
tb_truth self 127.0.0.1 50000-50999 >"$TB_TMP/truth2"
for i in $(seq 1 20); do
	rc=0
	tb_rs self --concurrency 5000 -p 50000-50999 \
		--states open,closed,filtered -oC "$TB_TMP/n.csv" \
		127.0.0.1 >"$TB_TMP/n.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/n.out"; tb_fail "narrow scan $i: ringscan exited $rc"; }
	tb_compare "$TB_TMP/truth2" "$TB_TMP/n.csv" >"$TB_TMP/n.cmp" || {
		cat "$TB_TMP/n.cmp"
		tb_fail "narrow scan $i: states differ (self-connects?)"
	}
done
tb_log "  ok: 20 x 1000 ports, all closed"
exit 0
