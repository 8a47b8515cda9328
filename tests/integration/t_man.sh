#!/usr/bin/env bash
# t_man: the man pages lint clean and document the CLI that exists.
#
# What is asserted, and why:
#   - docs/man has ringscan.1, ringscan-audit.1 and ringscan-merge.1, and
#     each lints clean: `mandoc -T lint -W all` (errors, warnings and
#     style) and `man --warnings` (groff's own warnings) print nothing;
#   - every option the command's --help names appears in its page
#     (rendered, as a whole word): the options are read from --help
#     itself, not from a copy here, so a flag added to the CLI without a
#     line in the man page fails this test.  The checker is shown to bite:
#     the rendered page with one option's mentions removed must fail it;
#   - every option a page documents (the tags of its option lists) is one
#     the CLI accepts: each is run with a value if the page gives one,
#     followed by an unknown option, inside `unshare -n`; the CLI must stop
#     at the unknown one (or at the value), never call the documented
#     option unknown, and exit 0 or 1 (not crash).  So a page cannot keep
#     documenting an option that was removed or renamed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$ROOT/docs/man
command -v mandoc >/dev/null 2>&1 ||
	tb_skip "mandoc not installed (scripts/install-deps.sh)"
command -v col >/dev/null 2>&1 || tb_skip "col not installed (bsdextrautils)"
SENTINEL=--no-such-option-zz

# page NAME: the page rendered as plain text.
render()
{
	mandoc -T ascii "$MAN/$1.1" | col -b
}

# The options --help names, one per line: every word that starts with - or
# -- and a letter, not inside `...` (quoted commands of other tools), and
# not inside a word; -T0..-T5 gives -T0 and -T5.
help_options()
{
	# shellcheck disable=SC2016 # the backquotes are the text's
	sed 's/`[^`]*`//g' |
		grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^[^-]+//' | sort -u
}

