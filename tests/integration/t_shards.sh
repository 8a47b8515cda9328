#!/usr/bin/env bash
# t_shards: N processes with --shards K/N (and zmap's --shards N --shard I)
# and one --seed cover exactly the space of one process, each probe once.
#   - real scans of 127.0.0.1-4 x 1-300 (listeners, closed ports and SYN
#     drops) for N = 1, 2, 3, 5, the shards running side by side: the union
#     of their CSV rows is exactly the single process's rows (and the
#     truth), and no (host, port) is in two shards; the zmap spelling too;
#   - --dry-run for N = 2, 3, 7: shard K/N sends exactly every N-th probe of
#     the unsharded order, starting at the K-th, so the shards are disjoint
#     and cover the space; --shards N --shard K-1 is the same shard;
#   - a space smaller than N (2 probes, 5 shards): two shards get one probe
#     each, the rest none, and their scans still write valid (empty) CSVs;
#   - shard numbers out of range are refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

HOSTS=127.0.0.1-4
PORTS=1-300
SEED=4242
# Filtered probes cost (retries + 1) timeouts; keep them short.
FAST=(--timeout 100 --retries 1)

tb_netns sh
tb_listen sh "127.0.0.1:22 127.0.0.2:80 127.0.0.3:200 0.0.0.0:150"
tb_filter sh "127.0.0.4:5 127.0.0.1:250-252 127.0.0.2:80"
tb_truth sh "$HOSTS" "$PORTS" >"$TB_TMP/truth"

# scan NAME ARGS...: one CSV scan of the whole test space into NAME.csv.
scan()
{
	local name=$1 rc=0
	shift
	tb_rs sh --seed "$SEED" -p "$PORTS" "${FAST[@]}" --states open,closed,filtered \
		-oC "$TB_TMP/$name.csv" "$@" "$HOSTS" >"$TB_TMP/$name.out" 2>&1 || rc=$?
	return $rc
}

tb_log "one process: ringscan --seed $SEED -p $PORTS ${FAST[*]} -oC single.csv $HOSTS"
scan single || { cat "$TB_TMP/single.out"; tb_fail "single scan failed"; }
tb_compare "$TB_TMP/truth" "$TB_TMP/single.csv" || tb_fail "single scan is wrong"
tb_csv_rows "$TB_TMP/single.csv" >"$TB_TMP/single.rows"

# shards N SPELLING: run the N shards side by side, check union and overlap.
shards()
{
	local n=$1 spelling=$2 k pids="" pid rc
	for k in $(seq 1 "$n"); do
		if [ "$spelling" = masscan ]; then
			scan "n$n.$spelling.$k" --shards "$k/$n" &
		else
			scan "n$n.$spelling.$k" --shards "$n" --shard "$((k - 1))" &
		fi
		pids="$pids $!"
	done
	k=0
	for pid in $pids; do
		k=$((k + 1))
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" = 0 ] || {
			cat "$TB_TMP/n$n.$spelling.$k.out"
			tb_fail "shard $k/$n ($spelling) exited $rc"
		}
	done
	: >"$TB_TMP/union"
	for k in $(seq 1 "$n"); do
		tb_csv_rows "$TB_TMP/n$n.$spelling.$k.csv" >"$TB_TMP/shard.rows"
		# Rows, not just the header: every shard of this space has work.
		[ -s "$TB_TMP/shard.rows" ] || tb_fail "shard $k/$n wrote no row"
		cat "$TB_TMP/shard.rows" >>"$TB_TMP/union"
	done
	dups=$(cut -d, -f1,2 "$TB_TMP/union" | sort | uniq -d | head -n 5)
	[ -z "$dups" ] || tb_fail "N=$n ($spelling): probes in two shards: $dups"
	tb_sort "$TB_TMP/union" >"$TB_TMP/union.sorted"
	tb_diff "$TB_TMP/single.rows" "$TB_TMP/union.sorted" \
		"rows of $n $spelling shards vs one process" ||
		tb_fail "N=$n ($spelling): the shards' union is not the single scan"
}

for n in 1 2 3 5; do
	tb_log "N=$n: ringscan --shards K/$n --seed $SEED ... (K = 1..$n, side by side)"
	shards "$n" masscan
done
tb_log "N=3: ringscan --shards 3 --shard I --seed $SEED ... (I = 0..2)"
shards 3 zmap

# --dry-run: the exact slices of the unsharded order.
tb_log "dry runs: shard K/N is every N-th probe of the single order"
tb_rs sh --dry-run --seed 7 -p 1-100 127.0.0.1-3 >"$TB_TMP/dry.all" ||
	tb_fail "unsharded --dry-run failed"
