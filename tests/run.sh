#!/usr/bin/env bash
#
# run.sh - ringscan's test runner.
#
#   BUILD=build tests/run.sh [unit|integration]     (default: both)
#
# Unit tests are the cmocka binaries $BUILD/tests/*/test_* built from
# tests/unit/SUBSYSTEM/test_*.c; each test case in
# them counts once, from cmocka's closing "[  PASSED  ] N test(s)." /
# "[  FAILED  ] N test(s)" / "[  SKIPPED ] N test(s)" lines.  A binary that
# exits non-zero without reporting a failed case (a crash, a sanitizer
# report, a timeout) counts as one more failure.  Integration tests are the
# scripts tests/integration/t_*.sh, one test each: exit 0 passes, 77 skips
# (the script prints why), anything else fails.  They get RINGSCAN and
# HELPERS in the environment and run one at a time, each bounded by a
# timeout so a hang fails that test instead of the suite.
#
# Every test's name and result is printed, with the whole output of the
# failing ones; the last line is "N passed, N failed, N skipped".  The exit
# status is non-zero if anything failed or if no test ran at all.
#
# A skip is counted as a skip, never as a pass, and prints why.  Strict
# mode turns every skip into a failure, so a machine that lost a kernel
# feature or the testbed (no namespaces) cannot keep the suite green:
# RINGSCAN_TEST_STRICT=1 sets it (CI does), and so does running as root
# where network namespaces work (=0 turns it off).  A passing test that
# ran with reduced coverage says so on a line starting "NOTE:"; those
# lines are repeated under its name and once more before the summary.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD="$ROOT/$BUILD" ;;
esac
MODE=${1:-all}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
INTEGRATION_TIMEOUT=${INTEGRATION_TIMEOUT:-150}

case $MODE in
all | unit | integration) ;;
*)
	echo "usage: BUILD=build tests/run.sh [unit|integration]" >&2
	exit 2
	;;
esac

passed=0
failed=0
skipped=0
failed_names=
notes=

# Strict by default only where the whole testbed should work.
STRICT=${RINGSCAN_TEST_STRICT:-}
if [ -z "$STRICT" ]; then
	STRICT=0
	if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
		STRICT=1
	fi
fi

LOG=$(mktemp "/tmp/ringscan-test.XXXXXX")
child=
trap 'rm -f "$LOG"' EXIT

# Interrupted: stop the running test (timeout passes the signal on to the
# script, whose trap deletes its namespaces) and say so.
# shellcheck disable=SC2317 # reached through the trap
on_signal()
{
	if [ -n "$child" ]; then
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	echo "interrupted"
	exit 130
}
trap on_signal INT TERM

show_log()
{
	sed 's/^/    | /' "$LOG"
}

# A passing test's "NOTE:" lines (reduced coverage), under its name and
# kept for the end.
note_lines()
{
	local line

	while IFS= read -r line; do
		echo "         $line"
		notes="$notes
  $1: ${line#NOTE: }"
	done < <(grep '^NOTE:' "$LOG")
}

# Sum cmocka's "[  TAG  ] N test(s)" lines over every group in the log.
cmocka_count()
{
	awk -v tag="$1" '
	{
		line = $0
		if (index(line, "[  " tag) != 1) next
		sub(/^\[[^]]*\][ \t]*/, "", line)
		if (line ~ /^[0-9]+ test\(s\)/) { split(line, w, " "); n += w[1] }
	}
	END { print n + 0 }' "$LOG"
}

