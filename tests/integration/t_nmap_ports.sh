#!/usr/bin/env bash
# t_nmap_ports: ringscan chooses the same ports as nmap from nmap's
# services database - the default scan, -F, --top-ports 1/10/1000/5000,
# --port-ratio, --top-ports within -p, and --exclude-ports before the top N
# are counted - and falls back to its built-in list without it.
#
# The truth is nmap itself: `nmap -sT -oX -` names every port it scans in
# <scaninfo services="...">, and a scan of 127.0.0.1 inside a fresh
# namespace (nothing listens, so every port is refused at once) costs a
# second.  ringscan's list is its --dry-run, which prints every probe.
# Both read the same nmap-services: the one nmap installed, given to
# ringscan with --servicedb so the test does not depend on where it looks.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v nmap >/dev/null || tb_skip "nmap not installed"
DB=
for d in /usr/share/nmap /usr/local/share/nmap; do
	[ -r "$d/nmap-services" ] && DB=$d/nmap-services && break
done
[ -n "$DB" ] || tb_skip "nmap is installed but its nmap-services is not found"

tb_netns np

# nmap_ports NAME ARGS...: the ports nmap scans with ARGS, one per line.
nmap_ports()
{
	local name=$1
	shift
	timeout 120 ip netns exec "$(tb_nsname np)" nmap -sT -Pn -n \
		--max-retries 0 "$@" -oX "$TB_TMP/$name.xml" 127.0.0.1 \
		>/dev/null 2>&1 || tb_fail "nmap $* failed"
	sed -n 's/.*<scaninfo [^>]*services="\([^"]*\)".*/\1/p' \
		"$TB_TMP/$name.xml" | tr , '\n' |
		awk -F- 'NF == 1 { print $1 } NF == 2 { for (p = $1; p <= $2; p++) print p }' |
		sort -n >"$TB_TMP/$name.nmap"
	[ -s "$TB_TMP/$name.nmap" ] || tb_fail "no scaninfo services in nmap's XML for $*"
}

# rs_ports NAME ARGS...: the ports ringscan's --dry-run probes, sorted.
rs_ports()
{
	local name=$1 rc=0
	shift
	tb_rs np --dry-run "$@" 127.0.0.1 >"$TB_TMP/$name.dry" \
		2>"$TB_TMP/$name.err" || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/$name.err"; tb_fail "ringscan $* exited $rc"; }
	awk '{ print $2 }' "$TB_TMP/$name.dry" | sort -n >"$TB_TMP/$name.rs"
}

# same NAME ARGS...: nmap and ringscan scan exactly the same ports.
same()
{
	local name=$1
	shift
	tb_log "ports of: ${*:-(the default)}"
	nmap_ports "$name" "$@"
	rs_ports "$name" --servicedb "$DB" "$@"
	if ! cmp -s "$TB_TMP/$name.nmap" "$TB_TMP/$name.rs"; then
		diff "$TB_TMP/$name.nmap" "$TB_TMP/$name.rs" | head -n 20
		tb_fail "ringscan $* scans other ports than nmap"
	fi
	tb_log "  ok: the same $(wc -l <"$TB_TMP/$name.rs") ports as nmap"
}

same default
same fast -F
same top1 --top-ports 1
same top10 --top-ports 10
same top1000 --top-ports 1000
same top5000 --top-ports 5000
same ratio --port-ratio 0.01
same ratio2 --port-ratio 0.0004
same within -p 1-1000,8000-9000 --top-ports 50
same excl --exclude-ports 1-100,443 --top-ports 100
same exclp -p 1-2000 --exclude-ports 22,80

# The default scan covers the ports the issue found missing.
for p in 8080 8081 31337; do
	grep -qx "$p" "$TB_TMP/default.rs" || tb_fail "default scan lacks port $p"
done
tb_log "  ok: the default scan includes 8080, 8081 and 31337"

# Found where nmap installs it, without --servicedb; -vv says from where.
tb_log "ringscan's own search finds nmap's database"
tb_rs np --dry-run -vv 127.0.0.1 >"$TB_TMP/search.dry" 2>"$TB_TMP/search.err" ||
	{ cat "$TB_TMP/search.err"; tb_fail "ringscan --dry-run -v failed"; }
