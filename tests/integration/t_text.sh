#!/usr/bin/env bash
# t_text: the default output (nmap-like text on stdout) lists 22/tcp ssh
# and 80/tcp http as open and summarizes the 1022 closed ports.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns txt
tb_listen txt "127.0.0.1:22 127.0.0.1:80"
tb_log "ringscan -p 1-1024 127.0.0.1"
rc=0
tb_rs txt -p 1-1024 127.0.0.1 >"$TB_TMP/out" 2>"$TB_TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out" "$TB_TMP/err"; tb_fail "ringscan exited $rc"; }

bad=0
for re in '^22/tcp +open +ssh( |$)' '^80/tcp +open +http( |$)' \
	'^Not shown: 1022 closed tcp ports' '^PORT +STATE +SERVICE'; do
	if grep -Eq "$re" "$TB_TMP/out"; then
		tb_log "  ok: a line matches /$re/"
	else
		tb_log "  MISSING: no line matches /$re/"
		bad=1
	fi
done
n=$(grep -Ec '^[0-9]+/tcp ' "$TB_TMP/out" || true)
if [ "$n" = 2 ]; then
	tb_log "  ok: exactly 2 port lines"
else
	tb_log "  WRONG: $n port lines, want 2"
	bad=1
fi
if [ "$bad" != 0 ]; then
	tb_log "--- stdout:"
	cat "$TB_TMP/out"
	tb_log "--- stderr:"
	cat "$TB_TMP/err"
	tb_fail "text output is not as expected"
fi
exit 0
