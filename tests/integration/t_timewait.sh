#!/usr/bin/env bash
# t_timewait: 500 open ports scanned (200 hosts on a 0.0.0.0 listener, 300
# listeners on 127.0.0.1) leave (nearly) no TIME_WAIT sockets in the
# namespace: the scanner closes its connections with a reset.  The listener
# closes normally, so a scanner that closes with a FIN leaves one TIME_WAIT
# socket per open port on one side or the other.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns tw
pairs="0.0.0.0:8080"
for p in $(seq 20001 20300); do
	pairs="$pairs 127.0.0.1:$p"
done
tb_listen tw "$pairs"
tb_truth tw "127.0.0.1-200" 8080 >"$TB_TMP/t1"
tb_truth tw "127.0.0.1" 20001-20300 >"$TB_TMP/t2"
[ "$(tb_count_tw tw)" = 0 ] || tb_fail "TIME_WAIT sockets before the scan"

tb_log "ringscan -p 8080 127.0.0.1-200"
rc=0
tb_rs tw -p 8080 -oC "$TB_TMP/a.csv" 127.0.0.1-200 >"$TB_TMP/a.out" 2>&1 ||
	rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/a.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/t1" "$TB_TMP/a.csv" open || tb_fail "open ports differ"

tb_log "ringscan -p 20001-20300 127.0.0.1"
rc=0
tb_rs tw -p 20001-20300 -oC "$TB_TMP/b.csv" 127.0.0.1 >"$TB_TMP/b.out" 2>&1 ||
	rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/b.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/t2" "$TB_TMP/b.csv" open || tb_fail "open ports differ"

sleep 0.2
n=$(tb_count_tw tw)
tb_log "TIME_WAIT sockets after 500 open ports: $n"
if [ "$n" -ge 10 ]; then
	tb_run tw ss -tan state time-wait | head -n 10
	tb_fail "$n sockets in TIME_WAIT (want < 10)"
fi
exit 0
