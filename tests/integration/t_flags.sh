#!/usr/bin/env bash
# t_flags: the nmap flags people type, through the real command line:
# -4/-6, --reason, -r, -v/-vv/-d/-dd, --stats-every, time units, a second
# -p, and a mistyped subcommand.  Each is judged by something outside the
# flag's own code: nmap's --reason report of the same ports, the testbed's
# listeners, the addresses a name resolves to, the scan's own counts.
#
# Testbed: one namespace with listeners on 127.0.0.1:22, 127.0.0.1:8081 and
# [::1]:22, SYNs to 127.0.0.1:81 dropped, and a hosts file of its own
# (ip netns exec bind-mounts /etc/netns/NS/hosts over /etc/hosts) naming
# dual.test with a 198.18.0.1 and a 2001:2::1 address and v6only.test with
# 2001:2::2 only - so names resolve without a resolver, and -4/-6 have
# something to choose between.  Names are only resolved, never scanned
# (--dry-run); a word that is not in the file finds no DNS server either,
# the namespace has no route out.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v nmap >/dev/null || tb_skip "nmap not installed"

tb_netns fl
NS=$(tb_nsname fl)
tb_run fl ip -6 addr show dev lo | grep -q 'inet6 ::1/128' ||
	tb_skip "no ::1 on lo in a new namespace (IPv6 disabled?)"
# /etc/netns itself is removed again if this test made it (and it is empty).
NETNS_MADE=
[ -d /etc/netns ] || NETNS_MADE=1
mkdir -p "/etc/netns/$NS"
trap 'tb_rc=$?; trap - EXIT INT TERM; rm -rf "/etc/netns/$NS"
	[ -z "$NETNS_MADE" ] || rmdir /etc/netns 2>/dev/null
	tb_cleanup; exit $tb_rc' EXIT
printf '198.18.0.1 dual.test\n2001:2::1 dual.test\n2001:2::2 v6only.test\n' \
	>"/etc/netns/$NS/hosts"
tb_listen fl "127.0.0.1:22 127.0.0.1:8081 [::1]:22"
tb_filter fl "127.0.0.1:81"

# run NAME ARGS...: ringscan in the namespace, stdout and stderr kept.
run()
{
	local name=$1 rc=0
	shift
	tb_rs fl "$@" >"$TB_TMP/$name.out" 2>"$TB_TMP/$name.err" || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/$name.err"; tb_fail "ringscan $* exited $rc"; }
}

# bad WANT ARGS...: exit 1 with one line on stderr that contains WANT.
bad()
{
	local want=$1 rc=0
	shift
	tb_rs fl "$@" >/dev/null 2>"$TB_TMP/bad.err" || rc=$?
	if [ "$rc" != 1 ] || [ "$(wc -l <"$TB_TMP/bad.err")" != 1 ] ||
		! grep -qF -- "$want" "$TB_TMP/bad.err"; then
		cat "$TB_TMP/bad.err"
		tb_fail "ringscan $*: exit $rc, want 1 and one line with '$want'"
	fi
	tb_log "  ok: $* -> $(cat "$TB_TMP/bad.err")"
}

tb_log "-4/-6: the family of names and ranges"
run any --dry-run -p 1 dual.test
run v4 --dry-run -p 1 -4 dual.test
run v6 --dry-run -p 1 dual.test -6
run v6only --dry-run -p 1 v6only.test
[ "$(cat "$TB_TMP/any.out")" = "198.18.0.1 1" ] || tb_fail "dual.test: $(cat "$TB_TMP/any.out")"
[ "$(cat "$TB_TMP/v4.out")" = "198.18.0.1 1" ] || tb_fail "-4 dual.test: $(cat "$TB_TMP/v4.out")"
[ "$(cat "$TB_TMP/v6.out")" = "2001:2::1 1" ] || tb_fail "-6 dual.test: $(cat "$TB_TMP/v6.out")"
[ "$(cat "$TB_TMP/v6only.out")" = "2001:2::2 1" ] || tb_fail "v6only.test: $(cat "$TB_TMP/v6only.out")"
tb_log "  ok: dual.test is 198.18.0.1, with -6 2001:2::1"
bad "target 'v6only.test': cannot resolve host name to an IPv4 address (-4)" \
	--dry-run -4 -p 1 v6only.test
