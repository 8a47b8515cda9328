#!/usr/bin/env bash
# t_merge: `ringscan merge` of three shards gives what one process scanning
# the whole space gives (127.0.0.1-4 x 1-200: listeners, closed ports, SYN
# drops; every state written):
#   - shard CSVs (OUT named by extension, and CSV on stdout), shard JSON
#     lines, and a mix of the two: the same rows as the single scan;
#   - shard checkpoints: the same CSV rows, and -oX/-oN/-oG reports with the
#     same ports and states (XML well-formed, and valid against nmap.dtd
#     when xmllint and the DTD are there); reports from complete rows too;
#   - rows of open ports only cannot make a report: refused, nothing written;
#   - two inputs disagreeing: every disagreement named (20, then a count),
#     the first input's answer kept, exit 0;
#   - a bad row, a truncated or foreign checkpoint, a checkpoint mixed with
#     a CSV, an unknown output extension: exit 1 naming the file (and line);
#   - an interrupted shard: the merge is "incomplete", its rows are exactly
#     the rows the shards had streamed, its reports say so; after --resume
#     finishes the shard, the merge is complete and true.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

HOSTS=127.0.0.1-4
PORTS=1-200
SEED=99
FAST=(--timeout 100 --retries 1)
ALL=open,closed,filtered
T=$TB_TMP
# merge runs in $T (short names in messages): the binary by absolute path.
RS_ABS=$(cd "$(dirname "$RINGSCAN")" && pwd)/$(basename "$RINGSCAN")

tb_netns mg
tb_listen mg "127.0.0.1:22 127.0.0.2:80 127.0.0.4:199 0.0.0.0:150"
tb_filter mg "127.0.0.3:40-42 127.0.0.1:7"
tb_truth mg "$HOSTS" "$PORTS" >"$T/truth"

# rs ARGS...: the scanner in the namespace; fails the test unless it exits 0.
rs()
{
	local rc=0
	tb_rs mg "$@" >"$T/rs.out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$T/rs.out"; tb_fail "ringscan $* exited $rc"; }
}

# merge WANT_RC ARGS...: ringscan merge (runs outside the namespace: it
# sends nothing); stderr in $T/merge.err, stdout in $T/merge.out.
merge()
{
	local want=$1 rc=0
	shift
	(cd "$T" && "$RS_ABS" merge "$@") >"$T/merge.out" 2>"$T/merge.err" || rc=$?
	[ "$rc" = "$want" ] || {
		cat "$T/merge.err"
		tb_fail "ringscan merge $* exited $rc, want $want"
	}
}

# same_rows WANT_CSV GOT_CSV WHAT
same_rows()
{
	tb_csv_rows "$1" >"$T/want.rows"
	tb_csv_rows "$2" >"$T/got.rows"
	tb_diff "$T/want.rows" "$T/got.rows" "$3" || tb_fail "$3 differ"
}

# Report text without the lines that carry times or command lines.
report_body()
{
	grep -Ev '^(#|Starting ringscan|ringscan done)' "$1"
}

tb_log "single scan and 3 shards of $HOSTS x $PORTS, seed $SEED"
rs --seed "$SEED" -p "$PORTS" "${FAST[@]}" --states "$ALL" -oC "$T/single.csv" \
	-oX "$T/single.xml" -oN "$T/single.nmap" -oG "$T/single.gnmap" "$HOSTS"
tb_compare "$T/truth" "$T/single.csv" || tb_fail "the single scan is wrong"
pids=
for k in 1 2 3; do
	tb_rs mg --seed "$SEED" -p "$PORTS" "${FAST[@]}" --states "$ALL" --shards "$k/3" \
		-oC "$T/s$k.csv" -oJ "$T/s$k.jsonl" --checkpoint "$T/s$k.ckpt" \
		"$HOSTS" >"$T/s$k.out" 2>&1 &
	pids="$pids $!"
done
k=0
for pid in $pids; do
	k=$((k + 1))
	wait "$pid" || { cat "$T/s$k.out"; tb_fail "shard $k/3 failed"; }
	[ -s "$T/s$k.ckpt" ] || tb_fail "shard $k/3 left no checkpoint"
done

tb_log "merge of CSV, JSON and mixed rows"
merge 0 merged.csv s1.csv s2.csv s3.csv
same_rows "$T/single.csv" "$T/merged.csv" "rows merged from CSV (OUT by name)"
grep -q '3 inputs, 800 rows' "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "no summary line on stderr"; }
merge 0 s3.csv s1.csv s2.csv
cp "$T/merge.out" "$T/stdout.csv"
same_rows "$T/single.csv" "$T/stdout.csv" "rows merged from CSV (stdout)"
merge 0 -oJ mj.jsonl -oC mj.csv s1.jsonl s2.jsonl s3.jsonl
same_rows "$T/single.csv" "$T/mj.csv" "rows merged from JSON lines"
merge 0 mj2.csv mj.jsonl
same_rows "$T/single.csv" "$T/mj2.csv" "rows of the merged JSON read back"
merge 0 -oC mixed.csv s1.jsonl s2.csv s3.jsonl
same_rows "$T/single.csv" "$T/mixed.csv" "rows merged from CSV and JSON"
merge 0 -oC rtt.csv s1.csv
cmp -s <(tail -n +2 "$T/s1.csv" | LC_ALL=C sort) \
	<(tail -n +2 "$T/rtt.csv" | LC_ALL=C sort) ||
	tb_fail "a merge of one CSV is not that CSV (reasons or round trips lost)"
