#!/usr/bin/env bash
# t_audit_unhide: ringscan audit and unhide-tcp agree.
#  - a clean namespace with TCP and UDP listeners: unhide-tcp and
#    unhide-tcp -s find nothing hidden (exit 0), nor does the audit (exit 0);
#  - the same namespace seen through a lying listing: unhide-tcp runs with
#    an `ss`/`netstat` first in PATH that drop two ports (how a userland
#    rootkit hides them), the audit with a --proc-root copy of /proc/net
#    without the same two ports.  Both must name exactly those ports as
#    hidden (unhide-tcp: exit 4 for TCP, 8 for UDP, 12 for both; the
#    audit: exit 3).  unhide-tcp checks IPv4 only, so the ports are IPv4.
#    One known difference is checked too: unhide-tcp -s binds with
#    SO_REUSEADDR, so a UDP listener that set it as well (the test's
#    listener does, as most DNS servers do) binds fine beside it and -s
#    misses the hidden UDP port; its TCP finding must still agree.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
# shellcheck source=auditlib.sh
. "$(dirname "$0")/auditlib.sh"

command -v unhide-tcp >/dev/null 2>&1 ||
	tb_skip "unhide-tcp not installed (apt-get install unhide)"

tb_netns host
al_listen host sshd 0.0.0.0:22 '[::]:22'
al_listen host nginx 0.0.0.0:80 127.0.0.5:8080
al_listen host backdoor 0.0.0.0:31337
al_listen host dnsmasq -u 0.0.0.0:53 0.0.0.0:5353

# unhide-tcp's verdict: "PORT/tcp" and "PORT/udp" it reports hidden.
unhide_hidden()
{
	awk '
	/Starting TCP checking/ { p = "tcp" }
	/Starting UDP checking/ { p = "udp" }
	/Found Hidden port/ { n = split($0, w, " "); print w[n] "/" p }' "$1" |
		LC_ALL=C sort
}

# The audit's hidden rows.
audit_hidden()
{
	awk '$1 ~ /^[0-9]+\/(tcp|udp)$/ && $8 == "hidden" { print $1 }' "$1" |
		LC_ALL=C sort
}

for opt in "" -s; do
	rc=0
	# shellcheck disable=SC2086 # opt may be empty
	tb_run host unhide-tcp $opt >"$TB_TMP/u.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/u.out"; tb_fail "unhide-tcp $opt: exit $rc"; }
	[ -z "$(unhide_hidden "$TB_TMP/u.out")" ] ||
		tb_fail "unhide-tcp $opt found hidden ports in a clean namespace"
	tb_log "  ok: unhide-tcp $opt: nothing hidden"
done
al_audit host "$TB_TMP/a.txt"
al_expect_rc 0 "$TB_TMP/a.txt"
[ -z "$(audit_hidden "$TB_TMP/a.txt")" ] || tb_fail "audit found hidden ports"

# The lie: 31337/tcp and 5353/udp vanish from every listing.
mkdir -p "$TB_TMP/fakebin"
for tool in ss netstat; do
	real=$(command -v "$tool") || tb_skip "$tool not installed"
	cat >"$TB_TMP/fakebin/$tool" <<-EOF
		#!/bin/sh
		"$real" "\$@" | grep -v -e ':31337 ' -e ':5353 '
	EOF
	chmod +x "$TB_TMP/fakebin/$tool"
done
printf '%s\n' 31337/tcp 5353/udp | LC_ALL=C sort >"$TB_TMP/want"

for opt in "" -s; do
	rc=0
	want="$TB_TMP/want" want_rc=12
	if [ "$opt" = -s ]; then
		echo 31337/tcp >"$TB_TMP/want.s"
		want="$TB_TMP/want.s" want_rc=4
	fi
	# shellcheck disable=SC2086 # opt may be empty
	tb_run host env PATH="$TB_TMP/fakebin:$PATH" unhide-tcp $opt \
		>"$TB_TMP/u.out" 2>&1 || rc=$?
	unhide_hidden "$TB_TMP/u.out" >"$TB_TMP/got"
	cmp -s "$want" "$TB_TMP/got" ||
		{ cat "$TB_TMP/u.out"; tb_fail "unhide-tcp $opt reported: $(tr '\n' ' ' <"$TB_TMP/got")"; }
	[ "$rc" = "$want_rc" ] ||
		tb_fail "unhide-tcp $opt: exit $rc, want $want_rc"
	tb_log "  ok: unhide-tcp $opt: hidden $(tr '\n' ' ' <"$TB_TMP/got")"
done

root="$TB_TMP/proc"
mkdir -p "$root/net"
for f in tcp tcp6 udp udp6; do
	tb_run host cat "/proc/net/$f" |
		grep -v -e ':7A69 ' -e ':14E9 ' >"$root/net/$f"
done
al_audit host "$TB_TMP/b.txt" --proc-root "$root"
al_expect_rc 3 "$TB_TMP/b.txt"
audit_hidden "$TB_TMP/b.txt" >"$TB_TMP/got"
cmp -s "$TB_TMP/want" "$TB_TMP/got" ||
	{ cat "$TB_TMP/b.txt"; tb_fail "audit reported: $(tr '\n' ' ' <"$TB_TMP/got")"; }
tb_log "  ok: the audit agrees: hidden $(tr '\n' ' ' <"$TB_TMP/got")"
exit 0
