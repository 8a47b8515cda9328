#!/usr/bin/env bash
# t_audit_local: on a clean namespace, `ringscan audit` lists every listener
# (TCP and UDP, IPv4 and IPv6, wildcard, one address only, ::1 only, one in
# the ephemeral range) with its program and pid, calls each ok, adds no
# other row (no self-connection taken for a listener), exits 0, agrees with
# `ss -tuln` on the set of listening ports, and writes the same rows to -oC
# and -oJ; a process name that is not UTF-8 still gives valid -oJ JSON.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
# shellcheck source=auditlib.sh
. "$(dirname "$0")/auditlib.sh"

tb_netns host
tb_run host ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
eph=$(((eph_lo + eph_hi) / 2))

al_listen host sshd 0.0.0.0:22 '[::]:22'
sshd_pid=$AL_PID
al_listen host redis 127.0.0.5:6379
al_listen host httpd '[::1]:8080' "127.0.0.1:$eph"
httpd_pid=$AL_PID
al_listen host dnsmasq -u 0.0.0.0:53 '[::1]:5353'

al_audit host "$TB_TMP/a.txt" -oC "$TB_TMP/a.csv" -oJ "$TB_TMP/a.json"
al_expect_rc 0 "$TB_TMP/a.txt"
cat "$TB_TMP/a.txt"

al_check "$TB_TMP/a.txt" 22/tcp ok sshd \
	"netlink:yes proc:yes bind:held(v4,v6) connect:open(v4,v6)"
[ "$(al_col "$TB_TMP/a.txt" 22/tcp 6)" = "$sshd_pid" ] ||
	tb_fail "22/tcp: pid is not $sshd_pid"
[ "$(al_col "$TB_TMP/a.txt" 22/tcp 7)" = root ] || tb_fail "22/tcp: user"
al_check "$TB_TMP/a.txt" 6379/tcp ok redis "connect:open(v4)"
[ "$(al_col "$TB_TMP/a.txt" 6379/tcp 4)" = 127.0.0.5 ] ||
	tb_fail "6379/tcp: address is not 127.0.0.5"
al_check "$TB_TMP/a.txt" 8080/tcp ok httpd "bind:held(v6) connect:open(v6)"
al_check "$TB_TMP/a.txt" "$eph/tcp" ok httpd "connect:open(v4)"
[ "$(al_col "$TB_TMP/a.txt" "$eph/tcp" 6)" = "$httpd_pid" ] ||
	tb_fail "$eph/tcp: pid is not $httpd_pid"
al_check "$TB_TMP/a.txt" 53/udp ok dnsmasq "bind:held(v4)"
al_check "$TB_TMP/a.txt" 5353/udp ok dnsmasq "bind:held(v6)"

# Exactly those rows: nothing from our own sockets, no self-connection.
printf '%s\n' 22/tcp 6379/tcp 8080/tcp "$eph/tcp" 53/udp 5353/udp |
	LC_ALL=C sort >"$TB_TMP/want"
al_ports "$TB_TMP/a.txt" >"$TB_TMP/got"
cmp -s "$TB_TMP/want" "$TB_TMP/got" ||
	tb_fail "rows differ: $(diff "$TB_TMP/want" "$TB_TMP/got" | tr '\n' ' ')"
tb_log "  ok: exactly the 6 listeners, no other row"

# The same set of listening ports as ss.
al_ss_ports host >"$TB_TMP/ss"
cmp -s "$TB_TMP/ss" "$TB_TMP/got" ||
	tb_fail "ss -tuln disagrees: $(diff "$TB_TMP/ss" "$TB_TMP/got" | tr '\n' ' ')"
tb_log "  ok: agrees with ss -tuln"

# CSV and JSON lines: one row per port, same verdicts.
head -n 1 "$TB_TMP/a.csv" | grep -qx \
	'port,proto,state,service,address,program,pid,user,verdict,evidence,reason' ||
	tb_fail "bad CSV header: $(head -n 1 "$TB_TMP/a.csv")"
[ "$(($(wc -l <"$TB_TMP/a.csv") - 1))" = 6 ] || tb_fail "CSV rows"
grep -q '^22,tcp,open,ssh,"0.0.0.0,\[::\]",sshd,'"$sshd_pid"',root,ok,' \
	"$TB_TMP/a.csv" || tb_fail "CSV row for 22: $(grep '^22,' "$TB_TMP/a.csv")"
[ "$(wc -l <"$TB_TMP/a.json")" = 6 ] || tb_fail "JSON rows"
grep -q '"port":53,"proto":"udp","state":"bound".*"program":"dnsmasq".*"verdict":"ok"' \
	"$TB_TMP/a.json" || tb_fail "JSON row for 53/udp"
tb_log "  ok: -oC and -oJ"

# --no-udp: TCP rows only.
al_audit host "$TB_TMP/b.txt" --no-udp
al_expect_rc 0 "$TB_TMP/b.txt"
! al_ports "$TB_TMP/b.txt" | grep -q /udp || tb_fail "--no-udp kept UDP"
[ "$(al_ports "$TB_TMP/b.txt" | wc -l)" = 4 ] || tb_fail "--no-udp rows"
tb_log "  ok: --no-udp"

# A listener that goes away is closed-listed only if the listings still
# show it; here it is simply gone: exit 0 and no row.
kill "$httpd_pid"
wait "$httpd_pid" 2>/dev/null || true
al_audit host "$TB_TMP/c.txt" -p 1-10000
al_expect_rc 0 "$TB_TMP/c.txt"
[ -z "$(al_row "$TB_TMP/c.txt" 8080/tcp)" ] || tb_fail "8080 still listed"
tb_log "  ok: a stopped listener leaves no row"

# A process name that is not UTF-8 and holds JSON/CSV specials: -oJ stays
# valid JSON (the bad byte as U+FFFD), -oC quotes it, the table shows it as
# one column, and the JSON read back as --baseline is the same program.
evil=$'ev\xff"il,\x1b'
al_listen host "$evil" 0.0.0.0:4444
al_audit host "$TB_TMP/e.txt" -p 4444 --no-udp -oJ "$TB_TMP/e.json" \
	-oC "$TB_TMP/e.csv"
al_expect_rc 0 "$TB_TMP/e.txt"
al_check "$TB_TMP/e.txt" 4444/tcp ok 'ev_"il,_'
python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin.buffer.read().decode("utf-8").splitlines()]
row = [r for r in rows if r["port"] == 4444]
assert len(row) == 1, rows
assert row[0]["program"] == "ev\ufffd\"il,\x1b", repr(row[0]["program"])
' <"$TB_TMP/e.json" || tb_fail "-oJ is not valid JSON: $(od -c "$TB_TMP/e.json" | head)"
grep -q $'^4444,tcp,open,.*,"ev\xff""il,\x1b",' "$TB_TMP/e.csv" ||
	tb_fail "CSV row for 4444: $(od -c "$TB_TMP/e.csv" | head)"
al_audit host "$TB_TMP/f.txt" -p 4444 --no-udp --baseline "$TB_TMP/e.json"
al_expect_rc 0 "$TB_TMP/f.txt"
al_check "$TB_TMP/f.txt" 4444/tcp ok
tb_log "  ok: a hostile process name in -oJ, -oC and back as --baseline"
exit 0
