#!/usr/bin/env bash
# t_killed: a scan killed with SIGKILL at random points - nothing gets to
# flush or clean up - leaves CSV and JSON files whose every line is a whole
# row, but for one case the kernel allows: a kill during the one write that
# crosses a page of the file may leave that row cut at the page boundary
# (the file's size a multiple of 4096), and then `ringscan merge` drops it
# with one warning.  Anything else - a cut elsewhere, a bad line inside, a
# warning for a whole file - fails.  Every whole row is merged.  Then
# merge's side: a file that does end mid-row (as a killed older ringscan,
# or a short write, leaves it) is merged with one warning line for the cut
# row, not refused; a whole last row without its newline is kept.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

tb_netns kill
tb_listen kill "127.0.0.1:22 127.0.0.1:8080"
ROUNDS=${KILL_ROUNDS:-8}
CSV_ROW='^127\.0\.0\.1,[0-9]+,tcp,(open|closed|filtered),[^,]*,[a-z-]+,[0-9.]*,$'
JSON_ROW='^\{"host":"127\.0\.0\.1","port":[0-9]+,"proto":"tcp","state":"(open|closed|filtered)","service":"[^"]*","reason":"[a-z-]+","rtt_ms":([0-9.]+|null)\}$'

# whole FILE REGEX [HEADER]: every line of the file is a whole row (after
# the header, if given), but for a last line cut exactly at a page boundary
# of the file, which is left out.  Prints the whole lines' count and
# whether the file ends cut ("N cut" or "N whole").
whole()
{
	local file=$1 re=$2 header=${3:-} bad size end=whole body
	[ -s "$file" ] || { echo "0 whole"; return 0; }
	body=$TB_TMP/whole.body
	cp "$file" "$body"
	if [ "$(tail -c 1 "$file" | od -An -c | tr -d ' ')" != '\n' ]; then
		size=$(stat -c %s "$file")
		[ $((size % 4096)) = 0 ] || {
			echo "$file ends mid-row at byte $size, not at a page boundary: $(tail -c 80 "$file")" >&2
			return 1
		}
		end='cut'
		# The cut row goes; what is left must be whole rows.
		head -c "$(($(wc -c <"$file") - $(tail -n 1 "$file" | wc -c)))" "$file" >"$body"
	fi
	if [ -n "$header" ] && [ -s "$body" ]; then
		[ "$(head -n 1 "$body")" = "$header" ] ||
			{ echo "$file: bad header" >&2; return 1; }
		bad=$(tail -n +2 "$body" | grep -Evc -- "$re" || true)
	else
		bad=$(grep -Evc -- "$re" "$body" || true)
	fi
	[ "$bad" = 0 ] || {
		echo "$file: $bad lines are not whole rows" >&2
		grep -Ev -- "$re" "$body" | grep -v "^$header\$" | head -n 3 >&2
		return 1
	}
	echo "$(wc -l <"$body") $end"
}

