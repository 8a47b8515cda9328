#!/usr/bin/env bash
# t_sqlite: --sqlite writes exactly the CSV's rows, typed, checked row by
# row against the CSV of the same run:
#   - a scan (every state, and the default open-only), each a scans row
#     with its seed, version, command line and status;
#   - a scan stopped by SIGINT (status "interrupted", every row committed),
#     then --resume: the same scans row, no row twice, the resumed CSV's
#     rows; a scan killed with SIGKILL, then --resume, likewise - in the
#     same file as the first, whose resume key it shares;
#   - three shards writing one database at once, then `ringscan merge` of
#     their checkpoints and of their CSVs, each merge a scans row;
#   - a -sS scan (AF_PACKET) into a directory that root, once -sS has
#     dropped every capability, may no longer create files in: its batches
#     still commit (the WAL file was made at open);
#   - bad input refused with exit 1 and one line naming the file, the file
#     and the other outputs left as they were: not a database, another
#     program's database, an unwritable path, a directory, "-", the same
#     file as -oC;
#   - the README's SQLite queries, extracted from README.md and run as
#     written by sqlite3 on two scans with known differences.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init
command -v sqlite3 >/dev/null 2>&1 ||
	tb_skip "sqlite3 not installed (scripts/install-deps.sh)"

T=$TB_TMP
ALL=open,closed,filtered
README="$(cd "$(dirname "$0")/../.." && pwd)/README.md"
RS_ABS=$(cd "$(dirname "$RINGSCAN")" && pwd)/$(basename "$RINGSCAN")
VERSION=$("$RINGSCAN" --version | awk 'NR == 1 { print $2 }')

tb_netns sq
tb_listen sq "127.0.0.1:22 127.0.0.2:80 0.0.0.0:3306 127.0.0.3:2500"
tb_filter sq "127.0.0.4:* 127.0.0.1:1000-1010"

# rs ARGS...: the scanner in the namespace; fails the test unless it exits 0.
rs()
{
	local rc=0
	tb_rs sq "$@" >"$T/rs.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$T/rs.out"; tb_fail "ringscan $* exited $rc"; }
}

# sql DB QUERY: sqlite3's answer, fields split by '|'.
sql()
{
	sqlite3 -batch -noheader "$1" "$2" || tb_fail "sqlite3 $1 '$2' failed"
}

# csv_full CSV: its data rows, whole, sorted.
csv_full()
{
	[ -f "$1" ] || tb_fail "no CSV at $1"
	[ "$(head -n 1 "$1")" = "$TB_CSV_HEADER" ] || tb_fail "$1: bad header"
	tail -n +2 "$1" | LC_ALL=C sort
}

# db_full DB SCAN_ID: that scan's rows as CSV lines (rtt_ms with the CSV's
# three decimals, empty for NULL; hostname empty for NULL), sorted.  The services in these tests
# need no CSV quoting.
db_full()
{
	sql "$1" "SELECT host || ',' || port || ',' || proto || ',' || state ||
		',' || service || ',' || reason || ',' ||
		CASE WHEN rtt_ms IS NULL THEN '' ELSE printf('%.3f', rtt_ms) END
		|| ',' || coalesce(hostname, '')
		FROM ports WHERE scan_id = $2" | LC_ALL=C sort
}

