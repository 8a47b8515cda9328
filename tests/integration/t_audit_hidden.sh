#!/usr/bin/env bash
# t_audit_hidden: the audit finds what a listing hides.
#  - a --proc-root copy of the namespace's /proc/net with one TCP and one
#    UDP listener's line removed (what a hooked tcp4_seq_show would show):
#    exit 3, both ports hidden with "netlink:yes proc:no", their program
#    still named (owners read through the copy's PID links), the other
#    ports ok;
#  - a port that answers with nothing bound to it (an nft redirect): exit 3,
#    hidden with "netlink:no proc:no bind:free connect:open"; with --udp,
#    the same for a UDP port redirected to a bound one ("udp:no-icmp"), and
#    no other UDP port: every unbound one drew its ICMP port-unreachable;
#  - a garbled listing under --proc-root: exit 1, the file and line named;
#    a --proc-root with no listing at all: exit 1.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
# shellcheck source=auditlib.sh
. "$(dirname "$0")/auditlib.sh"

tb_netns host
al_listen host sshd 0.0.0.0:22
al_listen host backdoor 0.0.0.0:31337
backdoor_pid=$AL_PID
al_listen host dnsmasq -u 0.0.0.0:53 127.0.0.1:5353
dns_pid=$AL_PID

# A copy of the namespace's listings, minus 31337/tcp and 5353/udp.
root="$TB_TMP/proc"
mkdir -p "$root/net"
for f in tcp tcp6 udp udp6; do
	tb_run host cat "/proc/net/$f" >"$root/net/$f"
done
grep -q ':7A69 ' "$root/net/tcp" || tb_fail "31337 not in /proc/net/tcp"
grep -v ':7A69 ' "$root/net/tcp" >"$root/net/tcp.new"
mv "$root/net/tcp.new" "$root/net/tcp"
grep -v ':14E9 ' "$root/net/udp" >"$root/net/udp.new"
mv "$root/net/udp.new" "$root/net/udp"
for pid in $(ip netns pids "$(tb_nsname host)"); do
	ln -s "/proc/$pid" "$root/$pid"
done

al_audit host "$TB_TMP/a.txt" --proc-root "$root"
al_expect_rc 3 "$TB_TMP/a.txt"
cat "$TB_TMP/a.txt"
al_check "$TB_TMP/a.txt" 31337/tcp hidden backdoor "netlink:yes proc:no"
[ "$(al_col "$TB_TMP/a.txt" 31337/tcp 6)" = "$backdoor_pid" ] ||
	tb_fail "31337: pid is not $backdoor_pid"
al_check "$TB_TMP/a.txt" 5353/udp hidden dnsmasq "netlink:yes proc:no"
[ "$(al_col "$TB_TMP/a.txt" 5353/udp 6)" = "$dns_pid" ] ||
	tb_fail "5353: pid is not $dns_pid"
grep -q '31337/tcp hidden: /proc/net lacks 0.0.0.0:31337' "$TB_TMP/a.txt" ||
	tb_fail "no reason line for 31337"
al_check "$TB_TMP/a.txt" 22/tcp ok sshd "netlink:yes proc:yes"
al_check "$TB_TMP/a.txt" 53/udp ok dnsmasq
grep -q '2 hidden' "$TB_TMP/a.txt" || tb_fail "summary does not count 2 hidden"

# Answers, though nothing is bound there: locally generated SYNs to 8888
# are redirected to 22.
# The same for UDP with --udp: datagrams to 9999 go to 53, so no ICMP
# port-unreachable comes back from a port nothing is bound to.
tb_run host nft -f - <<-'EOF' || tb_skip "nft nat (redirect) not available"
	add table ip rsaudit
	add chain ip rsaudit out { type nat hook output priority -100; }
	add rule ip rsaudit out tcp dport 8888 redirect to :22
	add rule ip rsaudit out udp dport 9999 redirect to :53
EOF
al_audit host "$TB_TMP/b.txt" --udp
al_expect_rc 3 "$TB_TMP/b.txt"
al_check "$TB_TMP/b.txt" 8888/tcp hidden - \
	"netlink:no proc:no bind:free connect:open(v4)"
grep -q '8888/tcp hidden: answers over IPv4, but no listing' "$TB_TMP/b.txt" ||
	tb_fail "no reason line for 8888"
al_check "$TB_TMP/b.txt" 9999/udp hidden - \
	"netlink:no proc:no bind:free udp:no-icmp(v4)"
al_check "$TB_TMP/b.txt" 53/udp ok dnsmasq "bind:held(v4) udp:no-icmp(v4)"
al_check "$TB_TMP/b.txt" 31337/tcp ok backdoor
[ "$(grep -c ' hidden ' "$TB_TMP/b.txt")" = 2 ] ||
	{ cat "$TB_TMP/b.txt"; tb_fail "want exactly 2 hidden rows with --udp"; }
tb_run host nft delete table ip rsaudit

# Garbled listings are bad input, named by file and line.
printf '  sl  local_address rem_address   st\n   0: 0100007F:00ZZ 00000000:0000 0A\n' \
	>"$root/net/tcp6"
al_audit host "$TB_TMP/c.txt" --proc-root "$root"
al_expect_rc 1 "$TB_TMP/c.txt"
grep -q "net/tcp6 line 2: '0100007F:00ZZ'" "$TB_TMP/c.txt.err" ||
	tb_fail "error does not name net/tcp6 line 2: $(cat "$TB_TMP/c.txt.err")"
tb_log "  ok: garbled listing: $(cat "$TB_TMP/c.txt.err")"
mkdir -p "$TB_TMP/empty"
al_audit host "$TB_TMP/d.txt" --proc-root "$TB_TMP/empty"
al_expect_rc 1 "$TB_TMP/d.txt"
tb_log "  ok: empty proc root: $(cat "$TB_TMP/d.txt.err")"
exit 0
