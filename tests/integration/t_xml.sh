#!/usr/bin/env bash
# t_xml: -oX writes nmap XML that nmap's own DTD validates, that ndiff reads
# without a warning, and that says what the testbed holds; -oG writes
# nmap's grepable lines for the same truth.
#
# Testbed: 127.0.0.1, 127.0.0.2 and ::1 with open, closed and filtered
# ports; 127.0.0.2 has more than 25 filtered ports (summarized, in
# <extraports> and out of "Ports:") and the others a few (listed).  Every
# host has more than 25 closed ports, so nmap summarizes them too and the
# two scanners' reports can be compared line for line.
#
# What is asserted, and why:
#   - xmllint --dtdvalid nmap.dtd passes on every XML file ringscan wrote,
#     both address families in one file and an interrupted scan included;
#   - the (host, port, state) rows read from ringscan's XML - <port>
#     elements plus the port lists of <extrareasons> - equal the ground
#     truth, through the same parser that reads nmap's XML elsewhere;
#   - ndiff reads ringscan's XML against nmap's for the same scan (IPv4 and
#     IPv6 separately: nmap cannot mix them) with nothing on stderr, and
#     it reports no difference but the "scan initiated" banners: ringscan
#     reads nmap's nmap-services, so even the service names agree (where
#     nmap-services is missing, names may differ in port lines that pair
#     up with the same port and state, and the test says so).  Any host,
#     "Host is" or "Not shown" difference fails.  Two ringscan runs of one
#     scan diff clean;
#   - the grepable "Status: Up" and "Ports:" lines, service names blanked,
#     equal both the lines the truth implies and nmap's own -oG lines;
#   - after SIGINT the XML still validates and ends exit="error"
#     errormsg="interrupted", the grepable file says the scan was
#     interrupted, and whatever either reports is true.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

DTD=/usr/share/nmap/nmap.dtd
for tool in xmllint ndiff nmap; do
	command -v "$tool" >/dev/null 2>&1 ||
		tb_skip "$tool not installed (scripts/install-deps.sh)"
done
[ -r "$DTD" ] || tb_skip "no $DTD (package nmap)"

tb_netns xml
tb_run xml ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
tb_listen xml "127.0.0.1:22 127.0.0.1:80 127.0.0.2:443 0.0.0.0:631 \
	[::1]:22 [::1]:8080"
tb_filter xml "127.0.0.1:81 127.0.0.1:100-104 127.0.0.2:150-199 [::1]:7 \
	127.0.0.3:*"
PORTS="1-200,443,631,8080"
# ringscan finds nmap's database where nmap installed it: names must agree.
NAMES_AGREE=0
[ -r /usr/share/nmap/nmap-services ] && NAMES_AGREE=1
[ "$NAMES_AGREE" = 1 ] ||
	tb_note "no /usr/share/nmap/nmap-services: service names not compared"
tb_truth xml "127.0.0.1 127.0.0.2 ::1" "$PORTS" >"$TB_TMP/truth"
grep -v '^::1,' "$TB_TMP/truth" >"$TB_TMP/truth4"
grep '^::1,' "$TB_TMP/truth" >"$TB_TMP/truth6"

# rs NAME ARGS...: a complete ringscan run writing NAME.xml and NAME.gnmap.
rs()
{
	local name=$1 rc=0
	shift
	tb_log "ringscan -p $PORTS -oX $name.xml -oG $name.gnmap $*"
	tb_rs xml -sT -p "$PORTS" --timeout 500 --retries 1 \
		-oX "$TB_TMP/$name.xml" -oG "$TB_TMP/$name.gnmap" "$@" \
		>"$TB_TMP/$name.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/$name.out"; tb_fail "ringscan exited $rc"; }
}

# nm NAME ARGS...: nmap's connect scan of the same ports.
nm()
{
	local name=$1
	shift
	tb_log "nmap -sT -Pn -n -p $PORTS -oX $name.xml -oG $name.gnmap $*"
	timeout 120 ip netns exec "$(tb_nsname xml)" nmap -sT -Pn -n \
		-p "$PORTS" -oX "$TB_TMP/$name.xml" -oG "$TB_TMP/$name.gnmap" \
		"$@" >/dev/null 2>&1 || tb_fail "nmap failed"
}

