#!/usr/bin/env bash
# t_cli_select: the options that choose what is scanned or shown, through
# the real command line - --exclude, --excludefile, --open and -oA - each
# judged against the testbed truth.
#
# Testbed: 127.0.0.1-8 x ports 20-30,80,631, with open ports on most hosts,
# a SYN drop on 127.0.0.1 (a host with an open and a filtered port), one on
# 127.0.0.4 (filtered and closed, nothing open) and 127.0.0.8 all closed.
# Every excluded host has an open port, so an exclude that is ignored adds
# rows and fails, and one that cuts too much loses rows and fails.
#
# What is asserted, and why:
#   - --exclude ADDR,LO-HI: the CSV of every state equals the truth
#     without exactly those hosts, and the report counts what is left;
#   - --excludefile: the same from a file with a comment line, a blank
#     line, a trailing comment and a CIDR (the -iL format, targets.h);
#   - --open: README says it shows "only open ports in the text" while
#     --states chooses the CSV rows.  So the text report (stdout and -oN)
#     lists exactly the truth's open ports and only hosts with one, and
#     the CSV still holds every state; a run without --open shows the
#     filtered port and the hosts without open ports, so the check bites;
#   - -oA BASE writes BASE.nmap, BASE.xml, BASE.gnmap and BASE.csv (cli.c,
#     README), each non-empty, and the open ports read from each equal the
#     truth's; the XML's rows of every state equal the whole truth.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

HOSTS="127.0.0.1-8"
PORTS="20-30,80,631"
tb_netns sel
tb_listen sel "127.0.0.1:22 127.0.0.2:80 127.0.0.3:25 127.0.0.5:22 \
	127.0.0.6:80 127.0.0.6:631 127.0.0.7:30"
tb_filter sel "127.0.0.1:23 127.0.0.4:24"
tb_truth sel "$HOSTS" "$PORTS" >"$TB_TMP/truth"
grep ',open$' "$TB_TMP/truth" >"$TB_TMP/truth.open"
tb_log "truth: $(wc -l <"$TB_TMP/truth.open") open," \
	"$(grep -c ',filtered$' "$TB_TMP/truth") filtered," \
	"$(grep -c ',closed$' "$TB_TMP/truth") closed"
ALL=open,closed,filtered

# scan NAME ARGS...: run ringscan in the testbed, stdout to NAME.out;
# anything but exit 0 fails the test.
scan()
{
	local name=$1 rc=0
	shift
	tb_log "ringscan $*"
	tb_rs sel "$@" >"$TB_TMP/$name.out" 2>"$TB_TMP/$name.err" || rc=$?
	if [ "$rc" != 0 ]; then
		cat "$TB_TMP/$name.out" "$TB_TMP/$name.err"
		tb_fail "ringscan exited $rc"
	fi
}

# without HOST...: the truth minus every row of those hosts.
without()
{
	awk -F, -v drop="$*" '
	BEGIN { n = split(drop, D, " "); for (i = 1; i <= n; i++) gone[D[i]] = 1 }
	!($1 in gone)' "$TB_TMP/truth"
}

# done_count FILE N: the text report's closing line counts N addresses.
done_count()
{
	grep -Eq "^ringscan done: $2 IP addresses " "$1" ||
		tb_fail "$1: want 'ringscan done: $2 IP addresses', got: $(grep '^ringscan done' "$1")"
	tb_log "  ok: the report counts $2 addresses"
}

# text_rows FILE: the text report's port rows as sorted host,port,state.
text_rows()
{
	awk '/^ringscan scan report for / { h = $5 }
	/^[0-9]+\/tcp / { split($1, p, "/"); print h "," p[1] "," $2 }' "$1" |
		tb_sort
}

# text_hosts FILE: the hosts the text report has a section for.
text_hosts()
{
	awk '/^ringscan scan report for / { print $5 }' "$1" | LC_ALL=C sort
}

# gnmap_rows FILE: the grepable "Ports:" entries as sorted host,port,state.
gnmap_rows()
{
	awk -F'\t' '/^Host: / && $2 ~ /^Ports: / {
		split($1, h, " ")
		n = split(substr($2, 8), P, ", ")
		for (i = 1; i <= n; i++) {
			split(P[i], f, "/")
			print h[2] "," f[1] "," f[2]
		}
	}' "$1" | tb_sort
}

# --exclude: an address and a dash range.
scan ex -p "$PORTS" --states "$ALL" --exclude 127.0.0.3,127.0.0.5-6 \
	-oC "$TB_TMP/ex.csv" "$HOSTS"
without 127.0.0.3 127.0.0.5 127.0.0.6 >"$TB_TMP/want.ex"
tb_compare "$TB_TMP/want.ex" "$TB_TMP/ex.csv" ||
	tb_fail "--exclude did not remove exactly 127.0.0.3, 127.0.0.5-6"
