#!/usr/bin/env bash
# t_syn_refused: what ringscan -sS cannot do, it refuses up front with one
# line on stderr that says why, and exit 2 (a runtime condition, not bad
# input), before sending anything: without root privileges (run as
# nobody, which has no CAP_NET_RAW, CAP_NET_ADMIN or CAP_BPF) for every
# engine choice, and with -e naming an interface that does not exist.  A
# -sS-only option given without -sS is bad input: exit 1, one line.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

syn_bed
tb_listen tgt "0.0.0.0:22"

# refused NAME WANT_RC PATTERN CMD...: CMD must exit WANT_RC with exactly
# one line on stderr, matching PATTERN, and nothing on stdout.
refused()
{
	local name=$1 want=$2 pat=$3 rc=0
	shift 3
	"$@" >"$TB_TMP/$name.out" 2>"$TB_TMP/$name.err" || rc=$?
	if [ "$rc" != "$want" ] || [ "$(wc -l <"$TB_TMP/$name.err")" != 1 ] ||
		! grep -q "$pat" "$TB_TMP/$name.err" || [ -s "$TB_TMP/$name.out" ]; then
		cat "$TB_TMP/$name.out" "$TB_TMP/$name.err"
		tb_fail "$name: exit $rc, want $want and one line matching '$pat'"
	fi
	tb_log "  ok: $name: exit $rc: $(cat "$TB_TMP/$name.err")"
}

# The unprivileged user must be able to reach the binary: a copy in a
# directory it may enter (the scratch directory is root's, mode 700).
chmod 711 "$TB_TMP"
mkdir -m 755 "$TB_TMP/bin"
cp "$RINGSCAN" "$TB_TMP/bin/ringscan"
if command -v setpriv >/dev/null 2>&1; then
	NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
elif command -v runuser >/dev/null 2>&1; then
	NOBODY=(runuser -u nobody --)
else
	tb_skip "neither setpriv nor runuser (util-linux) to drop root"
fi
[ "$(tb_run scan "${NOBODY[@]}" id -u)" = 65534 ] ||
	tb_skip "cannot run as uid 65534 here"

tb_log "ringscan -sS as nobody"
for engine in auto xdp packet; do
	refused "nobody-$engine" 2 'ringscan: -sS needs root' \
		tb_run scan "${NOBODY[@]}" "$TB_TMP/bin/ringscan" -sS \
		--engine "$engine" -p 22 "$SYN_HOST"
done
! syn_xdp_attached || tb_fail "an XDP program was attached without root"
# And -sT still works for nobody: the refusal is about -sS only.
rc=0
tb_run scan "${NOBODY[@]}" "$TB_TMP/bin/ringscan" -sT -p 22 "$SYN_HOST" \
	>"$TB_TMP/st.out" 2>&1 || rc=$?
if [ "$rc" != 0 ] || ! grep -q '^22/tcp  *open' "$TB_TMP/st.out"; then
	cat "$TB_TMP/st.out"
	tb_fail "-sT as nobody: exit $rc"
fi

tb_log "ringscan -sS -e nosuchif"
refused nosuchif 2 'ringscan: .*interface' \
	tb_rs scan -sS -e nosuchif -p 22 "$SYN_HOST"

tb_log "ringscan --engine xdp without -sS"
refused no-sS 1 'ringscan: --engine .*-sS' \
	tb_rs scan --engine xdp -p 22 "$SYN_HOST"
exit 0