dtd_check()
{
	xmllint --noout --dtdvalid "$DTD" "$1" 2>"$TB_TMP/xmllint.err" || {
		head -n 20 "$TB_TMP/xmllint.err"
		tb_fail "$(basename "$1") does not validate against nmap.dtd"
	}
	tb_log "  ok: $(basename "$1") is valid against nmap.dtd"
}

# rows_check XML TRUTH: the rows ringscan's XML states equal the truth.
rows_check()
{
	tb_nmap_rows "$1" >"$TB_TMP/rows"
	tb_diff "$2" "$TB_TMP/rows" "rows of $(basename "$1")" ||
		tb_fail "$(basename "$1") disagrees with the truth"
}

# ndiff_check A B: ndiff reads both silently; each port line it reports
# as removed pairs with one added for the same port and state (a service
# name difference), and it reports nothing else but the two banners.
ndiff_check()
{
	local a=$1 b=$2 rc=0
	ndiff "$a" "$b" >"$TB_TMP/ndiff.out" 2>"$TB_TMP/ndiff.err" || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		cat "$TB_TMP/ndiff.err"
		tb_fail "ndiff $(basename "$a") $(basename "$b") failed ($rc)"
	fi
	if [ -s "$TB_TMP/ndiff.err" ]; then
		cat "$TB_TMP/ndiff.err"
		tb_fail "ndiff warned about $(basename "$a") or $(basename "$b")"
	fi
	awk -v strict="$NAMES_AGREE" '
	/^[-+][^ ]+ [^ ]+ scan initiated / { next }
	/^[-+][0-9]+\/tcp / {
		n = split(substr($0, 2), f, /[ \t]+/)
		k = f[1] " " f[2]
		if (substr($0, 1, 1) == "-") minus[k]++; else plus[k]++
		names++
		next
	}
	/^[-+]/ { print "  unexpected difference: " $0; bad = 1 }
	END {
		for (k in minus) if (minus[k] != plus[k]) {
			print "  port " k " differs"; bad = 1
		}
		for (k in plus) if (minus[k] != plus[k]) {
			print "  port " k " differs"; bad = 1
		}
		if (strict && names) {
			print "  service names differ from nmap'"'"'s"; bad = 1
		}
		if (!bad) printf "  ok: ndiff read both; %d service-name lines differ, no state\n", names / 2
		exit bad
	}' "$TB_TMP/ndiff.out" || {
		sed 's/^/    | /' "$TB_TMP/ndiff.out" | head -n 40
		tb_fail "ndiff reports differences beyond service names"
	}
}

# grep_norm GNMAP: the Status and Ports lines, service names blanked.
grep_norm()
{
	grep -v '^#' "$1" | sed -E 's#([0-9]+/[a-z]+/tcp//)[^/]*(///)#\1\2#g'
}

# grep_want TRUTH: the grepable lines the truth implies, normalized as
# grep_norm leaves them: hosts with an open or closed port, open ports
# and (when 25 or fewer) filtered ones listed, and "Ignored State" when
# exactly one state was summarized.
grep_want()
{
	awk -F, '
	!($1 in seen) { seen[$1] = 1; order[++n] = $1 }
	{ cnt[$1 "," $3]++; list[$1] = list[$1] " " $2 "," $3 }
	END {
		for (i = 1; i <= n; i++) {
			h = order[i]
			c = cnt[h ",closed"] + 0; f = cnt[h ",filtered"] + 0
			if (cnt[h ",open"] + c == 0) continue
			print "Host: " h " ()\tStatus: Up"
			line = "Host: " h " ()\tPorts: "; sep = ""
			m = split(list[h], L, " ")
			for (j = 1; j <= m; j++) {
				if (L[j] == "") continue
				split(L[j], r, ",")
				if (r[2] == "open" || (r[2] == "filtered" && f <= 25)) {
					line = line sep r[1] "/" r[2] "/tcp/////"
					sep = ", "
				}
			}
			if (c > 0 && f <= 25)
				line = line "\tIgnored State: closed (" c ")"
			else if (c == 0 && f > 25)
				line = line "\tIgnored State: filtered (" f ")"
			print line
		}
	}' "$1"
}