awk '{ print $2 }' "$TB_TMP/search.dry" | sort -n | cmp -s - "$TB_TMP/default.nmap" ||
	tb_fail "without --servicedb the default ports are not nmap's"
grep -q "services from .*nmap-services (nmap's port frequencies)" "$TB_TMP/search.err" ||
	{ cat "$TB_TMP/search.err"; tb_fail "-vv does not say where the services came from"; }
tb_log "  ok: nmap's top 1000, and -vv names the file"

# --datadir DIR reads DIR/nmap-services: a two-port database there.
mkdir "$TB_TMP/dd"
printf 'aaa\t7001/tcp\t0.5\nbbb\t7002/tcp\t0.25\nccc\t7003/tcp\t0.125\n' \
	>"$TB_TMP/dd/nmap-services"
rs_ports dd --datadir "$TB_TMP/dd" --top-ports 2
[ "$(paste -sd, "$TB_TMP/dd.rs")" = 7001,7002 ] ||
	tb_fail "--datadir: got $(paste -sd, "$TB_TMP/dd.rs"), want 7001,7002"
tb_log "  ok: --datadir DIR reads DIR/nmap-services"

# Without frequencies (a services(5) file): the built-in default, and -F
# is every port the file names; --top-ports is refused, saying why.
printf 'ssh\t22/tcp\nhttp\t80/tcp\twww\nfoo\t9999/tcp\nbar\t53/udp\n' \
	>"$TB_TMP/plain"
rs_ports plain --servicedb "$TB_TMP/plain" -v
[ "$(wc -l <"$TB_TMP/plain.rs")" = 1069 ] ||
	tb_fail "fallback default: $(wc -l <"$TB_TMP/plain.rs") ports, want 1069"
grep -q "no port frequencies" "$TB_TMP/plain.err" ||
	{ cat "$TB_TMP/plain.err"; tb_fail "-v does not say the fallback was taken"; }
rs_ports plainf --servicedb "$TB_TMP/plain" -F
[ "$(paste -sd, "$TB_TMP/plainf.rs")" = 22,80,9999 ] ||
	tb_fail "fallback -F: got $(paste -sd, "$TB_TMP/plainf.rs"), want 22,80,9999"
rc=0
tb_rs np --dry-run --servicedb "$TB_TMP/plain" --top-ports 10 127.0.0.1 \
	>/dev/null 2>"$TB_TMP/refuse.err" || rc=$?
[ "$rc" = 1 ] && grep -q "needs nmap's port frequencies" "$TB_TMP/refuse.err" ||
	{ cat "$TB_TMP/refuse.err"; tb_fail "--top-ports without frequencies: exit $rc"; }
tb_log "  ok: fallback default (1069 ports), -F from the file, --top-ports refused"

# Bad input: one line naming it, exit 1.
bad()
{
	local want=$1 rc=0
	shift
	tb_rs np --dry-run "$@" 127.0.0.1 >/dev/null 2>"$TB_TMP/bad.err" || rc=$?
	if [ "$rc" != 1 ] || [ "$(wc -l <"$TB_TMP/bad.err")" != 1 ] ||
		! grep -q -- "$want" "$TB_TMP/bad.err"; then
		cat "$TB_TMP/bad.err"
		tb_fail "ringscan $*: exit $rc, want 1 and one line with '$want'"
	fi
	tb_log "  ok: $* -> $(cat "$TB_TMP/bad.err")"
}
bad "--servicedb '$TB_TMP/none': No such file" --servicedb "$TB_TMP/none"
bad "--servicedb '$TB_TMP'" --servicedb "$TB_TMP"
bad "--top-ports '0'" --top-ports 0
bad "--top-ports '65537'" --top-ports 65537
bad "--top-ports 'x'" --top-ports x
bad "--port-ratio '0'" --port-ratio 0
bad "--port-ratio '1'" --port-ratio 1
bad "--port-ratio '0.5x'" --port-ratio 0.5x
bad "-F cannot be used with -p" -F -p 80
bad "-F and --top-ports" -F --top-ports 5
bad "--exclude-ports given twice" --exclude-ports 1 --exclude-ports 2
bad "--exclude-ports 'x99'" --exclude-ports x99
bad "no ports left to scan after --exclude-ports" -p 80 --exclude-ports 80
exit 0