total=0
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$TB_TMP/k.csv" "$TB_TMP/k.json"
	# A random moment in the scan's first 1.4 s (a whole scan takes
	# about 1.5 s here); slower machines just get killed earlier in it.
	delay=$(printf '0.%03d' $((RANDOM % 1000)))
	delay=$(awk -v d="$delay" 'BEGIN { printf "%.3f", 0.05 + d * 1.35 }')
	tb_bg kill "$RINGSCAN" -p 1-65535 --states open,closed,filtered \
		--seed "$round" -oC "$TB_TMP/k.csv" -oJ "$TB_TMP/k.json" \
		127.0.0.1
	pid=$TB_LASTPID
	sleep "$delay"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	[ -e "$TB_TMP/k.csv" ] || { tb_log "round $round: killed before the files existed (${delay}s)"; continue; }
	read -r nc cend < <(whole "$TB_TMP/k.csv" "$CSV_ROW" "$TB_CSV_HEADER" ||
		echo bad)
	if [ "$nc" = bad ]; then
		tb_fail "round $round (SIGKILL after ${delay}s): CSV has a bad row"
	fi
	read -r nj jend < <(whole "$TB_TMP/k.json" "$JSON_ROW" || echo bad)
	if [ "$nj" = bad ]; then
		tb_fail "round $round (SIGKILL after ${delay}s): JSON has a bad row"
	fi
	rc=0
	tb_rs kill merge -oC "$TB_TMP/m.csv" "$TB_TMP/k.csv" "$TB_TMP/k.json" \
		>"$TB_TMP/mout" 2>"$TB_TMP/merr" || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/merr"; tb_fail "round $round: merge exited $rc"; }
	# One warning per file cut at its page boundary, naming the file;
	# none for a whole file.
	for f in csv json; do
		end=$cend
		[ $f = json ] && end=$jend
		nw=$(grep -c "warning: '$TB_TMP/k.$f' line [0-9]*: the last line is cut short" "$TB_TMP/merr" || true)
		want=0
		if [ "$end" = cut ]; then want=1; fi
		[ "$nw" = "$want" ] || {
			cat "$TB_TMP/merr"
			tb_fail "round $round: merge gave $nw warnings for k.$f, which ends $end"
		}
		if [ "$end" = cut ]; then
			tb_log "round $round: k.$f was cut at its page boundary, as a kill inside a write may"
		fi
	done
	[ "$(grep -c warning "$TB_TMP/merr" || true)" = \
		"$( (grep -c "the last line is cut short" "$TB_TMP/merr" || true) )" ] ||
		{ cat "$TB_TMP/merr"; tb_fail "round $round: merge warned about something else"; }
	# Every row of both files made it into the merge (the union: the CSV
	# and JSON rows are the same probes, one file may be a batch ahead).
	nm=$(($(wc -l <"$TB_TMP/m.csv") - 1))
	nc=$((nc > 0 ? nc - 1 : 0))
	want=$((nc > nj ? nc : nj))
	[ "$nm" = "$want" ] ||
		tb_fail "round $round: merged $nm rows from $nc CSV and $nj JSON rows"
	tb_log "round $round: SIGKILL after ${delay}s: $nc CSV and $nj JSON rows, all whole, all merged"
	total=$((total + nc))
done
[ "$total" -gt 0 ] || tb_fail "no round was killed after writing any row"

tb_log "merge: a file cut mid-row by an older writer"
{
	echo 'host,port,proto,state,service,reason,rtt_ms'
	echo "127.0.0.1,22,tcp,open,ssh,syn-ack,0.042"
	echo "127.0.0.1,23,tcp,closed,telnet,conn-refused,0.040"
	printf '127.0.0.1,24,tcp,clo'
} >"$TB_TMP/cut.csv"
{
	echo '{"host":"127.0.0.1","port":80,"proto":"tcp","state":"open","service":"http","reason":"syn-ack","rtt_ms":0.042}'
	printf '{"host":"127.0.0.1","port":81,"proto":"tcp","sta'
} >"$TB_TMP/cut.json"
{
	echo 'host,port,proto,state,service,reason,rtt_ms'
	printf '127.0.0.1,25,tcp,open,smtp,syn-ack,0.042'
} >"$TB_TMP/nonl.csv"
rc=0
tb_rs kill merge -oC "$TB_TMP/cm.csv" "$TB_TMP/cut.csv" "$TB_TMP/cut.json" \
	"$TB_TMP/nonl.csv" >"$TB_TMP/mout" 2>"$TB_TMP/merr" || rc=$?
cat "$TB_TMP/merr"
[ "$rc" = 0 ] || tb_fail "merge of cut files exited $rc, want 0"
[ "$(grep -c 'warning' "$TB_TMP/merr")" = 2 ] ||
	tb_fail "want one warning per cut file"
grep -q "cut.csv' line 4" "$TB_TMP/merr" || tb_fail "CSV warning does not name line 4"
grep -q "cut.json' line 2" "$TB_TMP/merr" || tb_fail "JSON warning does not name line 2"
ports=$(tail -n +2 "$TB_TMP/cm.csv" | cut -d, -f2 | sort -n | tr '\n' ' ')
[ "$ports" = "22 23 25 80 " ] ||
	tb_fail "merged ports '$ports', want '22 23 25 80 '"
exit 0
