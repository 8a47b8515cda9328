#!/usr/bin/env bash
# t_memory: inputs that used to grow without bound are refused or stay
# under a stated bound.
#   - `yes 127.0.0.1 | ringscan -iL -` merges duplicates as they stream in:
#     its peak RSS stops growing (at most 4 MiB more from 2 s to 5 s) and
#     stays under 32 MiB (256 MiB in an ASan build, whose shadow memory
#     alone is more; it was 250 MiB after 4 s and rising);
#   - a list line longer than TARGETS_LINE_MAX (4096 bytes: 100 MB of NULs
#     on stdin, as from /dev/zero) and a list longer than TARGETS_FILE_MAX
#     (1 GiB of empty lines) are refused with one line;
#   - `-p- 127.0.0.0/8` (256 GiB of state if every probe answers, as on
#     loopback) is refused with advice, before anything is sent; with
#     --allow-large-store it starts (and is stopped by SIGINT).
# Everything runs inside an empty namespace and targets loopback only.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns mem
NS=$(tb_nsname mem)
HWM_MAX_KB=$((32 * 1024))
HWM_GROWTH_KB=$((4 * 1024))
if ldd "$RINGSCAN" 2>/dev/null | grep -q libasan; then
	# ASan keeps freed blocks in a quarantine (256 MiB by default) that
	# grows like a leak would: keep it small, and allow for the shadow.
	HWM_MAX_KB=$((256 * 1024))
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:thread_local_quarantine_size_kb=64"
fi

tb_log "duplicates on stdin: bounded"
yes 127.0.0.1 | ip netns exec "$NS" "$RINGSCAN" -iL - -p 1 --dry-run \
	>/dev/null 2>"$TB_TMP/yes.err" &
pid=$!
TB_PIDS="$TB_PIDS $pid"
sleep 2
hwm0=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
sleep 3
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -n "$hwm0" ] && [ -n "$hwm" ] ||
	{ cat "$TB_TMP/yes.err"; tb_fail "the reader exited early"; }
[ "$((hwm - hwm0))" -le "$HWM_GROWTH_KB" ] ||
	tb_fail "yes 127.0.0.1 | ringscan -iL -: peak RSS grew from $hwm0 to $hwm kB in 3 s"
[ "$hwm" -le "$HWM_MAX_KB" ] ||
	tb_fail "yes 127.0.0.1 | ringscan -iL -: peak RSS $hwm kB, over $HWM_MAX_KB kB"
echo "  ok   yes 127.0.0.1 | ringscan -iL -: peak RSS $hwm0 kB at 2 s, $hwm kB at 5 s"

# one_line FILE WORD...: FILE is one line naming every WORD.
one_line()
{
	local f=$1 w
	shift
	[ "$(wc -l <"$f")" = 1 ] || { cat "$f"; tb_fail "want one line on stderr"; }
	for w in "$@"; do
		grep -qF -- "$w" "$f" || { cat "$f"; tb_fail "stderr does not name '$w'"; }
	done
	echo "  ok   $(cat "$f")"
}

tb_log "list limits"
rc=0
head -c 100000000 /dev/zero |
	timeout -k 2 20 ip netns exec "$NS" "$RINGSCAN" -iL - -p 1 \
		>/dev/null 2>"$TB_TMP/zero.err" || rc=$?
[ "$rc" = 1 ] || tb_fail "100 MB without a newline: exit $rc, want 1"
one_line "$TB_TMP/zero.err" "line 1" "line longer"
rc=0
yes '' | head -c 1100000000 |
	timeout -k 2 60 ip netns exec "$NS" "$RINGSCAN" -iL - -p 1 \
		>/dev/null 2>"$TB_TMP/big.err" || rc=$?
[ "$rc" = 1 ] || tb_fail "1.1 GB list: exit $rc, want 1"
one_line "$TB_TMP/big.err" "list longer" "1 GiB"

tb_log "the state store against available memory"
avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
if [ "$avail_kb" -ge $((256 * 1024 * 1024)) ]; then
	echo "  skip -p- 127.0.0.0/8 fits in this machine's $avail_kb kB"
else
	rc=0
	tb_rs mem -p- 127.0.0.0/8 >/dev/null 2>"$TB_TMP/store.err" || rc=$?
	[ "$rc" = 1 ] || tb_fail "-p- 127.0.0.0/8: exit $rc, want 1 (refused)"
	one_line "$TB_TMP/store.err" "256.0 GiB" "fewer ports" "--allow-large-store"
fi
rc=0
timeout --preserve-status -s INT -k 5 3 ip netns exec "$NS" "$RINGSCAN" \
	-p- 127.0.0.0/8 --allow-large-store --rate 1000 \
	>/dev/null 2>"$TB_TMP/allowed.err" || rc=$?
[ "$rc" = 130 ] || { cat "$TB_TMP/allowed.err"; tb_fail "-p- 127.0.0.0/8 --allow-large-store: exit $rc, want 130 (started, then SIGINT)"; }
echo "  ok   -p- 127.0.0.0/8 --allow-large-store starts"
exit 0
