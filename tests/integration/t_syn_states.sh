#!/usr/bin/env bash
# t_syn_states: the SYN engine - AF_PACKET, and AF_XDP in native and skb
# mode where the kernel has them - reports exactly the ground truth for one
# host on all 65535 ports and for a /24 on five ports (open, closed, and
# filtered by nftables drops, on-link and through a gateway), agrees row
# for row with ringscan -sT on the same testbed, and leaves no XDP program
# on the interface.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

NET_PORTS=22,80,443,3306,8080
syn_bed
tb_listen tgt "0.0.0.0:22 0.0.0.0:443 198.18.0.2:1 198.18.0.2:8080 \
	198.18.0.2:65535 198.18.1.7:8080 198.18.1.200:80 198.18.1.255:3306"
tb_filter tgt "198.18.0.2:81 198.18.0.2:3306 198.18.0.2:60000-60010 \
	198.18.1.128/25:3306 198.18.1.9:* 198.18.1.10:443"
tb_truth tgt "$SYN_HOST" 1-65535 >"$TB_TMP/truth.host"
tb_truth tgt "$SYN_NET" "$NET_PORTS" >"$TB_TMP/truth.net"
if ! { grep -qx '198.18.0.2,65535,open' "$TB_TMP/truth.host" &&
	grep -qx '198.18.0.2,60005,filtered' "$TB_TMP/truth.host" &&
	grep -qx '198.18.1.255,3306,filtered' "$TB_TMP/truth.net" &&
	grep -qx '198.18.1.9,22,filtered' "$TB_TMP/truth.net" &&
	grep -qx '198.18.1.200,80,open' "$TB_TMP/truth.net" &&
	[ "$(wc -l <"$TB_TMP/truth.host")" = 65535 ]; }; then
	tb_fail "ground truth does not follow from the testbed"
fi

for v in $(syn_variants all); do
	tb_log "synscan $v -p 1-65535 $SYN_HOST"
	# shellcheck disable=SC2046 # options are meant to split
	syn_scan "$TB_TMP/host.$v" $(syn_args "$v") --retries 2 \
		--timeout-ms 300 -p 1-65535 "$SYN_HOST" ||
		{ cat "$TB_TMP/host.$v.err"; tb_fail "synscan ($v) failed"; }
	tb_diff "$TB_TMP/truth.host" "$TB_TMP/host.$v" "rows ($v, one host)" ||
		tb_fail "$v: states differ from the truth"
	tb_log "synscan $v -p $NET_PORTS $SYN_NET"
	# shellcheck disable=SC2046
	syn_scan "$TB_TMP/net.$v" $(syn_args "$v") --retries 2 \
		--timeout-ms 300 -p "$NET_PORTS" "$SYN_NET" ||
		{ cat "$TB_TMP/net.$v.err"; tb_fail "synscan ($v) failed"; }
	tb_diff "$TB_TMP/truth.net" "$TB_TMP/net.$v" "rows ($v, subnet)" ||
		tb_fail "$v: states differ from the truth"
	[ "$(syn_stat "$TB_TMP/net.$v" bad_cookie)" = 0 ] ||
		tb_fail "$v: replies failed validation on a clean testbed"
	! syn_xdp_attached || tb_fail "$v: XDP program left on $SYN_IF"
done

tb_log "ringscan -sT on the same targets"
rc=0
tb_rs scan -sT -p 1-65535 --timeout 300 --retries 2 \
	--states open,closed,filtered -oC "$TB_TMP/st.host.csv" "$SYN_HOST" \
	>"$TB_TMP/st.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/st.out"; tb_fail "ringscan -sT exited $rc"; }
tb_csv_rows "$TB_TMP/st.host.csv" >"$TB_TMP/st.host"
tb_diff "$TB_TMP/st.host" "$TB_TMP/host.packet" "-sS rows vs -sT (one host)" ||
	tb_fail "-sS and -sT disagree"
tb_rs scan -sT -p "$NET_PORTS" --timeout 300 --retries 2 \
	--states open,closed,filtered -oC "$TB_TMP/st.net.csv" "$SYN_NET" \
	>"$TB_TMP/st.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$TB_TMP/st.out"; tb_fail "ringscan -sT exited $rc"; }
tb_csv_rows "$TB_TMP/st.net.csv" >"$TB_TMP/st.net"
tb_diff "$TB_TMP/st.net" "$TB_TMP/net.packet" "-sS rows vs -sT (subnet)" ||
	tb_fail "-sS and -sT disagree"
exit 0
