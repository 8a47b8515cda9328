#!/usr/bin/env bash
# t_nonregular: every file ringscan reads refuses a FIFO or a device at
# once - exit 1, one stderr line naming the file - instead of blocking in
# open() forever (a FIFO nobody writes to) or reading without end
# (/dev/zero).  Covers --resume, -iL, --excludefile, merge inputs, the
# audit's --netstat capture, --baseline and a --proc-root whose net/tcp is
# a FIFO.  The pipe that merge documents (<(...)) and "-" still work.
# Every run is inside an empty namespace: a mistake cannot send anything.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns nr
failures=0
FIFO="$TB_TMP/fifo"
mkfifo "$FIFO"

# expect NAME ARGS...: exit 1 within 10 s, one stderr line naming NAME
# and saying it is not a regular file.
expect()
{
	local name=$1 rc=0 why=
	shift
	timeout -k 2 10 ip netns exec "$(tb_nsname nr)" "$RINGSCAN" "$@" \
		>"$TB_TMP/out" 2>"$TB_TMP/err" </dev/null || rc=$?
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="hung (killed after 10 s)"
	elif [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$(wc -l <"$TB_TMP/err")" != 1 ]; then
		why="$(wc -l <"$TB_TMP/err") lines on stderr, want 1"
	elif ! grep -qF -- "$name" "$TB_TMP/err"; then
		why="stderr does not name $name"
	elif ! grep -q 'not a regular file' "$TB_TMP/err"; then
		why="stderr does not say 'not a regular file'"
	fi
	if [ -z "$why" ]; then
		printf '  ok   %-50s -> %s\n' "$*" "$(cat "$TB_TMP/err")"
	else
		printf '  FAIL %-50s -> %s\n' "$*" "$why"
		sed 's/^/         stderr| /' "$TB_TMP/err" | head -n 10
		failures=$((failures + 1))
	fi
}

tb_log "a FIFO with no writer"
expect "$FIFO" --resume "$FIFO"
expect "$FIFO" -p 80 -iL "$FIFO" --dry-run
expect "$FIFO" -p 80 --excludefile "$FIFO" 127.0.0.1 --dry-run
expect "$FIFO" merge "$FIFO"
expect "$FIFO" audit --netstat "$FIFO" 127.0.0.1
expect "$FIFO" audit --baseline "$FIFO"
mkdir -p "$TB_TMP/proc/net"
mkfifo "$TB_TMP/proc/net/tcp"
expect "$TB_TMP/proc" audit --proc-root "$TB_TMP/proc"

tb_log "devices"
expect /dev/zero -p 80 -iL /dev/zero --dry-run
expect /dev/zero --resume /dev/zero
expect /dev/null merge /dev/null
expect /dev/zero audit --netstat /dev/zero 127.0.0.1

tb_log "what still works: pipes the user opened, stdin"
printf '%s\n127.0.0.1,22,tcp,open,ssh,conn-refused,,\n' "$TB_CSV_HEADER" \
	>"$TB_TMP/rows.csv"
rc=0
timeout 10 ip netns exec "$(tb_nsname nr)" "$RINGSCAN" merge \
	<(cat "$TB_TMP/rows.csv") >"$TB_TMP/merged" 2>"$TB_TMP/err" || rc=$?
if [ "$rc" != 0 ] || ! grep -q '^127.0.0.1,22,' "$TB_TMP/merged"; then
	cat "$TB_TMP/err"
	tb_log "  FAIL merge <(cat rows.csv): status $rc"
	failures=$((failures + 1))
else
	tb_log "  ok   merge <(cat rows.csv)"
fi
rc=0
echo 127.0.0.1 | timeout 10 ip netns exec "$(tb_nsname nr)" "$RINGSCAN" \
	-p 80 -iL - --dry-run >"$TB_TMP/dry" 2>"$TB_TMP/err" || rc=$?
if [ "$rc" != 0 ] || ! grep -q '^127.0.0.1 80$' "$TB_TMP/dry"; then
	cat "$TB_TMP/err"
	tb_log "  FAIL -iL - from a pipe: status $rc"
	failures=$((failures + 1))
else
	tb_log "  ok   -iL - from a pipe"
fi

[ "$failures" = 0 ] || tb_fail "$failures non-regular files not refused"
exit 0