bad "target '127.0.0.1': an IPv4 target, but -6 was given" -6 -p 22 127.0.0.1
bad "target '::1-::3': an IPv6 target, but -4 was given" -p 22 ::1-::3 -4
bad "-4 and -6 both given" -4 -6 -p 22 ::1
run scan6 -6 -p 22,23 ::1
grep -Eq '^22/tcp +open +ssh' "$TB_TMP/scan6.out" || { cat "$TB_TMP/scan6.out"; tb_fail "-6 ::1: no open 22"; }
tb_log "  ok: -6 scans ::1"

tb_log "--reason: the REASON column, as nmap prints it for the same ports"
P=20-25,81,8081
timeout 120 ip netns exec "$NS" nmap -sT -Pn -n --reason --max-retries 1 \
	-p "$P" 127.0.0.1 >"$TB_TMP/nmap.txt" || tb_fail "nmap failed"
run reason -p "$P" --reason --timeout 300 --retries 1 127.0.0.1
# nmap lists closed ports too (fewer than its summary threshold): compare
# the rows ringscan lists, open and filtered, whole lines, spacing aside.
grep -E '^[0-9]+/tcp' "$TB_TMP/reason.out" | tr -s ' ' >"$TB_TMP/rs.rows"
grep -E '^[0-9]+/tcp +(open|filtered) ' "$TB_TMP/nmap.txt" | tr -s ' ' >"$TB_TMP/nmap.rows"
if ! cmp -s "$TB_TMP/nmap.rows" "$TB_TMP/rs.rows"; then
	diff "$TB_TMP/nmap.rows" "$TB_TMP/rs.rows"
	tb_fail "--reason rows differ from nmap's"
fi
grep -q '^PORT  *STATE  *SERVICE  *REASON$' "$TB_TMP/reason.out" ||
	{ cat "$TB_TMP/reason.out"; tb_fail "no PORT STATE SERVICE REASON header"; }
# Column alignment: REASON starts where the header says, on every row.
awk 'NR == 1 { col = index($0, "REASON"); next }
	substr($0, col - 1, 1) != " " || substr($0, col, 1) == " " { bad = 1 }
	END { exit bad }' <(grep -E '^(PORT|[0-9]+/tcp)' "$TB_TMP/reason.out") ||
	{ cat "$TB_TMP/reason.out"; tb_fail "REASON column not aligned"; }
grep -q 'Not shown: 5 closed tcp ports (conn-refused)' "$TB_TMP/reason.out" ||
	{ cat "$TB_TMP/reason.out"; tb_fail "no closed-port summary"; }
run noreason -p "$P" --timeout 300 --retries 1 127.0.0.1
! grep -q REASON "$TB_TMP/noreason.out" || tb_fail "REASON without --reason"
tb_log "  ok: $(paste -sd'|' "$TB_TMP/rs.rows")"

tb_log "-r: host after host, ports ascending"
run seq --dry-run -r -p 3,1,2 127.0.0.1-2
[ "$(paste -sd, "$TB_TMP/seq.out")" = "127.0.0.1 1,127.0.0.1 2,127.0.0.1 3,127.0.0.2 1,127.0.0.2 2,127.0.0.2 3" ] ||
	tb_fail "-r order: $(paste -sd, "$TB_TMP/seq.out")"
run seq2 --dry-run -r --seed 99 -p 1-50 127.0.0.1-4
sort -k1,1V -k2,2n "$TB_TMP/seq2.out" | cmp -s - "$TB_TMP/seq2.out" ||
	tb_fail "-r --seed 99: not sequential"
run perm --dry-run --seed 99 -p 1-50 127.0.0.1-4
! cmp -s "$TB_TMP/perm.out" "$TB_TMP/seq2.out" || tb_fail "without -r the order is sequential too"
run rscan -r -p 20-25 -oC "$TB_TMP/r.csv" --states open,closed 127.0.0.1
tb_truth fl 127.0.0.1 20-25 >"$TB_TMP/truth"
tb_compare "$TB_TMP/truth" "$TB_TMP/r.csv" open,closed || tb_fail "-r scan results wrong"
tb_log "  ok: -r probes in order and scans right"