# same_rows CSV DB SCAN_ID WHAT: the scan's database rows are the CSV's,
# field for field, and typed.
same_rows()
{
	local csv=$1 db=$2 id=$3 what=$4 bad
	csv_full "$csv" >"$T/want.full"
	db_full "$db" "$id" >"$T/got.full"
	if ! cmp -s "$T/want.full" "$T/got.full"; then
		tb_log "  MISMATCH ($what): CSV $(wc -l <"$T/want.full") rows, database $(wc -l <"$T/got.full")"
		diff "$T/want.full" "$T/got.full" | head -n 20
		tb_fail "$what: database rows differ from the CSV's"
	fi
	bad=$(sql "$db" "SELECT count(*) FROM ports WHERE scan_id = $id AND
		(typeof(port) != 'integer' OR typeof(scan_id) != 'integer' OR
		 (rtt_ms IS NOT NULL AND typeof(rtt_ms) != 'real'))")
	[ "$bad" = 0 ] || tb_fail "$what: $bad rows with untyped port or rtt_ms"
	[ -s "$T/want.full" ] || tb_fail "$what: no rows at all (nothing compared)"
	tb_log "  ok: $(wc -l <"$T/got.full") rows of scan $id equal the CSV's ($what)"
}

# scan_row DB ID: "seed|status|version|ended" of a scans row.
scan_row()
{
	sql "$1" "SELECT coalesce(seed, 'NULL') || '|' || status || '|' ||
		version || '|' || (end_time IS NOT NULL AND
		end_time >= start_time) FROM scans WHERE id = $2"
}

expect_scan()
{
	local got
	got=$(scan_row "$1" "$2")
	[ "$got" = "$3" ] || tb_fail "scans row $2 of $1: '$got', want '$3'"
}

tb_log "a scan, every state"
tb_truth sq 127.0.0.1-4 1-1500 >"$T/truth"
rs --seed 5 -p 1-1500 --timeout 200 --retries 1 --states "$ALL" \
	-oC "$T/a.csv" --sqlite "$T/a.db" 127.0.0.1-4
tb_compare "$T/truth" "$T/a.csv" || tb_fail "the scan is wrong"
same_rows "$T/a.csv" "$T/a.db" 1 "scan, every state"
expect_scan "$T/a.db" 1 "5|done|$VERSION|1"
sql "$T/a.db" "SELECT command_line FROM scans WHERE id = 1" | grep -q -- "--sqlite $T/a.db" ||
	tb_fail "the scans row does not hold the command line"
[ "$(sql "$T/a.db" 'SELECT count(*) FROM ports WHERE rtt_ms IS NOT NULL')" -gt 0 ] ||
	tb_fail "no round trip in the database (nothing typed REAL compared)"

tb_log "a second scan into the same file, default states (open only)"
rs --seed 6 -p 1-1500 --timeout 200 --retries 1 -oC "$T/a2.csv" --sqlite "$T/a.db" 127.0.0.1-4
same_rows "$T/a2.csv" "$T/a.db" 2 "scan, open only"
same_rows "$T/a.csv" "$T/a.db" 1 "the first scan, untouched"
expect_scan "$T/a.db" 2 "6|done|$VERSION|1"

# The resume runs of t_resume, smaller: 127.0.0.4's filtered probes cannot
# end before three 300 ms timeouts, so the scan is still running when
# 2,000 rows are out.
tb_truth sq 127.0.0.1-4 1-2000 >"$T/rtruth"
RARGS=(-p 1-2000 --timeout 300 --retries 2 --seed 11 --states "$ALL"
	--checkpoint-interval 200 127.0.0.1-4)

# start_scan CSV CKPT DB [ARGS...]: the scan in the background, its pid
# in $pid
start_scan()
{
	local csv=$1 ck=$2 db=$3
	shift 3
	rm -f "$csv" "$ck"
	env --default-signal=INT ip netns exec "$(tb_nsname sq)" "$RINGSCAN" \
		"${RARGS[@]}" "$@" -oC "$csv" --checkpoint "$ck" --sqlite "$db" \
		>"$T/out" 2>&1 &
	pid=$!
	TB_PIDS="$TB_PIDS $pid"
}

tb_log "SIGINT, then --resume"
start_scan "$T/i.csv" "$T/i.ck" "$T/r.db"
tb_wait_rows "$T/i.csv" 2000 "$pid" "$T/out"
kill -INT "$pid" 2>/dev/null || true
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$T/out"; tb_fail "SIGINT: exit $rc, want 130"; }
expect_scan "$T/r.db" 1 "11|interrupted|$VERSION|1"
same_rows "$T/i.csv" "$T/r.db" 1 "interrupted by SIGINT"
rc=0
tb_rs sq --resume "$T/i.ck" >"$T/rout" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/rout"; tb_fail "--resume exited $rc"; }
tb_compare "$T/rtruth" "$T/i.csv" || tb_fail "resumed after SIGINT: states differ"
same_rows "$T/i.csv" "$T/r.db" 1 "resumed after SIGINT"
[ "$(sql "$T/r.db" 'SELECT count(*) FROM scans')" = 1 ] ||
	tb_fail "--resume started another scans row instead of continuing"
expect_scan "$T/r.db" 1 "11|done|$VERSION|1"

# Sent at exactly 2,000 probes a second (--no-cc; the resume key ignores
# the rate), so that it is still running when its first batch is committed
# (after a second): the kill leaves committed rows that the resume sends
# again.
tb_log "SIGKILL once rows are committed, then --resume (same file, same resume key)"
start_scan "$T/k.csv" "$T/k.ck" "$T/r.db" --no-cc --rate 2000
committed=0
for _ in $(seq 1 400); do
	committed=$(sql "$T/r.db" 'SELECT count(*) FROM ports WHERE scan_id = 2')
	[ "$committed" -gt 0 ] && [ -s "$T/k.ck" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
[ -s "$T/k.ck" ] || tb_fail "no periodic checkpoint before SIGKILL"
[ "$committed" -gt 0 ] || { cat "$T/out"; tb_fail "no rows committed in 20 s"; }
expect_scan "$T/r.db" 2 "11|running|$VERSION|0"
committed=$(sql "$T/r.db" 'SELECT count(*) FROM ports WHERE scan_id = 2')
[ "$committed" -lt 8000 ] || tb_fail "the scan finished before the kill"
tb_log "  killed with $committed rows committed, $(tb_rows "$T/k.csv") in the CSV"
rc=0
tb_rs sq --resume "$T/k.ck" >"$T/rout" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/rout"; tb_fail "--resume exited $rc"; }
tb_compare "$T/rtruth" "$T/k.csv" || tb_fail "resumed after SIGKILL: states differ"
same_rows "$T/k.csv" "$T/r.db" 2 "resumed after SIGKILL"
same_rows "$T/i.csv" "$T/r.db" 1 "the earlier scan with the same key, untouched"
[ "$(sql "$T/r.db" 'SELECT count(*) FROM scans')" = 2 ] ||
	tb_fail "want two scans rows after two scans"
expect_scan "$T/r.db" 2 "11|done|$VERSION|1"

tb_log "three shards into one database at once, then merges"
tb_truth sq 127.0.0.1-4 1-300 >"$T/mtruth"
pids=
for k in 1 2 3; do
	tb_rs sq --seed 99 -p 1-300 --timeout 100 --retries 1 --states "$ALL" \
		--shards "$k/3" -oC "$T/s$k.csv" --checkpoint "$T/s$k.ckpt" \
		--sqlite "$T/sh.db" 127.0.0.1-4 >"$T/s$k.out" 2>&1 &
	pids="$pids $!"
done
k=0
for p in $pids; do
	k=$((k + 1))
	wait "$p" || { cat "$T/s$k.out"; tb_fail "shard $k/3 failed"; }
done
for k in 1 2 3; do
	id=$(sql "$T/sh.db" "SELECT id FROM scans WHERE command_line LIKE '%--shards $k/3 %'")
	[ -n "$id" ] || tb_fail "no scans row for shard $k/3"
	same_rows "$T/s$k.csv" "$T/sh.db" "$id" "shard $k/3, written concurrently"
done

(cd "$T" && "$RS_ABS" merge --sqlite m.db -oC mc.csv s1.ckpt s2.ckpt s3.ckpt) \
	>"$T/merge.out" 2>&1 || { cat "$T/merge.out"; tb_fail "merge of checkpoints failed"; }
tb_compare "$T/mtruth" "$T/mc.csv" || tb_fail "the merge of checkpoints is wrong"
same_rows "$T/mc.csv" "$T/m.db" 1 "merge of checkpoints"
expect_scan "$T/m.db" 1 "99|done|$VERSION|1"
(cd "$T" && "$RS_ABS" merge --sqlite=m.db -oC mr.csv s1.csv s2.csv s3.csv) \
	>"$T/merge.out" 2>&1 || { cat "$T/merge.out"; tb_fail "merge of CSVs failed"; }
tb_compare "$T/mtruth" "$T/mr.csv" || tb_fail "the merge of CSVs is wrong"
same_rows "$T/mr.csv" "$T/m.db" 2 "merge of CSV rows"
expect_scan "$T/m.db" 2 "NULL|done|$VERSION|1"

tb_log "-sS: commits after the capabilities are dropped"
syn_bed
tb_listen tgt "0.0.0.0:22 0.0.0.0:80"
mkdir "$T/nobody"
chown nobody "$T/nobody"
chmod 755 "$T/nobody"
rc=0
tb_rs scan -sS --engine packet -p 1-3000 --states "$ALL" -oC "$T/syn.csv" \
	--sqlite "$T/nobody/syn.db" "$SYN_HOST" >"$T/syn.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/syn.out"; tb_fail "-sS --sqlite exited $rc"; }
same_rows "$T/syn.csv" "$T/nobody/syn.db" 1 "-sS, written without capabilities"
grep -q ',reset,' "$T/syn.csv" || tb_fail "-sS: no closed (reset) rows compared"

tb_log "bad input: refused before the scan, files as they were"
cd "$T"
OLD="results of yesterday's scan"
failures=0
# refused WHAT DBFILE ARGS...: exit 1, one stderr line naming DBFILE; DBFILE
# (if it exists) and ok.csv unchanged.
refused()
{
	local what=$1 dbf=$2 rc=0 why='' sum=absent
	shift 2
	echo "$OLD" >ok.csv
	[ -e "$dbf" ] && sum=$(md5sum <"$dbf" 2>/dev/null || echo dir)
	tb_rs sq "$@" >run.out 2>err </dev/null || rc=$?
	if [ "$rc" != 1 ]; then
		why="exit status $rc, want 1"
	elif [ "$(wc -l <err)" != 1 ]; then
		why="$(wc -l <err) lines on stderr, want 1"
	elif ! grep -qF "'$dbf'" err; then
		why="the message does not name '$dbf'"
	fi
	[ "$(cat ok.csv)" = "$OLD" ] || why="${why:+$why; }ok.csv was overwritten"
	if [ "$sum" = absent ]; then
		[ ! -e "$dbf" ] || why="${why:+$why; }$dbf was left behind"
	else
		[ "$(md5sum <"$dbf" 2>/dev/null || echo dir)" = "$sum" ] ||
			why="${why:+$why; }$dbf was changed"
	fi
	if [ -z "$why" ]; then
		printf '  ok   %-28s -> %s\n' "$what" "$(cat err)"
	else
		printf '  FAIL %-28s -> %s\n' "$what" "$why"
		sed 's/^/         stderr| /' err | head -n 5
		failures=$((failures + 1))
	fi
}
S=(-p 22 -oC ok.csv 127.0.0.1)
cp a.csv notdb.csv
refused "a CSV file" notdb.csv "${S[@]}" --sqlite notdb.csv
sqlite3 foreign.db 'CREATE TABLE hosts (name TEXT); INSERT INTO hosts VALUES ("x");'
refused "another program's database" foreign.db "${S[@]}" --sqlite foreign.db
refused "a directory that does not exist" nodir/x.db "${S[@]}" --sqlite nodir/x.db
mkdir -p adir
refused "a directory" adir "${S[@]}" --sqlite adir
refused "standard output" - "${S[@]}" --sqlite -
refused "the same file as -oC" same -p 22 127.0.0.1 -oC same --sqlite same
refused "merge: a CSV file" notdb.csv merge --sqlite notdb.csv a.csv
[ "$failures" = 0 ] || tb_fail "$failures bad inputs not refused cleanly"
[ "$(sql a.db 'SELECT count(*) FROM scans')" = 2 ] || tb_fail "a.db changed"

tb_log "the README's queries, as written"
# Two scans with known differences: 127.0.0.2:22 closes, 127.0.0.3:8080
# opens between them.
tb_netns rq
tb_listen rq "127.0.0.1:22 127.0.0.1:80 127.0.0.2:443"
tb_listen rq "127.0.0.2:22"
gone=$TB_LASTPID
QARGS=(-p "20-25,80,443,8080" --timeout 200 --retries 1 127.0.0.1-3)
rc=0
tb_rs rq "${QARGS[@]}" --sqlite q.db >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || tb_fail "query scan 1 exited $rc"
kill "$gone"
wait "$gone" 2>/dev/null || true
tb_listen rq "127.0.0.3:8080"
tb_rs rq "${QARGS[@]}" --sqlite q.db >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || tb_fail "query scan 2 exited $rc"
awk '/^```sql$/ { n++; f = sprintf("q%d.sql", n); next }
	/^```$/ { f = ""; next }
	f != "" { print > f }' "$README"
if [ ! -s q4.sql ] || [ -e q5.sql ]; then
	tb_fail "want 4 \`\`\`sql blocks in README.md (update this test with it)"
fi
run_query()
{
	sqlite3 -batch q.db <"q$1.sql" >"q$1.out" 2>&1 ||
		{ cat "q$1.sql" "q$1.out"; tb_fail "README query $1 failed"; }
}
# expect_out N WANT: query N printed exactly WANT (times as T).
expect_out()
{
	run_query "$1"
	sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}/T/g' \
		"q$1.out" >"q$1.norm"
	if [ "$(cat "q$1.norm")" != "$2" ]; then
		cat "q$1.sql"
		printf 'got:\n%s\nwant:\n%s\n' "$(cat "q$1.out")" "$2"
		tb_fail "README query $1 gives the wrong answer"
	fi
	tb_log "  ok: README query $1 ($(head -n 1 "q$1.sql"))"
}
expect_out 1 "1|T|T|done|$RINGSCAN ${QARGS[*]} --sqlite q.db
2|T|T|done|$RINGSCAN ${QARGS[*]} --sqlite q.db"
expect_out 2 "127.0.0.1|22,80
127.0.0.2|443
127.0.0.3|8080"
expect_out 3 "127.0.0.1|T
127.0.0.2|T"
expect_out 4 "127.0.0.2|22|tcp|open|
127.0.0.3|8080|tcp||open"
exit 0
