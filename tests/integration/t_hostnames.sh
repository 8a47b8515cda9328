#!/usr/bin/env bash
# t_hostnames: a target given by name keeps its name in every output - the
# text report ("scan report for localhost (127.0.0.1)"), XML (<hostname
# type="user">, still valid against nmap.dtd, and ndiff reads it), grepable
# ("Host: 127.0.0.1 (localhost)"), CSV (the last column) and JSON
# ("hostname") - and through `ringscan merge` of those rows, while a CSV
# of the older seven columns still merges.  -n changes nothing (no reverse
# lookups is the default; given names stay), -R adds reverse-lookup names
# (type PTR) for hosts given by address, and -n with -R is refused.
# "localhost" and the reverse name of 127.0.0.1 come from /etc/hosts.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

getent hosts localhost | grep -q '^127\.0\.0\.1[[:space:]]' ||
	tb_skip "localhost does not resolve to 127.0.0.1 first here"

tb_netns hn
tb_listen hn "127.0.0.1:22 127.0.0.1:80"
tb_truth hn 127.0.0.1 20-25,80 >"$TB_TMP/truth"
T=$TB_TMP

tb_log "ringscan -p 20-25,80 -oA base -oJ j --states open,closed,filtered localhost"
tb_rs hn -p 20-25,80 -oA "$T/base" -oJ "$T/j.json" \
	--states open,closed,filtered localhost >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err"; tb_fail "ringscan failed"; }
want_text='ringscan scan report for localhost (127.0.0.1)'
for f in "$T/out" "$T/base.nmap"; do
	grep -qxF "$want_text" "$f" ||
		{ cat "$f"; tb_fail "$(basename "$f"): no line '$want_text'"; }
done
tb_log "  ok: text and -oN name the host"
grep -qxF '<hostname name="localhost" type="user"/>' "$T/base.xml" ||
	{ grep -A3 '<hostnames>' "$T/base.xml"; tb_fail "XML lacks <hostname type=user>"; }
if [ -r /usr/share/nmap/nmap.dtd ] && command -v xmllint >/dev/null; then
	xmllint --noout --dtdvalid /usr/share/nmap/nmap.dtd "$T/base.xml" ||
		tb_fail "XML with a host name does not validate against nmap.dtd"
	tb_log "  ok: XML names the host and validates"
else
	tb_note "no xmllint or nmap.dtd: XML validity not checked"
fi
if command -v ndiff >/dev/null; then
	ndiff "$T/base.xml" "$T/base.xml" >/dev/null 2>"$T/ndiff.err" || true
	[ ! -s "$T/ndiff.err" ] || { cat "$T/ndiff.err"; tb_fail "ndiff complains"; }
	tb_log "  ok: ndiff reads it"
fi
[ "$(grep -c $'^Host: 127\\.0\\.0\\.1 (localhost)\t' "$T/base.gnmap")" = 2 ] ||
	{ cat "$T/base.gnmap"; tb_fail "grepable lines do not name the host"; }
tb_log "  ok: grepable names the host"
head -n 1 "$T/base.csv" | grep -qx 'host,port,proto,state,service,reason,rtt_ms,hostname' ||
	tb_fail "CSV header has no hostname column"
awk -F, 'NR > 1 && $8 != "localhost" { bad = 1 } END { exit bad }' "$T/base.csv" ||
	{ cat "$T/base.csv"; tb_fail "a CSV row without the host name"; }
# The columns before it are as before: the rows still match the truth.
awk -F, 'NR > 1 { print $1 "," $2 "," $4 }' "$T/base.csv" | tb_sort >"$T/got"
tb_diff "$T/truth" "$T/got" "CSV rows" || tb_fail "CSV rows are wrong"
n=$(grep -c '"hostname":"localhost"}$' "$T/j.json" || true)
[ "$n" = "$(wc -l <"$T/truth")" ] ||
	{ cat "$T/j.json"; tb_fail "$n JSON rows name the host, want $(wc -l <"$T/truth")"; }
tb_log "  ok: every CSV and JSON row names the host"

tb_log "ringscan merge base.csv j.json -oN -oX -oC: names survive"
"$RINGSCAN" merge "$T/base.csv" "$T/j.json" -oN "$T/m.nmap" \
	-oX "$T/m.xml" -oC "$T/m.csv" 2>"$T/merr" ||
	{ cat "$T/merr"; tb_fail "merge failed"; }
