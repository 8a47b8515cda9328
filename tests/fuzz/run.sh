#!/usr/bin/env bash
#
# run.sh SECS - run every libFuzzer harness in $FUZZ_BUILD (build/fuzz)
# for SECS seconds each, one after the other (the machine is shared: one
# fuzzer at a time, one process each).  Each starts from its seed corpus
# in tests/fuzz/corpus/NAME/ and adds what it finds to a scratch corpus
# in $FUZZ_BUILD/corpus/NAME/, which later runs resume from; the seeds in
# the tree are only ever read.  A crash, leak, timeout or out-of-memory
# leaves its input in $FUZZ_BUILD/artifacts/ and fails the run; every
# harness still runs, and the summary names each one that failed.

set -uo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-10}
build=${FUZZ_BUILD:-build/fuzz}
case $secs in
'' | *[!0-9]*)
	echo "run.sh: SECS must be a whole number of seconds" >&2
	exit 2
	;;
esac

failed=()
ran=0
mkdir -p "$build/artifacts"
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$build/$name
	seeds=tests/fuzz/corpus/${name#fuzz_}
	work=$build/corpus/${name#fuzz_}
	log=$build/$name.log
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin missing (make fuzz)" >&2
		failed+=("$name")
		continue
	fi
	mkdir -p "$work"
	# -rss_limit_mb: libFuzzer's default; ASan's quarantine and the
	# corpus alone reach ~500 MB in a minute, a parser's leak goes past.
	# -timeout: ten seconds for one input is a hang for these parsers.
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "  FUZZ    $name: ${runs:-?} runs, ok"
	else
		echo "  FUZZ    $name: FAILED (see $log)"
		grep -m5 -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/          /'
		failed+=("$name")
	fi
	ran=$((ran + 1))
done

if [ "${#failed[@]}" != 0 ]; then
	echo "fuzz: ${#failed[@]} of $ran harnesses failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: $ran harnesses, ${secs}s each, no findings"