# has_option TEXTFILE OPT: OPT appears there as a whole word.
has_option()
{
	grep -qE -e "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

for page in ringscan ringscan-audit ringscan-merge; do
	[ -f "$MAN/$page.1" ] || tb_fail "docs/man/$page.1 is missing"
done

# ---- lint
for f in "$MAN"/*.1; do
	rc=0
	mandoc -T lint -W all "$f" >"$TB_TMP/lint" 2>&1 || rc=$?
	if [ "$rc" != 0 ] || [ -s "$TB_TMP/lint" ]; then
		cat "$TB_TMP/lint"
		tb_fail "mandoc -T lint: $(basename "$f") is not clean (exit $rc)"
	fi
	if command -v man >/dev/null 2>&1; then
		LC_ALL=C MANWIDTH=80 man --warnings -l "$f" \
			>"$TB_TMP/out" 2>"$TB_TMP/lint" || rc=$?
		if [ "$rc" != 0 ] || [ -s "$TB_TMP/lint" ]; then
			cat "$TB_TMP/lint"
			tb_fail "man --warnings: $(basename "$f") is not clean (exit $rc)"
		fi
		grep -q '^NAME' "$TB_TMP/out" ||
			tb_fail "man -l $(basename "$f") rendered no NAME section"
	fi
	tb_log "  ok: $(basename "$f") lints clean"
done

# ---- every option of --help is in the page
check_help()
{
	local page=$1 sub=$2 min=$3 opt missing='' n
	shift 3
	render "$page" >"$TB_TMP/$page.txt"
	# shellcheck disable=SC2086 # sub is empty or one word
	"$RINGSCAN" $sub --help >"$TB_TMP/$page.help" ||
		tb_fail "ringscan $sub --help failed"
	help_options <"$TB_TMP/$page.help" >"$TB_TMP/$page.opts"
	n=$(wc -l <"$TB_TMP/$page.opts")
	# An extraction that found next to nothing would pass vacuously.
	[ "$n" -ge "$min" ] ||
		tb_fail "only $n options read from 'ringscan $sub --help' (expected $min or more)"
	while read -r opt; do
		has_option "$TB_TMP/$page.txt" "$opt" || missing="$missing $opt"
	done <"$TB_TMP/$page.opts"
	[ -z "$missing" ] ||
		tb_fail "$page.1 does not document what 'ringscan $sub --help' lists:$missing"
	tb_log "  ok: $page.1 has all $n options of 'ringscan $sub --help'"
}
check_help ringscan "" 40
check_help ringscan-audit audit 12
check_help ringscan-merge merge 8

# The check bites: --open blanked out of the rendered page is missed.
sed 's/--open\b/--xxxx/g' "$TB_TMP/ringscan.txt" >"$TB_TMP/cut.txt"
grep -qx -e '--open' "$TB_TMP/ringscan.opts" ||
	tb_fail "--open not read from --help: the extraction is broken"
if has_option "$TB_TMP/cut.txt" --open; then
	tb_fail "has_option still finds --open after it was removed"
fi
tb_log "  ok: a page without --open fails the check"

# ---- every option a page documents is accepted by the CLI
# page_options PAGE: "OPT VALUE" per option in the tags of the page's
# lists (the line after each .TP or .TQ); VALUE is 1 when the tag gives the
# option a value, empty otherwise.  The tags are rendered by mandoc itself,
# one paragraph each, so that font changes and escapes come out as a reader
# sees them.
page_options()
{
	{
		printf '.TH TAGS 1\n.SH TAGS\n'
		awk 'tag { print ".PP"; print; tag = 0 } /^\.T[PQ]( |$)/ { tag = 1 }' \
			"$MAN/$1.1"
	} | mandoc -T ascii | col -b | awk '
	/^       -/ {
		line = $0
		sub(/^ +/, "", line)
		n = split(line, w, /,? /)
		for (i = 1; i <= n; i++) {
			if (w[i] !~ /^--?[A-Za-z]/)
				continue
			m = split(w[i], t, /\.\./)
			for (k = 1; k <= m; k++) {
				val = (k == m && i < n && w[i + 1] !~ /^-/) ? "1" : ""
				print t[k], val
			}
		}
	}' | sort -u
}

check_accepted()
{
	local page=$1 sub=$2 opt val rc n=0
	page_options "$page" >"$TB_TMP/$page.tags"
	[ -s "$TB_TMP/$page.tags" ] || tb_fail "no option tags read from $page.1"
	while read -r opt val; do
		rc=0
		# shellcheck disable=SC2086 # sub and val are empty or one word
		(cd "$TB_TMP" && timeout -k 2 20 unshare -n "$RINGSCAN" $sub \
			"$opt" $val "$SENTINEL" </dev/null >/dev/null \
			2>"$TB_TMP/err") || rc=$?
		if grep -qF -e "unknown option '$opt'" -e "'$opt' is not supported" \
			"$TB_TMP/err"; then
			cat "$TB_TMP/err"
			tb_fail "$page.1 documents $opt, which 'ringscan $sub' does not accept"
		fi
		case $rc in
		0 | 1) ;;
		*)
			cat "$TB_TMP/err"
			tb_fail "ringscan $sub $opt $val $SENTINEL exited $rc (want 0 or 1)"
			;;
		esac
		n=$((n + 1))
	done <"$TB_TMP/$page.tags"
	tb_log "  ok: the CLI accepts all $n options $page.1 documents"
}

# The sentinel itself must be called unknown, or the check means nothing.
for sub in "" audit merge; do
	rc=0
	# shellcheck disable=SC2086
	unshare -n "$RINGSCAN" $sub "$SENTINEL" </dev/null >/dev/null \
		2>"$TB_TMP/err" || rc=$?
	if [ "$rc" != 1 ] ||
		! grep -qF "unknown option '$SENTINEL'" "$TB_TMP/err"; then
		cat "$TB_TMP/err"
		tb_fail "ringscan $sub $SENTINEL: not refused as unknown (exit $rc)"
	fi
done
check_accepted ringscan ""
check_accepted ringscan-audit audit
check_accepted ringscan-merge merge