run_unit()
{
	local src bin name rc p f s crash any=0

	echo "== unit tests ($BUILD/tests)"
	# The sources name the tests, so a binary left in $BUILD by a test
	# that was renamed or removed never runs, and a test that failed to
	# build fails instead of vanishing from the count.
	for src in tests/unit/*/test_*.c; do
		name=$(basename "$src" .c)
		bin=${src#tests/unit/}
		bin="$BUILD/tests/${bin%.c}"
		any=1
		if [ ! -x "$bin" ]; then
			echo "  FAIL   $name: not built ($bin missing; run make tests)"
			failed=$((failed + 1))
			failed_names="$failed_names $name"
			continue
		fi
		rc=0
		timeout -k 5 "$UNIT_TIMEOUT" "$bin" >"$LOG" 2>&1 </dev/null || rc=$?
		p=$(cmocka_count PASSED)
		f=$(cmocka_count FAILED)
		s=$(cmocka_count SKIPPED)
		crash=
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			# Crashed, hung or failed outside any test case.
			f=1
			crash=" (exit $rc with no failed case: crash, timeout or sanitizer)"
		fi
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		if [ "$STRICT" = 1 ] && [ "$s" != 0 ]; then
			# cmocka prints "[  SKIPPED ] name" for each.
			failed=$((failed + s))
			skipped=$((skipped - s))
			[ "$f" != 0 ] || crash="$crash (strict: skips fail)"
		fi
		if [ "$f" != 0 ] || { [ "$STRICT" = 1 ] && [ "$s" != 0 ]; }; then
			echo "  FAIL   $name: $p passed, $f failed, $s skipped$crash"
			show_log
			failed_names="$failed_names $name"
		elif [ "$p" = 0 ] && [ "$s" = 0 ]; then
			echo "  FAIL   $name: no test case ran"
			show_log
			failed=$((failed + 1))
			failed_names="$failed_names $name"
		else
			if [ "$s" != 0 ]; then
				echo "  PASS   $name: $p passed, $s skipped"
			else
				echo "  PASS   $name: $p passed"
			fi
		fi
	done
	[ "$any" = 1 ] || echo "  (no unit test binaries in $BUILD/tests)"
}

# Delete namespaces left by a test that was killed before its trap ran:
# lib.sh names them rstest-PID-*, and a dead PID means nobody owns them.
sweep_namespaces()
{
	local ns pid p
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		case $ns in rstest-[0-9]*-*) ;; *) continue ;; esac
		pid=${ns#rstest-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns delete "$ns" 2>/dev/null &&
			echo "         (removed stale namespace $ns)"
	done
}

run_integration()
{
	local t name rc start secs any=0

	echo "== integration tests (tests/integration)"
	export RINGSCAN="$BUILD/ringscan"
	export HELPERS="$BUILD/helpers"
	sweep_namespaces
	for t in "$ROOT"/tests/integration/t_*.sh; do
		[ -f "$t" ] || continue
		any=1
		name=$(basename "$t" .sh)
		rc=0
		start=$(date +%s)
		# In the background so that an INT/TERM to the runner is
		# handled now (see on_signal), not after the test ends.
		timeout -k 10 "$INTEGRATION_TIMEOUT" bash "$t" >"$LOG" 2>&1 \
			</dev/null &
		child=$!
		wait "$child" || rc=$?
		child=
		secs=$(($(date +%s) - start))
		case $rc in
		0)
			echo "  PASS   $name (${secs}s)"
			passed=$((passed + 1))
			note_lines "$name"
			;;
		77)
			why=$(grep -m1 '^SKIP' "$LOG" || tail -n1 "$LOG")
			if [ "$STRICT" = 1 ]; then
				echo "  FAIL   $name: skipped in strict mode ($why)"
				failed=$((failed + 1))
				failed_names="$failed_names $name"
			else
				echo "  SKIP   $name: $why"
				skipped=$((skipped + 1))
			fi
			;;
		*)
			if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
				echo "  FAIL   $name: timed out after ${secs}s"
			else
				echo "  FAIL   $name (exit $rc, ${secs}s)"
			fi
			show_log
			failed=$((failed + 1))
			failed_names="$failed_names $name"
			;;
		esac
		sweep_namespaces
	done
	[ "$any" = 1 ] || echo "  (no integration tests)"
}

if [ "$STRICT" = 1 ]; then
	echo "strict: a skipped test counts as failed (RINGSCAN_TEST_STRICT=0 to allow skips)"
fi
case $MODE in
all)
	run_unit
	run_integration
	;;
unit) run_unit ;;
integration) run_integration ;;
esac

if [ -n "$notes" ]; then
	echo "notes (reduced coverage):$notes"
fi
if [ -n "$failed_names" ]; then
	echo "failed:$failed_names"
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$failed" != 0 ]; then
	exit 1
fi
if [ $((passed + failed)) = 0 ]; then
	echo "no test ran" >&2
	exit 1
fi
exit 0
