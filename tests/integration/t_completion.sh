#!/usr/bin/env bash
# t_completion: the bash completion (docs/completion/ringscan) completes
# subcommands, options, file names and choices, for the CLI that exists.
#
# The completion is sourced into a bash and its function called as bash
# would call it (COMP_WORDS, COMP_CWORD set; COMPREPLY read back), with
# the binary under test as the command word.
#
# What is asserted, and why:
#   - "ringscan <TAB>" offers the subcommands audit and merge;
#   - "ringscan -<TAB>" offers every option that `ringscan --help` lists
#     in its columns, read here independently of the completion's own
#     parser; the same for audit and merge.  Each subcommand gets its own
#     options: merge offers --trust-checkpoint and not --dry-run, audit
#     offers --proc-root and not --trust-checkpoint;
#   - prefixes narrow: --xdp gives only --xdp-mode, --check only
#     --checkpoint and --checkpoint-interval;
#   - values: -oC and -iL complete file names, audit --proc-root only
#     directories, --engine and --xdp-mode (also as --xdp-mode=) their
#     choices, --rate nothing; merge's inputs are file names.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
COMP=$ROOT/docs/completion/ringscan
[ -n "${RINGSCAN:-}" ] || tb_fail "RINGSCAN is not set (run via tests/run.sh)"
[ -x "$RINGSCAN" ] || tb_fail "scanner binary $RINGSCAN missing"
[ -f "$COMP" ] || tb_fail "docs/completion/ringscan is missing"
T=$(mktemp -d /tmp/rstest-comp.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/dir" "$T/dir/sub"
: >"$T/dir/a.csv"
: >"$T/dir/b.txt"

# comp WORD...: what the completion offers for the last WORD, one a line,
# sorted; the first WORD is replaced by the binary under test.
comp()
{
	(
		cd "$T/dir" || exit 1
		# shellcheck disable=SC1090
		. "$COMP" || exit 1
		COMP_WORDS=("$RINGSCAN" "${@:2}")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_ringscan || exit 1
		printf '%s\n' "${COMPREPLY[@]}"
	) | LC_ALL=C sort
}

# expect DESCRIPTION WANT GOT
expect()
{
	[ "$2" = "$3" ] || {
		printf 'want:\n%s\ngot:\n%s\n' "$2" "$3"
		tb_fail "$1"
	}
	tb_log "  ok: $1"
}

# The options --help lists at the start of a column (two spaces or more
# before them), in "A, B" groups and after "OPT ARG," - the options, not
# the ones prose mentions.  -T0..-T5 stands for six.
help_columns()
{
	# shellcheck disable=SC2016 # the backquotes are the text's
	"$RINGSCAN" ${1:+"$1"} --help | sed 's/`[^`]*`//g' |
		awk '{
			ns = split($0, seg, /  +/)
			for (j = 1; j <= ns; j++) {
				nt = split(seg[j], w, " ")
				for (k = 1; k <= nt; k++) {
					t = w[k]; sub(/,$/, "", t)
					if (t ~ /^-[A-Za-z]+[0-9]\.\.-/) {
						b = substr(t, 1, length(t) - 6) # "-T"
						for (d = substr(t, length(t) - 5, 1); d <= substr(t, length(t), 1); d++)
							print b d
						break
					}
					if (t !~ /^--?[A-Za-z][A-Za-z0-9-]*$/) break
					print t
					if (w[k] ~ /,$/) continue
					if (k < nt && w[k + 1] ~ /,$/) { k++; continue }
					break
				}
			}
		}' | LC_ALL=C sort -u
}

complete_p=$(bash -c '. "$1" && complete -p ringscan' _ "$COMP")
expect "complete -p ringscan" "complete -F _ringscan ringscan" "$complete_p"

expect "ringscan <TAB>: the subcommands" "$(printf 'audit\nmerge')" \
	"$(comp ringscan "")"

for sub in "" audit merge; do
	want=$(help_columns "$sub")
	n=$(printf '%s\n' "$want" | grep -c .)
	[ "$n" -ge 8 ] || tb_fail "only $n options read from 'ringscan $sub --help'"
	if [ -n "$sub" ]; then
		got=$(comp ringscan "$sub" -)
	else
		got=$(comp ringscan -)
	fi
	missing=$(LC_ALL=C comm -23 <(printf '%s\n' "$want") <(printf '%s\n' "$got"))
	[ -z "$missing" ] ||
		tb_fail "ringscan $sub -<TAB> misses what --help lists: ${missing//$'\n'/ }"
	tb_log "  ok: ringscan $sub -<TAB> offers all $n options of its --help"
done
comp ringscan merge -- | grep -qx -e --trust-checkpoint ||
	tb_fail "merge --<TAB> lacks --trust-checkpoint"
! comp ringscan merge -- | grep -qx -e --dry-run ||
	tb_fail "merge --<TAB> offers the scan's --dry-run"
comp ringscan audit -- | grep -qx -e --proc-root ||
	tb_fail "audit --<TAB> lacks --proc-root"
! comp ringscan audit -- | grep -qx -e --trust-checkpoint ||
	tb_fail "audit --<TAB> offers merge's --trust-checkpoint"
tb_log "  ok: each subcommand offers its own options"

expect "--xdp<TAB>" "--xdp-mode" "$(comp ringscan --xdp)"
expect "--check<TAB>" "$(printf -- '--checkpoint\n--checkpoint-interval')" \
	"$(comp ringscan --check)"

expect "-oC <TAB>: file names" "$(printf 'a.csv\nb.txt\nsub')" \
	"$(comp ringscan -oC "")"
expect "-iL a<TAB>" "a.csv" "$(comp ringscan -iL a)"
expect "audit --proc-root <TAB>: directories only" "sub" \
	"$(comp ringscan audit --proc-root "")"
expect "--engine <TAB>: its choices" "$(printf 'packet\nxdp')" \
	"$(comp ringscan --engine "")"
expect "--xdp-mode=<TAB>" "$(printf 'native\nskb')" \
	"$(comp ringscan --xdp-mode = "")"
expect "--xdp-mode=s<TAB>" "skb" "$(comp ringscan --xdp-mode = s)"
expect "--rate <TAB>: nothing" "" "$(comp ringscan --rate "")"
expect "merge <TAB>: input files" "$(printf 'a.csv\nb.txt\nsub')" \
	"$(comp ringscan merge "")"
