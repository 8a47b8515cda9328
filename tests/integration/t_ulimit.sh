#!/usr/bin/env bash
# t_ulimit: with only 256 descriptors allowed (soft and hard), asking for
# 5000 connections in flight must still scan 1-5000 exactly and exit 0:
# the scanner fits its concurrency to RLIMIT_NOFILE instead of failing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns lim
tb_listen lim "127.0.0.1:1 127.0.0.1:22 127.0.0.1:2500 127.0.0.1:4999 \
	127.0.0.1:5000 0.0.0.0:3000"
tb_filter lim "127.0.0.1:7 127.0.0.1:4000-4002 127.0.0.1:4999"
tb_truth lim 127.0.0.1 1-5000 >"$TB_TMP/truth"

tb_log "ulimit -n 256; ringscan --concurrency 5000 -p 1-5000 127.0.0.1"
rc=0
(
	ulimit -n 256
	tb_rs lim --concurrency 5000 -p 1-5000 --states open,closed,filtered \
		-oC "$TB_TMP/lim.csv" 127.0.0.1
) >"$TB_TMP/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "ringscan exited $rc under ulimit -n 256"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/lim.csv" || tb_fail "states differ under ulimit -n 256"
exit 0
