#!/usr/bin/env bash
# t_nmap_services: a default scan finds every listener nmap's default scan
# finds, with nmap's service names, and ndiff sees no difference at all
# between the two scanners' XML for the same scan.
#
# Listeners sit on ports nmap names differently from /etc/services (8080
# http-proxy, 8081 blackice-icecap, 31337 Elite), on ports both name alike
# (22, 80, 3306), on ports in nmap's top 1000 that the old built-in list
# missed, and on ports outside the top 1000 (40000, 60001), which neither
# default scan may report.  nmap's -sT report is the truth: the test first
# checks that nmap saw every listener in its top 1000, then that ringscan's
# open ports and names equal nmap's, in the text report, the CSV and the XML
# (through ndiff, which compares port, state and service).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
for tool in nmap ndiff; do
	command -v "$tool" >/dev/null || tb_skip "$tool not installed"
done

tb_netns svc
LISTEN="22 80 3306 8080 8081 31337 1720 2000 5060 9999 49152 40000 60001"
pairs=
for p in $LISTEN; do pairs="$pairs 127.0.0.1:$p"; done
tb_listen svc "$pairs"

tb_log "nmap -sT -Pn -n 127.0.0.1 (its default ports)"
timeout 120 ip netns exec "$(tb_nsname svc)" nmap -sT -Pn -n \
	-oX "$TB_TMP/nmap.xml" -oN "$TB_TMP/nmap.txt" 127.0.0.1 >/dev/null ||
	tb_fail "nmap failed"
tb_log "ringscan 127.0.0.1 (its default ports)"
rc=0
tb_rs svc --timeout 500 --retries 1 -oX "$TB_TMP/rs.xml" \
	-oN "$TB_TMP/rs.txt" -oC "$TB_TMP/rs.csv" 127.0.0.1 >/dev/null \
	2>"$TB_TMP/rs.err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/rs.err"; tb_fail "ringscan exited $rc"; }

# open_rows TEXT: "PORT SERVICE" for every open port of an nmap-style report.
open_rows()
{
	awk '$2 == "open" { sub("/tcp", "", $1); print $1, $3 }' "$1" | sort -n
}
open_rows "$TB_TMP/nmap.txt" >"$TB_TMP/nmap.open"
open_rows "$TB_TMP/rs.txt" >"$TB_TMP/rs.open"

for p in 22 80 3306 8080 8081 31337; do
	grep -q "^$p " "$TB_TMP/nmap.open" ||
		tb_fail "testbed: nmap's default scan did not find $p"
done
for p in 40000 60001; do
	! grep -q "^$p " "$TB_TMP/nmap.open" ||
		tb_fail "testbed: $p is not meant to be in nmap's default ports"
done
tb_log "  nmap found: $(paste -sd, "$TB_TMP/nmap.open")"

if ! cmp -s "$TB_TMP/nmap.open" "$TB_TMP/rs.open"; then
	diff "$TB_TMP/nmap.open" "$TB_TMP/rs.open"
	tb_fail "ringscan's default scan differs from nmap's (ports or names)"
fi
tb_log "  ok: the same $(wc -l <"$TB_TMP/rs.open") open ports and service names"
for want in "8080 http-proxy" "8081 blackice-icecap" "31337 Elite"; do
	grep -qx "$want" "$TB_TMP/rs.open" || tb_fail "no '$want' in ringscan's report"
done
tb_log "  ok: 8080 http-proxy, 8081 blackice-icecap, 31337 Elite"

# The CSV names the same services.
awk -F, 'NR > 1 && $4 == "open" { print $2, $5 }' "$TB_TMP/rs.csv" | sort -n \
	>"$TB_TMP/csv.open"
cmp -s "$TB_TMP/nmap.open" "$TB_TMP/csv.open" ||
	{ diff "$TB_TMP/nmap.open" "$TB_TMP/csv.open"; tb_fail "CSV names differ from nmap's"; }
tb_log "  ok: the CSV agrees"

# ndiff: nothing but the two "scan initiated" banners may differ.
rc=0
ndiff "$TB_TMP/nmap.xml" "$TB_TMP/rs.xml" >"$TB_TMP/ndiff.out" \
	2>"$TB_TMP/ndiff.err" || rc=$?
if [ "$rc" -gt 1 ] || [ -s "$TB_TMP/ndiff.err" ]; then
	cat "$TB_TMP/ndiff.err"
	tb_fail "ndiff failed ($rc)"
fi
if grep -E '^[-+]' "$TB_TMP/ndiff.out" | grep -Ev '^[-+][^ ]+ [^ ]+ scan initiated '; then
	sed 's/^/    | /' "$TB_TMP/ndiff.out" | head -n 40
	tb_fail "ndiff reports differences between nmap's and ringscan's XML"
fi
tb_log "  ok: ndiff sees no port, state or service difference"
exit 0
