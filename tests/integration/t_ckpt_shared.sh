#!/usr/bin/env bash
# t_ckpt_shared: a root scan that checkpoints into a directory another user
# can write to.  The other user (nobody) plants what used to work against
# the fixed temporary name PATH.tmp: a symlink to a file of root's, and a
# file of their own, mode 0666, to read or edit the checkpoint through.
# The scan must overwrite neither, leave a root-owned 0600 checkpoint that
# resumes, and leave no temporary behind.  The directory is 0777 without
# the sticky bit, so the kernel's fs.protected_symlinks (which only guards
# sticky world-writable directories) does not hide the defect.
# Then the checkpoint itself as the attack: one written by nobody (whose
# command line names the outputs root would write) and one of root's made
# world-writable are refused by a root --resume and a root merge, with a
# line that says why, unless --trust-checkpoint is given.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init

command -v setpriv >/dev/null 2>&1 || tb_skip "setpriv not installed"
NOBODY=65534
as_nobody()
{
	setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups -- "$@"
}

tb_netns ck
tb_listen ck "127.0.0.1:22"
chmod 0711 "$TB_TMP"
SHARED="$TB_TMP/shared"
mkdir "$SHARED"
chmod 0777 "$SHARED"
VICTIM="$TB_TMP/victim"
echo "root's precious file" >"$VICTIM"
chmod 0644 "$VICTIM"

as_nobody ln -s "$VICTIM" "$SHARED/ck.tmp"
as_nobody sh -c "umask 0; : >'$SHARED/ck2.tmp'; chmod 0666 '$SHARED/ck2.tmp'"

# owner_mode FILE: "uid mode" of FILE itself (not of a symlink's target)
owner_mode()
{
	stat -c '%u %a' -- "$1"
}

for ck in ck ck2; do
	tb_log "root scan with --checkpoint $SHARED/$ck"
	rc=0
	tb_rs ck -p 1-200 --states open,closed --checkpoint "$SHARED/$ck" \
		-oC "$TB_TMP/$ck.csv" 127.0.0.1 >"$TB_TMP/out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "scan exited $rc"; }
	[ "$(cat "$VICTIM")" = "root's precious file" ] ||
		tb_fail "the symlink planted at $ck.tmp was followed: victim overwritten"
	[ -L "$SHARED/ck.tmp" ] || tb_fail "the planted symlink was replaced"
	if [ "$(owner_mode "$SHARED/ck2.tmp")" != "$NOBODY 666" ] ||
		[ -s "$SHARED/ck2.tmp" ]; then
		tb_fail "nobody's pre-created ck2.tmp was written to"
	fi
	[ "$(owner_mode "$SHARED/$ck")" = "0 600" ] ||
		tb_fail "checkpoint $ck is $(owner_mode "$SHARED/$ck"), want root's and 0600"
	if as_nobody cat "$SHARED/$ck" >/dev/null 2>&1; then
		tb_fail "nobody can read root's checkpoint $ck"
	fi
	rc=0
	tb_rs ck --resume "$SHARED/$ck" >"$TB_TMP/out" 2>&1 || rc=$?
	[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "--resume $ck exited $rc"; }
done

leftover=$(find "$SHARED" -name '*.tmp-*' | head -n 3)
[ -z "$leftover" ] || tb_fail "temporaries left behind: $leftover"
tb_log "planted names ignored, checkpoints private, nothing left behind"

# refused ARGS...: exit 1, one stderr line with the reason and the way out
refused()
{
	local rc=0
	tb_rs ck "$@" >"$TB_TMP/out" 2>"$TB_TMP/err" || rc=$?
	[ "$rc" = 1 ] || { cat "$TB_TMP/err"; tb_fail "$* exited $rc, want 1"; }
	if [ "$(wc -l <"$TB_TMP/err")" != 1 ] ||
		! grep -q -- '--trust-checkpoint' "$TB_TMP/err"; then
		cat "$TB_TMP/err"
		tb_fail "$*: want one line naming --trust-checkpoint"
	fi
	tb_log "  refused: $(cat "$TB_TMP/err")"
}

tb_log "a checkpoint nobody wrote, resumed and merged by root"
rc=0
tb_run ck setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups -- \
	"$RINGSCAN" -p 1-200 --checkpoint "$SHARED/evil" \
	-oC "$SHARED/evil.csv" 127.0.0.1 >"$TB_TMP/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "nobody's scan exited $rc"; }
[ "$(stat -c %u "$SHARED/evil")" = "$NOBODY" ] || tb_fail "evil not nobody's"
refused --resume "$SHARED/evil"
grep -q 'another user' "$TB_TMP/err" || tb_fail "reason does not say 'another user'"
[ "$(stat -c %u "$SHARED/evil.csv")" = "$NOBODY" ] ||
	tb_fail "the refused resume still wrote the checkpoint's -oC as root"
refused merge -oC "$TB_TMP/m.csv" "$SHARED/evil"
rc=0
tb_rs ck --resume "$SHARED/evil" --trust-checkpoint >"$TB_TMP/out" 2>&1 ||
	rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "--trust-checkpoint resume exited $rc"; }
rc=0
tb_rs ck merge --trust-checkpoint -oC "$TB_TMP/m.csv" "$SHARED/evil" \
	>"$TB_TMP/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "merge --trust-checkpoint exited $rc"; }
tb_log "  accepted with --trust-checkpoint"

tb_log "root's own checkpoint, made writable by others"
chmod 0666 "$SHARED/ck"
refused --resume "$SHARED/ck"
grep -q 'writable by group or others' "$TB_TMP/err" ||
	tb_fail "reason does not say 'writable by group or others'"
chmod 0600 "$SHARED/ck"
rc=0
tb_rs ck --resume "$SHARED/ck" >"$TB_TMP/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/out"; tb_fail "resume of a 0600 checkpoint exited $rc"; }
exit 0