tb_log "-v, -vv, -d, -dd: each says more"
run v1 -v -p 1-100 127.0.0.1
run v2 -vv -p 1-100 127.0.0.1
run d1 -d -p 1-100 127.0.0.1
run d2 -dd -p 1-100,200 127.0.0.1
grep -q 'ringscan: engine io_uring' "$TB_TMP/v1.err" || tb_fail "-v: no engine line"
! grep -q 'results:\|debug:\|services from' "$TB_TMP/v1.err" ||
	tb_fail "-v says what -vv/-d say"
grep -q "ringscan: services from .*nmap-services" "$TB_TMP/v2.err" ||
	{ cat "$TB_TMP/v2.err"; tb_fail "-vv: not where the services came from"; }
grep -q 'ringscan: results: 1 open, 98 closed, 1 filtered' "$TB_TMP/v2.err" ||
	{ cat "$TB_TMP/v2.err"; tb_fail "-vv: no (true) results line"; }
grep -q 'ringscan: engine io_uring' "$TB_TMP/d1.err" || tb_fail "-d does not imply -v"
grep -q 'debug: connect (-sT) scan, 1 hosts x 100 ports = 100 probes' "$TB_TMP/d1.err" ||
	{ cat "$TB_TMP/d1.err"; tb_fail "-d: no configuration"; }
! grep -q 'port list\|target range' "$TB_TMP/d1.err" || tb_fail "-d says what -dd says"
grep -q 'debug: port list: 1-100,200$' "$TB_TMP/d2.err" ||
	{ cat "$TB_TMP/d2.err"; tb_fail "-dd: no port list"; }
grep -q 'debug: target range 127.0.0.1$' "$TB_TMP/d2.err" || tb_fail "-dd: no target range"
tb_log "  ok: -vv counts results, -d dumps the configuration, -dd the lists"

tb_log "--stats-every: status lines on stderr that is not a terminal"
# 127.0.0.1:81 drops SYNs: with --timeout 1s and a retry the scan lasts
# 2 s or more, long enough for several lines at 300ms.
run stats --stats-every 300ms --timeout 1s --retries 1 --max-retries 1 \
	-p 22,81 127.0.0.1
n=$(grep -c '^Stats: 0:00:0[0-9] elapsed; [0-9]*/2 probes' "$TB_TMP/stats.err" || true)
[ "$n" -ge 3 ] || { cat "$TB_TMP/stats.err"; tb_fail "--stats-every 300ms: $n Stats lines"; }
! grep -q $'\r' "$TB_TMP/stats.err" || tb_fail "Stats lines carry a carriage return off a terminal"
run nostats --timeout 1s --retries 1 --max-retries 1 -p 22,81 127.0.0.1
! grep -q '^Stats:' "$TB_TMP/nostats.err" || tb_fail "Stats lines without --stats-every"
tb_log "  ok: $n Stats lines in about 2 s"

tb_log "time units on every time option"
run units --dry-run -p 1 --timeout 1s --checkpoint-interval 2s \
	--initial-rtt-timeout 500ms --min-rtt-timeout 0.1 --max-rtt-timeout 2s \
	--scan-delay 0ms --max-scan-delay 1m --stats-every 1h 127.0.0.1
bad "--timeout '1x': expected a time such as 500ms, 2s, 1m or 1h" --timeout 1x 127.0.0.1
bad "--checkpoint-interval 'fast'" --checkpoint-interval fast 127.0.0.1
bad "--stats-every '-1'" --stats-every -1 127.0.0.1
tb_log "  ok: ms, s, m, h accepted; other suffixes refused"

tb_log "a second -p, as nmap refuses it"
bad "-p given twice ('22' and '80')" -p 22 -p 80 127.0.0.1

tb_log "a mistyped subcommand"
bad "'audti' is not a command nor a target (cannot resolve host name): did you mean \`audit\`?" audti
bad "did you mean \`merge\`?" mrege out.csv a.csv
bad "did you mean \`audit\`?" adit -p 22
# A host name that resolves is a target, however close to a command.
printf '198.18.0.9 audt\n' >>"/etc/netns/$NS/hosts"
run audt --dry-run -p 1 audt
[ "$(cat "$TB_TMP/audt.out")" = "198.18.0.9 1" ] || tb_fail "audt (a host name) was not scanned"
bad "target 'merge.example': cannot resolve host name" merge.example
bad "target 'kitten': cannot resolve host name" kitten
tb_log "  ok: suggestions only for unresolvable bare words near a command"
exit 0
