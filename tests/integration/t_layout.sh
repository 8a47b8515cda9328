#!/usr/bin/env bash
# t_layout: the direction of calls in src/README.md holds.  Every module
# (src/DIR/NAME.c and its contract include/NAME.h) may include only the
# headers of its own folder and of the folders the map lets it call, so a
# new include that turns the layering around fails here, not in a review.
# A header is owned by the folder of the .c with its name; the few
# headers without one are listed below, and a new one must be added.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1

# folder: the folders it may call besides itself
declare -A MAY=(
	[lib]=""
	[results]="lib"
	[syn]="lib scan:engine scan:scheduler"
	[scan]="lib results syn"
	[audit]="lib results scan"
	[cli]="lib results scan syn audit"
)
# headers with no .c of their own
declare -A OWNER=([clock]=lib [link]=syn [mix]=lib [outwriter]=results
	[version]=lib [xdp_scan]=syn)

fail=0
for c in src/*/*.c; do
	case $c in *.bpf.c) continue ;; esac
	d=$(basename "$(dirname "$c")")
	OWNER[$(basename "$c" .c)]=$d
	[ -n "${MAY[$d]+x}" ] || {
		echo "FAIL: $c: folder $d is not in the map (src/README.md, MAY here)"
		fail=1
	}
done

checked=0
for c in src/*/*.c; do
	case $c in *.bpf.c) continue ;; esac
	d=$(basename "$(dirname "$c")")
	m=$(basename "$c" .c)
	for f in "$c" "include/$m.h"; do
		[ -f "$f" ] || continue
		checked=$((checked + 1))
		for h in $(sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f"); do
			# Generated at build time (build/gen): not a module.
			[ -f "include/$h.h" ] || continue
			o=${OWNER[$h]:-}
			if [ -z "$o" ]; then
				echo "FAIL: $f includes $h.h, which no folder owns"
				fail=1
				continue
			fi
			[ "$o" = "$d" ] && continue
			ok=0
			for a in ${MAY[$d]}; do
				[ "$a" = "$o" ] || [ "$a" = "$o:$h" ] && ok=1
			done
			if [ "$ok" = 0 ]; then
				echo "FAIL: $f ($d/) includes $h.h ($o/): $d/ may call only: ${MAY[$d]:-nothing}"
				fail=1
			fi
		done
	done
done
[ "$checked" -gt 40 ] || { echo "FAIL: only $checked files checked"; exit 1; }
echo "$checked files checked"
exit $fail