tb_log "  ok: one CSV merged alone keeps every field"

tb_log "merge of checkpoints, with reports"
merge 0 -oC mc.csv -oX mc.xml -oN mc.nmap -oG mc.gnmap s1.ckpt s2.ckpt s3.ckpt
grep -q 'scan, complete:' "$T/merge.err" || { cat "$T/merge.err"; tb_fail "not called complete"; }
same_rows "$T/single.csv" "$T/mc.csv" "rows merged from checkpoints"
tb_nmap_rows "$T/single.xml" >"$T/single.xrows"
tb_nmap_rows "$T/mc.xml" >"$T/mc.xrows"
[ -s "$T/mc.xrows" ] || tb_fail "no ports in the merged XML"
tb_diff "$T/single.xrows" "$T/mc.xrows" "XML ports from checkpoints" ||
	tb_fail "XML report from checkpoints differs from the single scan's"
if command -v xmllint >/dev/null 2>&1; then
	xmllint --noout "$T/mc.xml" || tb_fail "merged XML is not well-formed"
	for dtd in /usr/share/nmap/nmap.dtd /usr/local/share/nmap/nmap.dtd; do
		if [ -f "$dtd" ]; then
			xmllint --noout --dtdvalid "$dtd" "$T/mc.xml" ||
				tb_fail "merged XML is not valid against $dtd"
			tb_log "  ok: merged XML valid against $dtd"
			break
		fi
	done
else
	tb_log "  (xmllint not installed: XML not validated)"
fi
cmp -s <(report_body "$T/single.nmap") <(report_body "$T/mc.nmap") || {
	diff <(report_body "$T/single.nmap") <(report_body "$T/mc.nmap") | head -n 20
	tb_fail "text report from checkpoints differs from the single scan's"
}
cmp -s <(grep '^Host:' "$T/single.gnmap") <(grep '^Host:' "$T/mc.gnmap") ||
	tb_fail "grepable report from checkpoints differs from the single scan's"
tb_log "  ok: text and grepable reports equal the single scan's"
merge 0 -oX mr.xml -oN mr.nmap s1.csv s2.jsonl s3.csv
tb_nmap_rows "$T/mr.xml" >"$T/mr.xrows"
tb_diff "$T/single.xrows" "$T/mr.xrows" "XML ports from complete rows" ||
	tb_fail "XML report from rows differs from the single scan's"
cmp -s <(report_body "$T/single.nmap") <(report_body "$T/mr.nmap") ||
	tb_fail "text report from rows differs from the single scan's"

tb_log "rows of open ports only: CSV yes, reports no"
for k in 1 2 3; do
	rs --seed "$SEED" -p "$PORTS" "${FAST[@]}" --shards "$k/3" -oC "$T/o$k.csv" "$HOSTS"
done
merge 0 -oC open.csv o1.csv o2.csv o3.csv
grep ',open$' "$T/truth" >"$T/want.open"
tb_csv_rows "$T/open.csv" >"$T/got.open"
tb_diff "$T/want.open" "$T/got.open" "open rows merged" || tb_fail "open rows differ"
merge 1 -oX refused.xml o1.csv o2.csv o3.csv
grep -q -- '--states open,closed,filtered' "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "the refusal does not say how to get a report"; }
[ ! -e "$T/refused.xml" ] || tb_fail "a refused report still created its file"
tb_log "  ok: refused: $(cat "$T/merge.err")"

tb_log "disagreements"
# b.csv: 127.0.0.1:22 open -> closed, and the first 25 closed rows -> open.
awk -F, -v OFS=, '
	NR > 1 && $1 == "127.0.0.1" && $2 == 22 { $4 = "closed" }
	NR > 1 && $4 == "closed" && n < 25 && !($1 == "127.0.0.1" && $2 == 22) { $4 = "open"; n++ }
	{ print }' "$T/single.csv" >"$T/b.csv"