[ "$(wc -l <"$TB_TMP/dry.all")" = 300 ] || tb_fail "unsharded dry run is not 300 probes"
for n in 2 3 7; do
	: >"$TB_TMP/dry.union"
	for k in $(seq 1 "$n"); do
		tb_rs sh --dry-run --seed 7 -p 1-100 --shards "$k/$n" 127.0.0.1-3 \
			>"$TB_TMP/dry.$k" || tb_fail "--dry-run --shards $k/$n failed"
		awk -v n="$n" -v k="$k" '(NR - 1) % n == k - 1' "$TB_TMP/dry.all" \
			>"$TB_TMP/dry.want"
		cmp -s "$TB_TMP/dry.want" "$TB_TMP/dry.$k" || {
			diff "$TB_TMP/dry.want" "$TB_TMP/dry.$k" | head -n 10
			tb_fail "--shards $k/$n is not every $n-th probe from the $k-th"
		}
		tb_rs sh --dry-run --seed 7 -p 1-100 --shards "$n" --shard "$((k - 1))" \
			127.0.0.1-3 >"$TB_TMP/dry.z" || tb_fail "--shards $n --shard $((k - 1)) failed"
		cmp -s "$TB_TMP/dry.$k" "$TB_TMP/dry.z" ||
			tb_fail "--shards $n --shard $((k - 1)) differs from --shards $k/$n"
		cat "$TB_TMP/dry.$k" >>"$TB_TMP/dry.union"
	done
	LC_ALL=C sort "$TB_TMP/dry.union" >"$TB_TMP/dry.u"
	LC_ALL=C sort "$TB_TMP/dry.all" | cmp -s - "$TB_TMP/dry.u" ||
		tb_fail "N=$n dry-run shards do not cover the space exactly once"
	tb_log "  ok: N=$n, both spellings, 300 probes exactly once"
done

# Fewer probes than shards.
tb_log "2 probes, 5 shards"
: >"$TB_TMP/tiny.union"
: >"$TB_TMP/tiny.rows"
nonempty=0
for k in 1 2 3 4 5; do
	tb_rs sh --dry-run --seed 3 -p 22,80 --shards "$k/5" 127.0.0.1 \
		>"$TB_TMP/tiny.$k" || tb_fail "--dry-run --shards $k/5 of 2 probes failed"
	[ -s "$TB_TMP/tiny.$k" ] && nonempty=$((nonempty + 1))
	cat "$TB_TMP/tiny.$k" >>"$TB_TMP/tiny.union"
	tb_rs sh --seed 3 -p 22,80 --shards "$k/5" "${FAST[@]}" --states open,closed,filtered \
		-oC "$TB_TMP/tiny.$k.csv" 127.0.0.1 >"$TB_TMP/tiny.out" 2>&1 ||
		{ cat "$TB_TMP/tiny.out"; tb_fail "scan --shards $k/5 of 2 probes failed"; }
	tb_csv_rows "$TB_TMP/tiny.$k.csv" >>"$TB_TMP/tiny.rows"
done
[ "$nonempty" = 2 ] || tb_fail "$nonempty of 5 shards got probes, want 2"
printf '127.0.0.1 22\n127.0.0.1 80\n' >"$TB_TMP/tiny.want"
LC_ALL=C sort "$TB_TMP/tiny.union" | cmp -s "$TB_TMP/tiny.want" - ||
	tb_fail "the 5 shards do not cover 127.0.0.1:22,80 exactly once"
printf '127.0.0.1,22,open\n127.0.0.1,80,closed\n' >"$TB_TMP/tiny.truth"
tb_sort "$TB_TMP/tiny.rows" >"$TB_TMP/tiny.got"
tb_diff "$TB_TMP/tiny.truth" "$TB_TMP/tiny.got" "rows of 5 shards of 2 probes" ||
	tb_fail "the 5 tiny shards' rows are wrong"

# Out of range.
for bad in "--shards 0/3" "--shards 4/3" "--shards 3 --shard 3" \
	"--shard 1 --shards 2/3" "--shards 2/3 --shard 1"; do
	rc=0
	# shellcheck disable=SC2086 # bad is a list of options
	tb_rs sh --dry-run --seed 3 $bad -p 1 127.0.0.1 >/dev/null 2>"$TB_TMP/bad.err" || rc=$?
	[ "$rc" = 1 ] || tb_fail "'$bad' exited $rc, want 1"
	[ -s "$TB_TMP/bad.err" ] || tb_fail "'$bad' refused without a message"
done
tb_log "  ok: out-of-range shards refused"

# Without a shared seed each shard would draw its own order: refused.
rc=0
tb_rs sh --dry-run --shards 1/2 -p 1 127.0.0.1 >/dev/null 2>"$TB_TMP/noseed.err" || rc=$?
[ "$rc" = 1 ] && grep -q -- --seed "$TB_TMP/noseed.err" ||
	tb_fail "--shards without --seed: exit $rc, want 1 with a word about --seed"

# One shard's own text report must not call the other shards' ports
# filtered: it says which part it covers.
tb_rs sh --seed 3 -p 1-200 --shards 1/2 127.0.0.1 >"$TB_TMP/part.txt" 2>&1 ||
	tb_fail "shard 1/2 scan failed"
grep -q "This is shard 1 of 2" "$TB_TMP/part.txt" ||
	{ cat "$TB_TMP/part.txt"; tb_fail "a shard's report does not say it is one shard"; }
if grep -q "filtered" "$TB_TMP/part.txt"; then
	cat "$TB_TMP/part.txt"
	tb_fail "a shard's report calls unprobed ports filtered"
fi
tb_log "  ok: a shard's own report says it is partial"
exit 0
