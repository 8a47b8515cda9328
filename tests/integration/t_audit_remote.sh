#!/usr/bin/env bash
# t_audit_remote: `ringscan audit --netstat FILE TARGET` from a second
# machine (namespace "scan", 198.18.0.1) against a server ("srv",
# 198.18.0.2), with the server's own `ss -tlnp` / `netstat -tulnp` output:
#  - the full capture: exit 0; a listener bound to 127.0.0.1 only is
#    closed-listed (not on the scanned address), not a finding;
#  - the capture with one line removed (what a compromised ss would
#    print): exit 3, that port hidden with "netstat:no connect:open(v4)";
#  - the same from inside the server against 127.0.0.1 (the local form of
#    the remote check), and the server's own local audit (its veth address
#    is among the local addresses it scans): clean;
#  - a garbled capture: exit 1, the line named.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
# shellcheck source=auditlib.sh
. "$(dirname "$0")/auditlib.sh"

tb_netns scan
tb_netns srv
tb_veth scan srv
al_listen srv sshd 0.0.0.0:22 '[::]:22'
al_listen srv nginx 198.18.0.2:80
al_listen srv cupsd 127.0.0.1:631
al_listen srv backdoor 0.0.0.0:31337
al_listen srv dnsmasq -u 0.0.0.0:53

tb_run srv ss -tlnp >"$TB_TMP/ss.txt"
tb_run srv netstat -tulnp >"$TB_TMP/netstat.txt" 2>&1 ||
	tb_skip "netstat (net-tools) not installed"
grep -v ':31337 ' "$TB_TMP/ss.txt" >"$TB_TMP/ss-hidden.txt"
grep -v ':31337 ' "$TB_TMP/netstat.txt" >"$TB_TMP/netstat-hidden.txt"

for cap in ss netstat; do
	al_audit scan "$TB_TMP/$cap.out" --netstat "$TB_TMP/$cap.txt" 198.18.0.2
	al_expect_rc 0 "$TB_TMP/$cap.out"
	al_check "$TB_TMP/$cap.out" 22/tcp ok sshd "netstat:yes connect:open(v4)"
	al_check "$TB_TMP/$cap.out" 80/tcp ok nginx
	al_check "$TB_TMP/$cap.out" 31337/tcp ok backdoor
	al_check "$TB_TMP/$cap.out" 631/tcp closed-listed cupsd
	grep -q '631/tcp closed-listed: listed on 127.0.0.1 only' \
		"$TB_TMP/$cap.out" || tb_fail "no reason line for 631"

	al_audit scan "$TB_TMP/$cap-h.out" --netstat "$TB_TMP/$cap-hidden.txt" \
		198.18.0.2
	al_expect_rc 3 "$TB_TMP/$cap-h.out"
	al_check "$TB_TMP/$cap-h.out" 31337/tcp hidden - \
		"netstat:no connect:open(v4)"
	al_check "$TB_TMP/$cap-h.out" 22/tcp ok sshd
done
cat "$TB_TMP/ss-h.out"
al_check "$TB_TMP/netstat.out" 53/udp ok dnsmasq "netstat:yes connect:-"

# The server's own local audit covers its veth address too: clean, exit 0.
al_audit srv "$TB_TMP/local.out"
al_expect_rc 0 "$TB_TMP/local.out"
grep -q '^ringscan .* audit of this host (127.0.0.1 198.18.0.2 ::1' \
	"$TB_TMP/local.out" || tb_fail "local audit addresses: $(head -n 1 "$TB_TMP/local.out")"
al_check "$TB_TMP/local.out" 80/tcp ok nginx "connect:open(v4)"
al_check "$TB_TMP/local.out" 631/tcp ok cupsd
al_check "$TB_TMP/local.out" 53/udp ok dnsmasq

# Inside the server, against its loopback.
al_audit srv "$TB_TMP/lo.out" --netstat "$TB_TMP/ss-hidden.txt" 127.0.0.1
al_expect_rc 3 "$TB_TMP/lo.out"
al_check "$TB_TMP/lo.out" 31337/tcp hidden - "netstat:no connect:open(v4)"
al_check "$TB_TMP/lo.out" 631/tcp ok cupsd
al_check "$TB_TMP/lo.out" 80/tcp closed-listed nginx

# Garbled captures are refused, naming the line.
{
	head -n 2 "$TB_TMP/ss.txt"
	echo 'LISTEN 0 4096 0.0.0.0:ssh 0.0.0.0:*'
	tail -n +3 "$TB_TMP/ss.txt"
} >"$TB_TMP/garbled.txt"
al_audit scan "$TB_TMP/g.out" --netstat "$TB_TMP/garbled.txt" 198.18.0.2
al_expect_rc 1 "$TB_TMP/g.out"
grep -q "garbled.txt line 3: '0.0.0.0:ssh'" "$TB_TMP/g.out.err" ||
	tb_fail "error does not name line 3: $(cat "$TB_TMP/g.out.err")"
tb_log "  ok: $(cat "$TB_TMP/g.out.err")"
: >"$TB_TMP/empty.txt"
al_audit scan "$TB_TMP/e.out" --netstat "$TB_TMP/empty.txt" 198.18.0.2
al_expect_rc 1 "$TB_TMP/e.out"
al_audit scan "$TB_TMP/n.out" --netstat "$TB_TMP/ss.txt"
al_expect_rc 1 "$TB_TMP/n.out"
tb_log "  ok: $(cat "$TB_TMP/n.out.err")"
exit 0
