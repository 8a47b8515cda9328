#!/usr/bin/env bash
# t_ipv6: a scan of ::1 finds exactly the [::1] and [::] listeners, the
# dropped [::1] ports as filtered and nothing from the IPv4 listeners.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns v6
tb_run v6 ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
tb_listen v6 "[::1]:22 [::1]:80 [::1]:1000 [::1]:1999 [::]:443 \
	127.0.0.1:25 0.0.0.0:8 [::1]:31"
tb_filter v6 "[::1]:31 [::1]:600-602 127.0.0.1:22"
tb_truth v6 "::1" "1-2000" >"$TB_TMP/truth"
tb_log "truth: $(grep ',open$' "$TB_TMP/truth" | tr '\n' ' ')"

tb_log "ringscan -p 1-2000 --states open,closed,filtered -oC v6.csv ::1"
rc=0
tb_rs v6 -p 1-2000 --states open,closed,filtered -oC "$TB_TMP/v6.csv" \
	::1 >"$TB_TMP/v6.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/v6.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/v6.csv" || tb_fail "IPv6 states differ"

tb_log "ringscan -p 1-2000 -oC open.csv ::1 (default --states open)"
rc=0
tb_rs v6 -p 1-2000 -oC "$TB_TMP/open.csv" ::1 >"$TB_TMP/open.out" 2>&1 ||
	rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/open.out"; tb_fail "ringscan exited $rc"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/open.csv" open || tb_fail "open rows differ"
exit 0
