# shellcheck shell=bash
#
# auditlib.sh - helpers shared by the t_audit_* tests (source after lib.sh
# and tb_init).
#
# Listeners run under the program name the test wants ("sshd", "dnsmasq")
# by copying tests/helpers/listen to $TB_TMP/bin/NAME, so the audit's
# PROGRAM column has a known truth.  The audit's text table is read by
# column: PORT STATE SERVICE ADDRESS PROGRAM PID USER VERDICT EVIDENCE...

# al_listen NS NAME [-u] PAIR...: start listen as NAME in NS; its pid is in
# AL_PID (and is killed on exit by lib.sh).
al_listen()
{
	local ns=$1 name=$2 out
	shift 2
	mkdir -p "$TB_TMP/bin"
	[ -x "$TB_TMP/bin/$name" ] || cp "$HELPERS/listen" "$TB_TMP/bin/$name"
	out="$TB_TMP/listen.$name.$RANDOM.out"
	tb_bg "$ns" "$TB_TMP/bin/$name" "$@" >"$out" 2>&1
	AL_PID=$TB_LASTPID
	for _ in $(seq 1 100); do
		grep -qx ready "$out" && return 0
		kill -0 "$AL_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$out"
	tb_fail "listener $name in $ns not ready"
}

# al_audit NS OUT ARGS...: ringscan audit ARGS in NS, stdout to OUT,
# stderr to OUT.err; the exit status is in AL_RC.
al_audit()
{
	local ns=$1 out=$2
	shift 2
	AL_RC=0
	tb_rs "$ns" audit "$@" >"$out" 2>"$out.err" || AL_RC=$?
	tb_log "  ringscan audit $* -> exit $AL_RC"
}

# al_expect_rc WANT OUT: fail with the output if AL_RC is not WANT.
al_expect_rc()
{
	[ "$AL_RC" = "$1" ] && return 0
	cat "$2" "$2.err" >&2
	tb_fail "audit exited $AL_RC, want $1"
}

# al_row OUT PORT/PROTO: the table row of that port (empty if none).
al_row()
{
	awk -v p="$2" '$1 == p' "$1"
}

# al_col OUT PORT/PROTO N: column N (1-based) of that row.
al_col()
{
	awk -v p="$2" -v n="$3" '$1 == p { print $n }' "$1"
}

# al_check OUT PORT/PROTO VERDICT [PROGRAM [EVIDENCE-SUBSTRING]]
al_check()
{
	local out=$1 port=$2 verdict=$3 prog=${4:-} ev=${5:-} row
	row=$(al_row "$out" "$port")
	[ -n "$row" ] || { cat "$out" >&2; tb_fail "no row for $port"; }
	[ "$(al_col "$out" "$port" 8)" = "$verdict" ] ||
		{ cat "$out" >&2; tb_fail "$port: want verdict $verdict: $row"; }
	if [ -n "$prog" ] && [ "$(al_col "$out" "$port" 5)" != "$prog" ]; then
		cat "$out" >&2
		tb_fail "$port: want program $prog: $row"
	fi
	if [ -n "$ev" ]; then
		case $row in
		*"$ev"*) ;;
		*) tb_fail "$port: evidence lacks '$ev': $row" ;;
		esac
	fi
	tb_log "  ok: $port $verdict${prog:+ $prog}${ev:+ ($ev)}"
}

# al_ports OUT: every "PORT/PROTO" row of the table, sorted.
al_ports()
{
	awk '$1 ~ /^[0-9]+\/(tcp|udp)$/ { print $1 }' "$1" | LC_ALL=C sort
}

# al_ss_ports NS: the listening "PORT/PROTO" set that ss -tuln shows.
al_ss_ports()
{
	tb_run "$1" ss -Htuln | awk '{
		n = split($5, a, ":"); print a[n] "/" $1
	}' | LC_ALL=C sort -u
}