grep_check()
{
	local gnmap=$1 want=$2 what=$3
	if ! diff -u "$want" <(grep_norm "$gnmap") >"$TB_TMP/gdiff"; then
		sed 's/^/    | /' "$TB_TMP/gdiff" | head -n 40
		tb_fail "grepable lines of $(basename "$gnmap") differ from $what"
	fi
	tb_log "  ok: $(grep -c . "$want") grepable lines of $(basename "$gnmap") match $what"
}

# 1. Both families in one file: valid, true, grepable lines true.
rs all 127.0.0.1 127.0.0.2 ::1
dtd_check "$TB_TMP/all.xml"
rows_check "$TB_TMP/all.xml" "$TB_TMP/truth"
grep -q '<hosts up="3" down="0" total="3"/>' "$TB_TMP/all.xml" ||
	tb_fail "runstats host counts wrong: $(grep '<hosts ' "$TB_TMP/all.xml")"
grep -q '<address addr="::1" addrtype="ipv6"/>' "$TB_TMP/all.xml" ||
	tb_fail "no ipv6 address element for ::1"
grep_want "$TB_TMP/truth" >"$TB_TMP/all.want"
grep_check "$TB_TMP/all.gnmap" "$TB_TMP/all.want" "the truth"
head -n 1 "$TB_TMP/all.gnmap" |
	grep -Eq '^# ringscan [0-9.]+ scan initiated .+ as: .*ringscan ' ||
	tb_fail "grepable header: $(head -n 1 "$TB_TMP/all.gnmap")"
tail -n 1 "$TB_TMP/all.gnmap" |
	grep -Eq '^# ringscan done at .+ -- 3 IP addresses \(3 hosts up\) scanned in [0-9]+\.[0-9]{2} seconds$' ||
	tb_fail "grepable footer: $(tail -n 1 "$TB_TMP/all.gnmap")"
tb_log "  ok: grepable header and footer"

# 2. IPv4 against nmap: nmap is checked against the truth first, so a
# difference points at ringscan.
nm nm4 127.0.0.1 127.0.0.2
tb_nmap_rows "$TB_TMP/nm4.xml" >"$TB_TMP/nm4.rows"
tb_diff "$TB_TMP/truth4" "$TB_TMP/nm4.rows" "nmap rows" ||
	tb_fail "testbed broken: nmap disagrees with the ground truth"
rs rs4 127.0.0.1 127.0.0.2
dtd_check "$TB_TMP/rs4.xml"
rows_check "$TB_TMP/rs4.xml" "$TB_TMP/truth4"
ndiff_check "$TB_TMP/nm4.xml" "$TB_TMP/rs4.xml"
grep_norm "$TB_TMP/nm4.gnmap" >"$TB_TMP/nm4.norm"
grep_check "$TB_TMP/rs4.gnmap" "$TB_TMP/nm4.norm" "nmap's"

# 3. IPv6 against nmap -6.
nm nm6 -6 ::1
tb_nmap_rows "$TB_TMP/nm6.xml" >"$TB_TMP/nm6.rows"
tb_diff "$TB_TMP/truth6" "$TB_TMP/nm6.rows" "nmap -6 rows" ||
	tb_fail "testbed broken: nmap -6 disagrees with the ground truth"
rs rs6 ::1
dtd_check "$TB_TMP/rs6.xml"
ndiff_check "$TB_TMP/nm6.xml" "$TB_TMP/rs6.xml"
grep_norm "$TB_TMP/nm6.gnmap" >"$TB_TMP/nm6.norm"
grep_check "$TB_TMP/rs6.gnmap" "$TB_TMP/nm6.norm" "nmap's"

