#!/usr/bin/env bash
# t_badinput: every kind of bad input exits 1 with exactly one line on
# stderr naming the bad token - no crash (status >= 128), no hang, no
# traffic (each run is inside an empty namespace anyway).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns bad
failures=0

# has_token FILE TOKEN: TOKEN occurs in FILE not inside a longer word or
# number ("0" is not named by "127.0.0.1", but "1.2.3.4/33." names it).
has_token()
{
	awk -v tok="$2" '
	{
		off = 0
		while ((i = index(substr($0, off + 1), tok)) > 0) {
			i += off
			b = substr($0, i - 1, 1)
			a = substr($0, i + length(tok), 2)
			if ((i == 1 || b !~ /[A-Za-z0-9_.]/) &&
			    (a == "" || a !~ /^([A-Za-z0-9_]|\.[^ ])/))
				found = 1
			off = i
		}
	}
	END { exit !found }' "$1"
}

# expect TOKENS ARGS...: exit 1, one stderr line naming each token of
# TOKENS ('|'-separated; a leading '~' means any case, inside a word too).
expect()
{
	local tokens=$1 tok rc=0 lines why='' rest
	shift
	timeout -k 2 10 ip netns exec "$(tb_nsname bad)" "$RINGSCAN" "$@" \
		>"$TB_TMP/out" 2>"$TB_TMP/err" </dev/null || rc=$?
	lines=$(wc -l <"$TB_TMP/err")
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="hung (killed after 10 s)"
	elif [ "$rc" -ge 128 ]; then
		why="crashed (status $rc)"
	elif [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$lines" != 1 ]; then
		why="$lines lines on stderr, want 1"
	else
		rest=$tokens
		while [ -n "$rest" ]; do
			tok=${rest%%|*}
			[ "$tok" = "$rest" ] && rest= || rest=${rest#*|}
			case $tok in
			~*) grep -qi -- "${tok#\~}" "$TB_TMP/err" ;;
			*) has_token "$TB_TMP/err" "$tok" ;;
			esac || why="stderr does not name '${tok#\~}'"
		done
	fi
	if [ -z "$why" ]; then
		printf '  ok   %-40s -> %s\n' "$*" "$(cat "$TB_TMP/err")"
	else
		printf '  FAIL %-40s -> %s\n' "$*" "$why"
		sed 's/^/         stderr| /' "$TB_TMP/err" | head -n 10
		failures=$((failures + 1))
	fi
}

tb_log "bad targets"
expect 256.1.1.1 -p 80 256.1.1.1
expect 1.2.3.4/33 -p 80 1.2.3.4/33
expect 127.0.0.5-3 -p 80 127.0.0.5-3
expect nosuchhost.invalid -p 80 nosuchhost.invalid
tb_log "bad ports"
expect 0 -p 0 127.0.0.1
expect 70000 -p 70000 127.0.0.1
expect 5-1 -p 5-1 127.0.0.1
expect ,, -p ,, 127.0.0.1
expect 'U:53|-sU' -p U:53 127.0.0.1
expect 'T:22|-sT' -sU -p T:22 127.0.0.1
expect '0|port 0' -sU -p U:0 127.0.0.1
expect 'U:PORTS|-sU' -sU -sT -p T:22 127.0.0.1
expect 'S:80' -p S:80 127.0.0.1
tb_log "bad options"
expect -5 --rate -5 -p 80 127.0.0.1
expect abc --rate abc -p 80 127.0.0.1
expect 'concurrency|0' --concurrency 0 -p 80 127.0.0.1
expect 'timeout|0' --timeout 0 -p 80 127.0.0.1
expect --bogus --bogus -p 80 127.0.0.1
tb_log "bad files"
expect "$TB_TMP/no-such-list" -p 80 -iL "$TB_TMP/no-such-list"
expect /nonexistent/x.csv -p 80 -oC /nonexistent/x.csv 127.0.0.1
tb_log "no target"
expect '~target' -p 80
# An empty list names the list, not an --exclude that was never given.
: >"$TB_TMP/empty.list"
printf '# only a comment\n\n' >"$TB_TMP/comments.list"
expect "~no targets in|$TB_TMP/empty.list" -p 80 -iL "$TB_TMP/empty.list"
grep -q exclude "$TB_TMP/err" && {
	echo "  FAIL empty -iL blames --exclude: $(cat "$TB_TMP/err")"
	failures=$((failures + 1))
}
expect "~no targets in|$TB_TMP/comments.list" -p 80 -iL "$TB_TMP/comments.list"


# Terminal injection: input carrying ESC [ 2 J (clear screen) and a 0xff
# byte is still named, but its error line carries no raw control byte and
# no invalid UTF-8 (they show as '?').
# clean ARGS...: exit 1, one stderr line, safe to show, quoting "?[2J?".
clean()
{
	local rc=0 why=''
	timeout -k 2 10 ip netns exec "$(tb_nsname bad)" "$RINGSCAN" "$@" \
		>"$TB_TMP/out" 2>"$TB_TMP/err" </dev/null || rc=$?
	if [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$(wc -l <"$TB_TMP/err")" != 1 ]; then
		why="$(wc -l <"$TB_TMP/err") lines on stderr, want 1"
	elif LC_ALL=C grep -q '[[:cntrl:]]' "$TB_TMP/err" ||
		! iconv -f UTF-8 -t UTF-8 "$TB_TMP/err" >/dev/null 2>&1; then
		why="a raw control byte or invalid UTF-8 reached stderr"
	elif ! grep -qF '?[2J?' "$TB_TMP/err"; then
		why="stderr does not show the input as ?[2J?"
	fi
	# The log must not carry the escape either: cat -v shows it.
	if [ -z "$why" ]; then
		printf '  ok   %-40s -> %s\n' "$(echo "$*" | cat -v)" \
			"$(cat "$TB_TMP/err")"
	else
		printf '  FAIL %-40s -> %s\n' "$(echo "$*" | cat -v)" "$why"
		od -c "$TB_TMP/err" | head -n 5
		failures=$((failures + 1))
	fi
}

tb_log "terminal injection"
esc=$(printf '\033[2J\377')
printf '127.0.0.1\n10.1%s\n' "$esc" >"$TB_TMP/evil.list"
printf '127.0.0.2%s\n' "$esc" >"$TB_TMP/evil.exclude"
printf 'host,port,proto,state,service,reason,rtt_ms\n127.0.0.1%s,80,tcp,open,http,syn-ack,0.1\n' \
	"$esc" >"$TB_TMP/evil.csv"
printf 'Proto Recv-Q Send-Q Local Address Foreign Address State PID/Program name\ntcp 0 0 0.0.0.0:22%s 0.0.0.0:* LISTEN 1/sshd\n' \
	"$esc" >"$TB_TMP/evil.netstat"
clean -p 80 "127.0.0.1$esc"
clean -p "80$esc" 127.0.0.1
clean -p 80 -iL "$TB_TMP/evil.list"
clean -p 80 --excludefile "$TB_TMP/evil.exclude" 127.0.0.1
clean -p 80 --exclude "127.0.0.2$esc" 127.0.0.1
clean --rate "5$esc" 127.0.0.1
clean "--bogus$esc" 127.0.0.1
clean -p 80 -iL "$TB_TMP/no-such$esc"
clean merge "$TB_TMP/evil.csv"
clean audit --netstat "$TB_TMP/evil.netstat" 127.0.0.1

[ "$failures" = 0 ] || tb_fail "$failures bad inputs not rejected as required"
exit 0
