#!/usr/bin/env bash
# t_audit_policy: --allow and --baseline.
#  - --allow that covers every listener: exit 0; one that leaves a port out
#    or names another program for it: exit 3, that port unexpected with
#    "allow:no", the rest ok; a bad --allow: exit 1 naming the item;
#  - --baseline from a previous audit's CSV, JSON lines and text output:
#    a listener started since is unexpected ("baseline:new"), one stopped
#    since is reported disappeared (not a finding); unchanged: exit 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
# shellcheck source=auditlib.sh
. "$(dirname "$0")/auditlib.sh"

tb_netns host
al_listen host sshd 0.0.0.0:22
al_listen host nginx 0.0.0.0:80 0.0.0.0:443
al_listen host dnsmasq -u 0.0.0.0:53
dns_pid=$AL_PID
ports=(-p 1-2000)

al_audit host "$TB_TMP/a.txt" "${ports[@]}" --allow 22/sshd,80,443/tcp/ngin? \
	--allow 53/udp
al_expect_rc 0 "$TB_TMP/a.txt"
al_check "$TB_TMP/a.txt" 443/tcp ok nginx

al_audit host "$TB_TMP/b.txt" "${ports[@]}" --allow 22,443,53/udp
al_expect_rc 3 "$TB_TMP/b.txt"
al_check "$TB_TMP/b.txt" 80/tcp unexpected nginx "allow:no"
al_check "$TB_TMP/b.txt" 22/tcp ok sshd
al_check "$TB_TMP/b.txt" 53/udp ok dnsmasq
grep -q '80/tcp unexpected: not allowed by --allow' "$TB_TMP/b.txt" ||
	tb_fail "no reason line for 80"

al_audit host "$TB_TMP/c.txt" "${ports[@]}" --allow 22/httpd,80,443,53/udp
al_expect_rc 3 "$TB_TMP/c.txt"
al_check "$TB_TMP/c.txt" 22/tcp unexpected sshd "allow:no"

al_audit host "$TB_TMP/d.txt" "${ports[@]}" --allow none --no-udp
al_expect_rc 3 "$TB_TMP/d.txt"
[ "$(grep -c ' unexpected ' "$TB_TMP/d.txt")" = 3 ] ||
	tb_fail "--allow none: want 3 unexpected"

al_audit host "$TB_TMP/e.txt" --allow 22,70000
al_expect_rc 1 "$TB_TMP/e.txt"
grep -q "'70000'" "$TB_TMP/e.txt.err" || tb_fail "bad --allow not named"
tb_log "  ok: $(cat "$TB_TMP/e.txt.err")"

# Baselines in all three formats, then a change.
al_audit host "$TB_TMP/base.txt" "${ports[@]}" -oC "$TB_TMP/base.csv" \
	-oJ "$TB_TMP/base.json" -oN "$TB_TMP/base.norm"
al_expect_rc 0 "$TB_TMP/base.txt"
for b in base.csv base.json base.txt; do
	al_audit host "$TB_TMP/same.txt" "${ports[@]}" --baseline "$TB_TMP/$b"
	al_expect_rc 0 "$TB_TMP/same.txt"
done
# -oN holds the same table as stdout (the closing line's time aside).
cmp -s <(head -n -1 "$TB_TMP/base.norm") <(head -n -1 "$TB_TMP/base.txt") ||
	tb_fail "-oN differs from the table on stdout"

kill "$dns_pid"
wait "$dns_pid" 2>/dev/null || true
al_listen host ncat 0.0.0.0:1337
for b in base.csv base.json base.txt; do
	al_audit host "$TB_TMP/diff.txt" "${ports[@]}" --baseline "$TB_TMP/$b"
	al_expect_rc 3 "$TB_TMP/diff.txt"
	al_check "$TB_TMP/diff.txt" 1337/tcp unexpected ncat "baseline:new"
	al_check "$TB_TMP/diff.txt" 53/udp disappeared dnsmasq "baseline:gone"
	al_check "$TB_TMP/diff.txt" 22/tcp ok sshd
done
grep -q '1 unexpected, 0 closed-listed, 1 disappeared' "$TB_TMP/diff.txt" ||
	tb_fail "summary: $(tail -n 1 "$TB_TMP/diff.txt")"

# An --allow covering the newcomer leaves only the disappearance: exit 0.
al_audit host "$TB_TMP/f.txt" "${ports[@]}" --baseline "$TB_TMP/base.csv" \
	--allow 1-2000
al_expect_rc 0 "$TB_TMP/f.txt"
al_check "$TB_TMP/f.txt" 53/udp disappeared

printf 'hello\n' >"$TB_TMP/junk"
al_audit host "$TB_TMP/g.txt" --baseline "$TB_TMP/junk"
al_expect_rc 1 "$TB_TMP/g.txt"
tb_log "  ok: $(cat "$TB_TMP/g.txt.err")"
exit 0