# 4. Two ringscan files of one scan: ndiff finds no difference at all.
rs rs4b 127.0.0.1 127.0.0.2
rc=0
ndiff "$TB_TMP/rs4.xml" "$TB_TMP/rs4b.xml" >"$TB_TMP/ndiff.out" \
	2>"$TB_TMP/ndiff.err" || rc=$?
if [ "$rc" != 0 ] || [ -s "$TB_TMP/ndiff.err" ]; then
	cat "$TB_TMP/ndiff.out" "$TB_TMP/ndiff.err"
	tb_fail "ndiff of two ringscan runs of one scan: status $rc, want 0"
fi
tb_log "  ok: ndiff of two ringscan runs: no differences"

# 5. Interrupted: 127.0.0.3 drops every SYN, so its probes cannot finish
# (6 s) before SIGINT, sent once 127.0.0.1 is done.
tb_truth xml "127.0.0.1" 1-3000 >"$TB_TMP/truth_int"
tb_log "ringscan -p 1-3000 --timeout 1000 --retries 5 -oX int.xml -oG int.gnmap 127.0.0.1 127.0.0.3, SIGINT once 127.0.0.1 is done"
# Background jobs of a script start with SIGINT ignored; give it back.
env --default-signal=INT ip netns exec "$(tb_nsname xml)" "$RINGSCAN" \
	-p 1-3000 --timeout 1000 --retries 5 --concurrency 4000 \
	-oX "$TB_TMP/int.xml" -oG "$TB_TMP/int.gnmap" -oC "$TB_TMP/int.csv" \
	--states open,closed,filtered 127.0.0.1 127.0.0.3 \
	>"$TB_TMP/int.out" 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
# The CSV (every state: --states touches CSV and JSON only) shows
# progress: 127.0.0.1 (all but) done, 127.0.0.3 not.
tb_wait_rows "$TB_TMP/int.csv" 2800 "$pid"
kill -0 "$pid" 2>/dev/null || { cat "$TB_TMP/int.out"; tb_fail "scan ended before SIGINT"; }
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$TB_TMP/int.out"; tb_fail "exit status $rc after SIGINT, want 130"; }
dtd_check "$TB_TMP/int.xml"
grep -q 'exit="error" errormsg="interrupted"/>' "$TB_TMP/int.xml" ||
	tb_fail "interrupted XML does not end exit=\"error\" errormsg=\"interrupted\""
grep -q '<hosts up="1" down="1" total="2"/>' "$TB_TMP/int.xml" ||
	tb_fail "interrupted runstats: $(grep '<hosts ' "$TB_TMP/int.xml")"
tb_nmap_rows "$TB_TMP/int.xml" >"$TB_TMP/int.rows"
grep -q . "$TB_TMP/int.rows" || tb_fail "interrupted XML reports no port"
awk -F, 'FNR == NR { t[$1 "," $2] = $3; next }
	t[$1 "," $2] != $3 { print "  " $0 " (truth: " t[$1 "," $2] ")"; bad = 1 }
	END { exit bad }' "$TB_TMP/truth_int" "$TB_TMP/int.rows" ||
	tb_fail "the interrupted XML reports something false"
tb_log "  ok: interrupted XML: $(wc -l <"$TB_TMP/int.rows") rows, all true, none for 127.0.0.3"
grep -q '^# Scan interrupted' "$TB_TMP/int.gnmap" ||
	tb_fail "interrupted grepable file does not say so"
if grep -q '^Host: 127\.0\.0\.3 ' "$TB_TMP/int.gnmap"; then
	tb_fail "interrupted grepable file lists 127.0.0.3"
fi
grep -q '^# ringscan done at .* -- 2 IP addresses (1 host up)' \
	"$TB_TMP/int.gnmap" || tb_fail "interrupted grepable footer: $(tail -n 1 "$TB_TMP/int.gnmap")"
tb_log "  ok: interrupted grepable file"
exit 0
