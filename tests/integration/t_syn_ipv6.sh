#!/usr/bin/env bash
# t_syn_ipv6: ringscan -sS over IPv6, end to end.  The network rule keeps
# IPv6 tests on ::1, so this scans ::1 over lo, where the engine uses
# AF_PACKET (AF_XDP is not offered on lo): every port of 1-2000 must come
# out as the testbed says - IPv6 listeners open, dropped ports filtered,
# IPv4-only listeners closed - which takes correct IPv6 frames, checksums
# (the kernel checks them on lo), parsing and cookies.  IPv4 over lo
# cannot work (the kernel drops injected frames from a local IPv4 source
# as martians), so -sS 127.0.0.1 is refused with one clear line and exit
# 2 rather than reporting every port filtered.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns v6
tb_run v6 ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
tb_listen v6 "[::1]:22 [::1]:1000 [::]:443 [::1]:1999 127.0.0.1:25 \
	0.0.0.0:8 [::1]:31"
tb_filter v6 "[::1]:31 [::1]:600-602"
tb_truth v6 "::1" 1-2000 >"$TB_TMP/truth"

tb_log "ringscan -sS -p 1-2000 ::1"
rc=0
tb_rs v6 -sS -v --retries 2 --timeout 300 -p 1-2000 \
	--states open,closed,filtered -oC "$TB_TMP/v6.csv" ::1 \
	>"$TB_TMP/out" 2>"$TB_TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/err"; tb_fail "ringscan -sS ::1 exited $rc"; }
grep -q '^ringscan: engine AF_PACKET on lo: ' "$TB_TMP/err" ||
	{ cat "$TB_TMP/err"; tb_fail "not the AF_PACKET engine on lo"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/v6.csv" ||
	tb_fail "IPv6 states differ from the truth"

tb_log "ringscan -sS 127.0.0.1 (IPv4 over lo) is refused, not silently wrong"
rc=0
tb_rs v6 -sS -p 22 127.0.0.1 >"$TB_TMP/out4" 2>"$TB_TMP/err4" || rc=$?
if [ "$rc" != 2 ] || [ "$(grep -c "^ringscan: " "$TB_TMP/err4")" != 1 ] ||
	! grep -q '^ringscan: .*IPv4 over lo' "$TB_TMP/err4"; then
	cat "$TB_TMP/err4"
	tb_fail "IPv4 over lo: exit $rc, want 2 and one line naming IPv4 over lo"
fi
tb_log "  ok: $(grep "^ringscan: " "$TB_TMP/err4")"
exit 0
