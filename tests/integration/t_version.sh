#!/usr/bin/env bash
# t_version: ringscan --version names the version, the libraries and the
# kernel features, right, and says "no (why)" rather than failing when a
# feature is out of reach.
#
# What is asserted, and why:
#   - inside `unshare -n` (no route out; --version sends nothing anyway)
#     it exits 0; the first line is "ringscan VERSION" from version.h;
#   - each "library NAME: built with V" line has the version pkg-config
#     gives for NAME now (the build's libraries: a truth outside the
#     binary), for liburing, libbpf, libxdp, libmnl, libcap-ng and zlib;
#   - "kernel:" is uname's release and machine;
#   - the io_uring and connect-engine lines agree with a real -sT scan of
#     a listener on 127.0.0.1 in the namespace: "yes" and the scan finds
#     the port open;
#   - as root AF_XDP and AF_PACKET sockets say "yes" if this kernel has
#     them; run as nobody with no capabilities (setpriv), they say
#     "no (...CAP_NET_RAW...)" and --version still exits 0 with every
#     line present.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v pkg-config >/dev/null 2>&1 || tb_skip "pkg-config not installed"

rc=0
unshare -n "$RINGSCAN" --version >"$TB_TMP/v" 2>"$TB_TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/v" "$TB_TMP/err"; tb_fail "--version exited $rc"; }
cat "$TB_TMP/v"
ver=$(sed -n 's/^#define RINGSCAN_VERSION "\(.*\)"$/\1/p' "$ROOT/include/version.h")
[ "$(head -n 1 "$TB_TMP/v")" = "ringscan $ver" ] ||
	tb_fail "first line is not 'ringscan $ver'"

# line PREFIX FILE: the one line starting with PREFIX.
line()
{
	local n
	n=$(grep -c -F -e "$1" "$2")
	[ "$n" = 1 ] || tb_fail "$n lines starting '$1' (want 1)"
	grep -F -e "$1" "$2"
}

for lib in liburing libbpf libxdp libmnl libcap-ng zlib; do
	want=$(pkg-config --modversion "$lib") ||
		tb_skip "pkg-config knows no $lib (scripts/install-deps.sh)"
	l=$(line "library $lib: built with " "$TB_TMP/v")
	case $l in
	"library $lib: built with $want, running "?*) ;;
	*) tb_fail "'$l': want built with $want (pkg-config)" ;;
	esac
done
tb_log "  ok: built versions are pkg-config's"
[ "$(line 'kernel: ' "$TB_TMP/v")" = "kernel: $(uname -s) $(uname -r) $(uname -m)" ] ||
	tb_fail "kernel line is not uname's"

tb_netns ver
tb_listen ver "127.0.0.1:22"
rc=0
tb_rs ver -p 22,23 -oC - 127.0.0.1 >"$TB_TMP/scan" 2>"$TB_TMP/err" || rc=$?
uring=$(line 'io_uring: ' "$TB_TMP/v")
engine=$(line 'connect engine (-sT): ' "$TB_TMP/v")
if [ "$rc" = 0 ] && grep -qx '127.0.0.1,22,tcp,open,.*' "$TB_TMP/scan"; then
	case $uring in
	"io_uring: yes; ops socket yes, uring_cmd "*", connect yes, link_timeout yes, close yes") ;;
	*) tb_fail "-sT works here, but: $uring" ;;
	esac
	case $engine in
	"connect engine (-sT): yes; ring "*) ;;
	*) tb_fail "-sT works here, but: $engine" ;;
	esac
else
	cat "$TB_TMP/scan" "$TB_TMP/err"
	case $engine in
	"connect engine (-sT): no ("*) ;;
	*) tb_fail "-sT failed (exit $rc), but: $engine" ;;
	esac
fi
tb_log "  ok: io_uring and the connect engine agree with a real -sT scan"

for fam in AF_XDP AF_PACKET; do
	l=$(line "$fam socket (" "$TB_TMP/v")
	case $l in
	*": yes") ;;
	*": no ("*) tb_note "$l" ;;
	*) tb_fail "'$l': neither yes nor no (why)" ;;
	esac
done

command -v setpriv >/dev/null 2>&1 || tb_skip "setpriv not installed (util-linux)"
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all -- "$RINGSCAN" --version >"$TB_TMP/v2" \
	2>"$TB_TMP/err" || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/v2" "$TB_TMP/err"; tb_fail "--version without privileges exited $rc"; }
[ "$(wc -l <"$TB_TMP/v2")" = "$(wc -l <"$TB_TMP/v")" ] ||
	{ cat "$TB_TMP/v2"; tb_fail "--version without privileges printed another number of lines"; }
for fam in AF_XDP AF_PACKET; do
	l=$(line "$fam socket (" "$TB_TMP/v2")
	case $l in
	*": no ("*"CAP_NET_RAW"*")") ;;
	*) tb_fail "without CAP_NET_RAW: '$l' (want no (... CAP_NET_RAW ...))" ;;
	esac
done
tb_log "  ok: without privileges, AF_XDP and AF_PACKET say no and why"
