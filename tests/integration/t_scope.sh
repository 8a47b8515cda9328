#!/usr/bin/env bash
# t_scope: the scope guard.  A target set larger than a /8, or one whose
# ranges reach reserved blocks (0.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4,
# ::/8, ff00::/8), is refused with one line that names the size or the
# blocks and --allow-large-scope; --dry-run needs no confirmation and
# shows the reserved blocks cut out; 127.0.0.0/8 (exactly 2^24) passes,
# and so does a large set once confirmed.  Every run is inside an empty
# namespace; the only set actually started is 127.0.0.0/8 or part of the
# IPv6 benchmarking range 2001:2::/48, and each is stopped by SIGINT
# within two seconds.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns scope
failures=0

# refused WORDS ARGS...: exit 1, one stderr line containing every
# '|'-separated word of WORDS and --allow-large-scope.
refused()
{
	local words=$1 w rc=0 why=''
	shift
	tb_rs scope "$@" >/dev/null 2>"$TB_TMP/err" </dev/null || rc=$?
	if [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$(wc -l <"$TB_TMP/err")" != 1 ]; then
		why="$(wc -l <"$TB_TMP/err") lines on stderr, want 1"
	else
		for w in ${words//|/ } --allow-large-scope; do
			grep -qF -- "$w" "$TB_TMP/err" ||
				why="stderr does not name '$w'"
		done
	fi
	report "$why" "$@"
}

# started ARGS...: the scan starts (and is stopped by SIGINT: 130).
started()
{
	local rc=0 why=''
	timeout --preserve-status -s INT -k 5 2 ip netns exec "$(tb_nsname scope)" \
		"$RINGSCAN" "$@" >/dev/null 2>"$TB_TMP/err" </dev/null || rc=$?
	[ "$rc" = 130 ] || why="exit status $rc, want 130 (started, then SIGINT)"
	report "$why" "$@"
}

report()
{
	local why=$1
	shift
	if [ -z "$why" ]; then
		printf '  ok   %-45s -> %s\n' "$*" "$(head -c 200 "$TB_TMP/err")"
	else
		printf '  FAIL %-45s -> %s\n' "$*" "$why"
		sed 's/^/         stderr| /' "$TB_TMP/err" | head -n 5
		failures=$((failures + 1))
	fi
}

tb_log "refused without confirmation"
refused '0.0.0.0/0|0.0.0.0/8|224.0.0.0/4|240.0.0.0/4|3741319168' \
	-p 80 0.0.0.0/0
refused '10.0.0.0/0|0.0.0.0/8' -p 80 10.0.0.0/0
refused '4294967296|/8' -p 80 ::/96
refused '33554432|/8' -p 80 2001:2::/103
refused '0.0.0.0/8' -p 80 0.0.0.0/7
refused '224.0.0.0/4' -p 80 192.0.0.0/2
refused 'ff00::/8' -p 80 feff:ffff:ffff:ffff:ffff:ffff:ffff:ff00-ff00::ff
refused '::/8' -p 80 ff:ffff:ffff:ffff:ffff:ffff:ffff:ff00-100::ff

tb_log "allowed"
started -p 1 127.0.0.0/8
started -p 1 --allow-large-scope 2001:2::/103
# Listed on their own, reserved addresses are a deliberate choice.
tb_rs scope --dry-run -p 1 224.0.0.1 ::1 ff02::1 >"$TB_TMP/own" 2>&1 ||
	{ failures=$((failures + 1)); echo "  FAIL reserved hosts on their own"; }
[ "$(wc -l <"$TB_TMP/own")" = 3 ] ||
	{ failures=$((failures + 1)); echo "  FAIL want 3 probes:"; cat "$TB_TMP/own"; }

tb_log "--dry-run needs no confirmation and cuts the reserved blocks"
rc=0
tb_rs scope --dry-run --seed 7 -p 1 0.0.0.0/0 2>"$TB_TMP/err" |
	head -n 300000 >"$TB_TMP/dry" || rc=$?
[ -s "$TB_TMP/dry" ] || { cat "$TB_TMP/err"; tb_fail "--dry-run 0.0.0.0/0 printed nothing"; }
bad=$(awk '{ split($1, o, "."); if (o[1] == 0 || o[1] >= 224) n++ }
	END { print n + 0 }' "$TB_TMP/dry")
[ "$bad" = 0 ] || tb_fail "--dry-run 0.0.0.0/0 lists $bad reserved addresses"
echo "  ok   --dry-run 0.0.0.0/0: $(wc -l <"$TB_TMP/dry") probes, none reserved"

[ "$failures" = 0 ] || tb_fail "$failures scope checks failed"
exit 0
