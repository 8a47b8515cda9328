#!/usr/bin/env bash
# t_install: `make install` stages the binary, the man pages and the bash
# completion under DESTDIR and PREFIX, they work from there, and `make
# uninstall` removes exactly them.
#
# The Makefile's install rule is run as is, on a copy of the binary under
# test: BUILD points at a scratch directory holding it and `-o` tells make
# not to rebuild it, so the test neither compiles nor touches build/.
#
# What is asserted, and why:
#   - with DESTDIR and the default PREFIX, exactly five files appear:
#     bin/ringscan (mode 0755, the binary under test byte for byte),
#     share/man/man1/ringscan{,-audit,-merge}.1 (the pages of docs/man) and
#     share/bash-completion/completions/ringscan; PREFIX=/usr moves them;
#   - man finds and renders each installed page by name through MANPATH,
#     which it would not if they were in the wrong section directory;
#   - the installed binary runs: --version inside `unshare -n`;
#   - the installed completion registers _ringscan for ringscan;
#   - `make uninstall` with the same DESTDIR leaves no file behind.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v make >/dev/null 2>&1 || tb_skip "make not installed"
command -v man >/dev/null 2>&1 || tb_skip "man not installed (scripts/install-deps.sh)"
mkdir "$TB_TMP/build"
cp "$RINGSCAN" "$TB_TMP/build/ringscan"

# mk TARGET ARGS...: the Makefile's TARGET on the scratch build.
mk()
{
	local target=$1
	shift
	make -s -C "$ROOT" "$target" BUILD="$TB_TMP/build" \
		-o "$TB_TMP/build/ringscan" "$@" >"$TB_TMP/make.out" 2>&1 || {
		cat "$TB_TMP/make.out"
		tb_fail "make $target $* failed"
	}
}

# check_tree DESTDIR PREFIX: the five files, right modes and contents.
check_tree()
{
	local d=$1 p=$2 want got page
	want=$(printf '%s\n' "$d$p/bin/ringscan" \
		"$d$p/share/bash-completion/completions/ringscan" \
		"$d$p/share/man/man1/ringscan-audit.1" \
		"$d$p/share/man/man1/ringscan-merge.1" \
		"$d$p/share/man/man1/ringscan.1")
	got=$(find "$d" -type f | LC_ALL=C sort)
	[ "$got" = "$want" ] || {
		printf 'want:\n%s\ngot:\n%s\n' "$want" "$got"
		tb_fail "make install DESTDIR=$d PREFIX=$p: wrong files"
	}
	cmp -s "$RINGSCAN" "$d$p/bin/ringscan" ||
		tb_fail "installed binary differs from $RINGSCAN"
	[ "$(stat -c %a "$d$p/bin/ringscan")" = 755 ] ||
		tb_fail "installed binary has mode $(stat -c %a "$d$p/bin/ringscan"), want 755"
	for page in ringscan ringscan-audit ringscan-merge; do
		cmp -s "$ROOT/docs/man/$page.1" "$d$p/share/man/man1/$page.1" ||
			tb_fail "installed $page.1 differs from docs/man/$page.1"
		[ "$(stat -c %a "$d$p/share/man/man1/$page.1")" = 644 ] ||
			tb_fail "installed $page.1 is not mode 644"
	done
	cmp -s "$ROOT/docs/completion/ringscan" \
		"$d$p/share/bash-completion/completions/ringscan" ||
		tb_fail "installed completion differs from docs/completion/ringscan"
}

D=$TB_TMP/dest
mk install DESTDIR="$D"
check_tree "$D" /usr/local
tb_log "  ok: make install DESTDIR: binary, 3 man pages, completion"

# man looks the pages up by name, as a user would.
for page in ringscan ringscan-audit ringscan-merge; do
	LC_ALL=C MANWIDTH=80 MANPAGER=cat MANPATH="$D/usr/local/share/man" \
		man "$page" 2>"$TB_TMP/man.err" | col -b >"$TB_TMP/man.out" ||
		{ cat "$TB_TMP/man.err"; tb_fail "man $page failed"; }
	grep -q "^       $page - " "$TB_TMP/man.out" || {
		head -n 20 "$TB_TMP/man.out"
		tb_fail "man $page: no NAME line '$page - ...'"
	}
done
tb_log "  ok: man finds and renders all three pages"

first=$(unshare -n "$D/usr/local/bin/ringscan" --version | head -n 1)
ver=$(sed -n 's/^#define RINGSCAN_VERSION "\(.*\)"$/\1/p' "$ROOT/include/version.h")
[ "$first" = "ringscan $ver" ] ||
	tb_fail "installed ringscan --version says '$first', want 'ringscan $ver'"
got=$(bash -c '. "$1" && complete -p ringscan' _ \
	"$D/usr/local/share/bash-completion/completions/ringscan")
[ "$got" = "complete -F _ringscan ringscan" ] ||
	tb_fail "installed completion registers '$got'"
tb_log "  ok: the installed binary and completion work"

mk uninstall DESTDIR="$D"
left=$(find "$D" -type f)
[ -z "$left" ] || { echo "$left"; tb_fail "make uninstall left files"; }
tb_log "  ok: make uninstall removes them all"

D2=$TB_TMP/dest2
mk install DESTDIR="$D2" PREFIX=/usr
check_tree "$D2" /usr
mk uninstall DESTDIR="$D2" PREFIX=/usr
[ -z "$(find "$D2" -type f)" ] || tb_fail "make uninstall PREFIX=/usr left files"
tb_log "  ok: PREFIX=/usr installs under /usr and uninstalls"