done_count "$TB_TMP/ex.out" 5

# --excludefile: the -iL format, comments and blank lines included.
cat >"$TB_TMP/exclude.txt" <<'EOF'
# hosts that must not be scanned

127.0.0.2
127.0.0.6/31   # .6 and .7
EOF
scan exf -p "$PORTS" --states "$ALL" --excludefile "$TB_TMP/exclude.txt" \
	-oC "$TB_TMP/exf.csv" "$HOSTS"
without 127.0.0.2 127.0.0.6 127.0.0.7 >"$TB_TMP/want.exf"
tb_compare "$TB_TMP/want.exf" "$TB_TMP/exf.csv" ||
	tb_fail "--excludefile did not remove exactly 127.0.0.2, 127.0.0.6-7"
done_count "$TB_TMP/exf.out" 5

# --open: the text shows open ports only; the CSV follows --states.
scan open -p "$PORTS" --open --states "$ALL" -oC "$TB_TMP/open.csv" \
	-oN "$TB_TMP/open.nmap" "$HOSTS"
cut -d, -f1 "$TB_TMP/truth.open" | LC_ALL=C sort -u >"$TB_TMP/want.hosts"
for f in open.out open.nmap; do
	text_rows "$TB_TMP/$f" >"$TB_TMP/got.$f"
	tb_diff "$TB_TMP/truth.open" "$TB_TMP/got.$f" "--open text rows ($f)" ||
		tb_fail "--open: the text report ($f) is not exactly the open ports"
	text_hosts "$TB_TMP/$f" >"$TB_TMP/hosts.$f"
	cmp -s "$TB_TMP/want.hosts" "$TB_TMP/hosts.$f" ||
		tb_fail "--open: $f reports hosts $(tr '\n' ' ' <"$TB_TMP/hosts.$f"), want those with an open port: $(tr '\n' ' ' <"$TB_TMP/want.hosts")"
	tb_log "  ok: $f reports only the $(wc -l <"$TB_TMP/want.hosts") hosts with an open port"
done
tb_compare "$TB_TMP/truth" "$TB_TMP/open.csv" ||
	tb_fail "--open changed the CSV, which --states alone selects"
done_count "$TB_TMP/open.out" 8

# The same scan without --open, so that the checks above can fail: the
# text then lists the filtered port and the hosts with nothing open.
scan noopen -p "$PORTS" "$HOSTS"
grep -Eq '^23/tcp +filtered' "$TB_TMP/noopen.out" ||
	tb_fail "without --open the text does not list 127.0.0.1's filtered port 23"
for h in 127.0.0.4 127.0.0.8; do
	grep -qx "ringscan scan report for $h" "$TB_TMP/noopen.out" ||
		tb_fail "without --open the text has no section for $h"
done
tb_log "  ok: without --open the text shows what --open hides"

# -oA BASE: four files, each agreeing with the truth.
scan oa -p "$PORTS" -oA "$TB_TMP/base" "$HOSTS"
for ext in nmap xml gnmap csv; do
	[ -s "$TB_TMP/base.$ext" ] || tb_fail "-oA did not write a non-empty base.$ext"
done
tb_log "  ok: base.nmap, base.xml, base.gnmap and base.csv written"
text_rows "$TB_TMP/base.nmap" | grep ',open$' >"$TB_TMP/oa.nmap.open" || true
tb_diff "$TB_TMP/truth.open" "$TB_TMP/oa.nmap.open" "open ports in base.nmap" ||
	tb_fail "-oA: base.nmap's open ports differ from the truth"
tb_nmap_rows "$TB_TMP/base.xml" >"$TB_TMP/oa.xml.rows"
grep ',open$' "$TB_TMP/oa.xml.rows" >"$TB_TMP/oa.xml.open" || true
tb_diff "$TB_TMP/truth.open" "$TB_TMP/oa.xml.open" "open ports in base.xml" ||
	tb_fail "-oA: base.xml's open ports differ from the truth"
tb_diff "$TB_TMP/truth" "$TB_TMP/oa.xml.rows" "rows of every state in base.xml" ||
	tb_fail "-oA: base.xml differs from the truth"
gnmap_rows "$TB_TMP/base.gnmap" | grep ',open$' >"$TB_TMP/oa.gnmap.open" || true
tb_diff "$TB_TMP/truth.open" "$TB_TMP/oa.gnmap.open" "open ports in base.gnmap" ||
	tb_fail "-oA: base.gnmap's open ports differ from the truth"
tb_compare "$TB_TMP/truth" "$TB_TMP/base.csv" open ||
	tb_fail "-oA: base.csv differs from the truth's open ports"
exit 0