grep -qxF "$want_text" "$T/m.nmap" || { cat "$T/m.nmap"; tb_fail "merged text lost the name"; }
grep -qxF '<hostname name="localhost" type="user"/>' "$T/m.xml" ||
	tb_fail "merged XML lost the name"
awk -F, 'NR > 1 && $8 != "localhost" { bad = 1 } END { exit bad }' "$T/m.csv" ||
	{ cat "$T/m.csv"; tb_fail "merged CSV lost the name"; }
tb_log "  ok"

tb_log "ringscan merge of a seven-column CSV (older versions): read, no name"
sed 's/,[^,]*$//' "$T/base.csv" >"$T/old.csv"
head -n 1 "$T/old.csv" | grep -qx 'host,port,proto,state,service,reason,rtt_ms' ||
	tb_fail "test bug: old.csv header"
"$RINGSCAN" merge "$T/old.csv" -oN "$T/o.nmap" -oC "$T/o.csv" 2>"$T/oerr" ||
	{ cat "$T/oerr"; tb_fail "merge of an old CSV failed"; }
grep -qx 'ringscan scan report for 127.0.0.1' "$T/o.nmap" ||
	{ cat "$T/o.nmap"; tb_fail "old CSV: report wrong"; }
awk -F, 'NR > 1 { print $1 "," $2 "," $4 }' "$T/o.csv" | tb_sort >"$T/got"
tb_diff "$T/truth" "$T/got" "old CSV rows" || tb_fail "old CSV rows changed"

tb_log "merge of a CSV cut inside its last row's host name: answer kept, name not"
{
	echo 'host,port,proto,state,service,reason,rtt_ms,hostname'
	echo '127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,localhost'
	printf '127.0.0.2,22,tcp,open,ssh,syn-ack,0.042,local'
} >"$T/cut.csv"
"$RINGSCAN" merge "$T/cut.csv" -oC "$T/c.csv" 2>"$T/cerr" ||
	{ cat "$T/cerr"; tb_fail "merge of the cut CSV failed"; }
grep -qx '127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,localhost' "$T/c.csv" &&
	grep -qx '127.0.0.2,22,tcp,open,ssh,syn-ack,0.042,' "$T/c.csv" ||
	{ cat "$T/c.csv"; tb_fail "cut host name: rows not as expected"; }
tb_log "  ok"

tb_log "ringscan -n -p 22 localhost 127.0.0.2: given name kept, no lookups"
tb_rs hn -n -p 22 localhost 127.0.0.2 >"$T/out" 2>&1 ||
	{ cat "$T/out"; tb_fail "-n failed"; }
grep -qxF "$want_text" "$T/out" || { cat "$T/out"; tb_fail "-n dropped the given name"; }
tb_log "  ok"

if getent hosts 127.0.0.1 | grep -q '[[:space:]]localhost\([[:space:]]\|$\)' &&
	[ "$(getent hosts 127.0.0.1 | awk '{ print $2 }')" = localhost ]; then
	tb_log "ringscan -R -p 22 -oX 127.0.0.1: reverse name, type PTR"
	tb_rs hn -R -p 22 -oX "$T/r.xml" 127.0.0.1 >"$T/out" 2>&1 ||
		{ cat "$T/out"; tb_fail "-R failed"; }
	grep -qxF "$want_text" "$T/out" || { cat "$T/out"; tb_fail "-R: no reverse name in the report"; }
	grep -qxF '<hostname name="localhost" type="PTR"/>' "$T/r.xml" ||
		tb_fail "-R: no PTR hostname in the XML"
	tb_rs hn -p 22 127.0.0.1 >"$T/out" 2>&1 || tb_fail "scan without -R failed"
	grep -qx 'ringscan scan report for 127.0.0.1' "$T/out" ||
		{ cat "$T/out"; tb_fail "a reverse name without -R"; }
	tb_log "  ok"
else
	tb_note "127.0.0.1 has no reverse name 'localhost' here: -R not checked"
fi

tb_log "ringscan -n -R 127.0.0.1: refused"
rc=0
tb_rs hn -n -R -p 22 127.0.0.1 >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- '-n .*-R' "$T/err" ||
	{ cat "$T/err"; tb_fail "-n -R: exit $rc, want 1 and one line naming both"; }
tb_log "  ok: $(cat "$T/err")"
exit 0
