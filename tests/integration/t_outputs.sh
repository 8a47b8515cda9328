#!/usr/bin/env bash
# t_outputs: output paths that would lose data are refused before anything
# is written - two outputs naming one file (however spelled), an output
# that is also the --checkpoint file or the stdout the text report goes
# to, an output that cannot open (the others must not be truncated first),
# an -oA without a base name - and a --dry-run whose stdout is full fails
# instead of exiting 0.  Every refusal is exit 1 with one stderr line and
# the earlier results untouched.  All runs inside an empty namespace.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns o
failures=0
OLD="results of yesterday's scan"

# refused WHAT ARGS...: exit 1 and one stderr line; $TB_TMP/ok.csv (and
# any other precious file) still holds $OLD.
refused()
{
	local what=$1 rc=0 why='' f
	shift
	for f in ok.csv ok.json; do
		echo "$OLD" >"$TB_TMP/$f"
	done
	tb_rs o "$@" >"$TB_TMP/run.out" 2>"$TB_TMP/err" </dev/null || rc=$?
	if [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$(wc -l <"$TB_TMP/err")" != 1 ]; then
		why="$(wc -l <"$TB_TMP/err") lines on stderr, want 1"
	fi
	for f in ok.csv ok.json; do
		[ "$(cat "$TB_TMP/$f")" = "$OLD" ] || why="${why:+$why; }$f was overwritten"
	done
	if [ -z "$why" ]; then
		printf '  ok   %-34s -> %s\n' "$what" "$(cat "$TB_TMP/err")"
	else
		printf '  FAIL %-34s -> %s\n' "$what" "$why"
		sed 's/^/         stderr| /' "$TB_TMP/err" | head -n 5
		failures=$((failures + 1))
	fi
}

cd "$TB_TMP"
S=(-p 22 --states 'open,closed,filtered' 127.0.0.1)
tb_log "one file named twice"
refused "-oC X -oJ X" "${S[@]}" -oC ok.csv -oJ ok.csv
refused "-oC X -oJ ./X" "${S[@]}" -oC ok.csv -oJ "./ok.csv"
refused "-oC X -oJ DIR/../X" "${S[@]}" -oC ok.csv -oJ "$TB_TMP/../$(basename "$TB_TMP")/ok.csv"
ln -sf ok.csv link.json
refused "-oC X -oJ symlink-to-X" "${S[@]}" -oC ok.csv -oJ link.json
refused "-oC X --checkpoint X" "${S[@]}" -oC ok.csv --checkpoint ok.csv
refused "-oJ X --checkpoint ./X" "${S[@]}" -oJ ok.json --checkpoint ./ok.json
refused "-oC - -oJ -" "${S[@]}" -oC - -oJ -
tb_log "an output that is also stdout"
rc=0
echo "$OLD" >ok.csv
# shellcheck disable=SC2094 # the same file twice is the point
tb_rs o "${S[@]}" -oC ok.csv >>ok.csv 2>err || rc=$?
if [ "$rc" = 1 ] && [ "$(cat ok.csv)" = "$OLD" ]; then
	tb_log "  ok   -oC X >>X -> $(cat err)"
else
	tb_log "  FAIL -oC X >>X: exit $rc"
	failures=$((failures + 1))
fi
tb_log "an output that cannot open: the others stay as they were"
refused "-oC ok.csv -oJ /nonexistent/x" "${S[@]}" -oC ok.csv -oJ /nonexistent/x
refused "-oJ ok.json -oX /nonexistent/x" "${S[@]}" -oJ ok.json -oX /nonexistent/x
[ ! -e new.xml ] || rm -f new.xml
refused "-oX new.xml -oG /nonexistent/x" "${S[@]}" -oX new.xml -oG /nonexistent/x
[ ! -e new.xml ] || { tb_log "  FAIL new.xml left behind by a refused run"; failures=$((failures + 1)); }
tb_log "-oA without a base name"
refused "-oA ''" "${S[@]}" -oA ''
refused "-oA dir/" "${S[@]}" -oA "$TB_TMP/"
printf '%s\n127.0.0.1,22,tcp,open,ssh,syn-ack,\n' "$TB_CSV_HEADER" >rows.csv
refused "merge -oA ''" merge -oA '' rows.csv
refused "merge -oC X -oJ X" merge -oC ok.csv -oJ ok.csv rows.csv
for f in .nmap .xml .gnmap .csv; do
	if [ -e "$TB_TMP/$f" ]; then
		tb_log "  FAIL hidden -oA file $f was written"
		failures=$((failures + 1))
	fi
done

tb_log "--checkpoint naming a device node is not replaced"
mknod "$TB_TMP/null" c 1 3
rc=0
tb_rs o "${S[@]}" --checkpoint "$TB_TMP/null" >run.out 2>err || rc=$?
if [ -c "$TB_TMP/null" ] && [ "$rc" != 0 ]; then
	tb_log "  ok   --checkpoint DEVICE -> exit $rc: $(head -n 1 err)"
else
	tb_log "  FAIL --checkpoint DEVICE: exit $rc, node $(stat -c %F "$TB_TMP/null")"
	failures=$((failures + 1))
fi

tb_log "--dry-run to a full disk"
if [ -w /dev/full ]; then
	rc=0
	tb_rs o --dry-run -p 1-1000 127.0.0.1 >/dev/full 2>err || rc=$?
	if [ "$rc" != 0 ] && [ "$(wc -l <err)" = 1 ]; then
		tb_log "  ok   --dry-run >/dev/full -> exit $rc: $(cat err)"
	else
		tb_log "  FAIL --dry-run >/dev/full: exit $rc"
		failures=$((failures + 1))
	fi
else
	tb_log "  (no writable /dev/full: skipped)"
fi

tb_log "what still works"
rc=0
tb_rs o "${S[@]}" -oC a.csv -oJ a.json -oN /dev/null -oG /dev/null \
	--checkpoint a.ck >/dev/null 2>err || rc=$?
if [ "$rc" != 0 ] || [ ! -s a.csv ] || [ ! -s a.json ] || [ ! -s a.ck ]; then
	cat err
	tb_log "  FAIL distinct outputs: exit $rc"
	failures=$((failures + 1))
fi

[ "$failures" = 0 ] || tb_fail "$failures output cases not handled as required"
exit 0