cp "$T/single.csv" "$T/a.csv"
merge 0 -oC ab.csv a.csv b.csv
same_rows "$T/a.csv" "$T/ab.csv" "rows kept from the first input (a, b)"
grep -q "127.0.0.1 22/tcp: closed in 'b.csv'; keeping open" "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "the 127.0.0.1:22 disagreement is not named"; }
named=$(grep -c "; keeping " "$T/merge.err")
[ "$named" = 20 ] || { cat "$T/merge.err"; tb_fail "$named disagreements named, want 20"; }
grep -q 'and 6 more disagreements' "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "the 6 unnamed disagreements are not counted"; }
grep -q '26 disagreements' "$T/merge.err" || tb_fail "no disagreement total"
merge 0 -oC ba.csv b.csv a.csv
same_rows "$T/b.csv" "$T/ba.csv" "rows kept from the first input (b, a)"
tb_log "  ok: 26 disagreements, 20 named, first input kept"

tb_log "bad inputs"
{
	head -n 2 "$T/single.csv"
	echo '127.0.0.1,99999,tcp,open,,syn-ack,'
} >"$T/bad.csv"
merge 1 -oC x.csv s1.csv bad.csv
grep -q "'bad.csv' line 3" "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "bad row not named by file and line"; }
tb_log "  ok: $(cat "$T/merge.err")"
head -c 100 "$T/s2.ckpt" >"$T/trunc.ckpt"
merge 1 -oC x.csv s1.ckpt trunc.ckpt
grep -q "'trunc.ckpt'" "$T/merge.err" || { cat "$T/merge.err"; tb_fail "truncated checkpoint not named"; }
tb_log "  ok: $(cat "$T/merge.err")"
rs --seed 1 -p "$PORTS" "${FAST[@]}" --shards 2/3 --checkpoint "$T/other.ckpt" -oC "$T/other.csv" "$HOSTS"
merge 1 -oC x.csv s1.ckpt other.ckpt s3.ckpt
grep -q "'other.ckpt' is not a shard of the same scan" "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "a foreign checkpoint not named"; }
merge 1 -oC x.csv s1.ckpt s2.csv
grep -q "s2.csv" "$T/merge.err" || { cat "$T/merge.err"; tb_fail "mixed inputs not named"; }
merge 1 merged.foo s1.csv
grep -q "extension" "$T/merge.err" || { cat "$T/merge.err"; tb_fail "unknown extension not explained"; }
merge 1 -oC x.csv s1.csv missing.csv
grep -q "missing.csv" "$T/merge.err" || tb_fail "missing input not named"
tb_log "  ok: truncated, foreign, mixed, unknown extension, missing"

tb_log "an interrupted shard, merged, then resumed and merged again"
P2=1-400
H2=127.0.0.1-2
tb_truth mg "$H2" "$P2" >"$T/truth2"
rs --seed 5 -p "$P2" "${FAST[@]}" --states "$ALL" --shards 2/2 -oC "$T/i2.csv" \
	--checkpoint "$T/i2.ckpt" "$H2"
# Background jobs of a script start with SIGINT ignored; give it back.
env --default-signal=INT ip netns exec "$(tb_nsname mg)" "$RINGSCAN" \
	--seed 5 -p "$P2" "${FAST[@]}" --states "$ALL" --shards 1/2 --rate 200 \
	-oC "$T/i1.csv" --checkpoint "$T/i1.ckpt" "$H2" >"$T/i1.out" 2>&1 &
pid=$!
TB_PIDS="$TB_PIDS $pid"
# Its 400 probes take 2 s at 200/s: stop it once its first rows are out.
tb_wait_rows "$T/i1.csv" 1 "$pid"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 130 ] || { cat "$T/i1.out"; tb_fail "interrupted shard exited $rc, want 130"; }
merge 0 -oC mi.csv -oX mi.xml -oN mi.nmap i1.ckpt i2.ckpt
grep -q 'incomplete (missing or unfinished: 1/2)' "$T/merge.err" ||
	{ cat "$T/merge.err"; tb_fail "the merge is not called incomplete"; }
cat "$T/i1.csv" >"$T/i12.csv"
tail -n +2 "$T/i2.csv" >>"$T/i12.csv"
n1=$(($(wc -l <"$T/i1.csv") - 1))
if [ "$n1" -le 0 ] || [ "$n1" -ge 400 ]; then
	tb_fail "interrupted shard has $n1 rows, want some of its 400"
fi
same_rows "$T/i12.csv" "$T/mi.csv" "rows of an interrupted merge"
grep -q 'errormsg="interrupted"' "$T/mi.xml" || tb_fail "XML of an incomplete merge not marked"
grep -q 'Scan interrupted' "$T/mi.nmap" || tb_fail "text of an incomplete merge not marked"
rs --resume "$T/i1.ckpt"
merge 0 -oC mf.csv i1.ckpt i2.ckpt
grep -q 'scan, complete:' "$T/merge.err" || { cat "$T/merge.err"; tb_fail "not complete after --resume"; }
tb_compare "$T/truth2" "$T/mf.csv" || tb_fail "the merge after --resume is not the truth"
exit 0
