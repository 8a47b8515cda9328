#!/usr/bin/env bash
# t_syn_ipv6: the SYN engine over IPv6, end to end.  The network rule keeps
# IPv6 tests on ::1, so this scans ::1 over lo, where the engine uses
# AF_PACKET (AF_XDP is not offered on lo): every port of 1-2000 must come
# out as the testbed says - IPv6 listeners open, dropped ports filtered,
# IPv4-only listeners closed - which takes correct IPv6 frames, checksums
# (the kernel checks them on lo), parsing and cookies.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
[ -x "$HELPERS/synscan" ] || tb_fail "helper $HELPERS/synscan missing"

tb_netns v6
tb_run v6 ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
tb_listen v6 "[::1]:22 [::1]:1000 [::]:443 [::1]:1999 127.0.0.1:25 \
	0.0.0.0:8 [::1]:31"
tb_filter v6 "[::1]:31 [::1]:600-602"
tb_truth v6 "::1" 1-2000 >"$TB_TMP/truth"

tb_log "synscan -p 1-2000 ::1"
rc=0
timeout -k 2 60 ip netns exec "$(tb_nsname v6)" "$HELPERS/synscan" -v \
	--retries 2 --timeout-ms 300 -p 1-2000 ::1 >"$TB_TMP/rows.raw" \
	2>"$TB_TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/err"; tb_fail "synscan exited $rc"; }
grep -qx 'engine: packet' "$TB_TMP/err" || tb_fail "not the AF_PACKET engine"
tb_sort "$TB_TMP/rows.raw" >"$TB_TMP/rows"
tb_diff "$TB_TMP/truth" "$TB_TMP/rows" "rows (::1)" ||
	tb_fail "IPv6 states differ from the truth"

tb_log "synscan 127.0.0.1 over lo is refused, not silently wrong"
rc=0
ip netns exec "$(tb_nsname v6)" "$HELPERS/synscan" -p 22 127.0.0.1 \
	>/dev/null 2>"$TB_TMP/err4" || rc=$?
if [ "$rc" != 1 ] || ! grep -q 'not supported' "$TB_TMP/err4"; then
	cat "$TB_TMP/err4"
	tb_fail "IPv4 over lo: exit $rc"
fi
exit 0
