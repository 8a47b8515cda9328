#!/usr/bin/env bash
# t_syn_states: ringscan -sS - over AF_PACKET, and AF_XDP in native and skb
# mode where the kernel has them - reports exactly the ground truth for one
# host on all 65535 ports and for a /24 on five ports (open, closed, and
# filtered by nftables drops, on-link and through a gateway), agrees row
# for row with ringscan -sT on the same testbed, refuses no reply on a
# clean testbed, and leaves no XDP program on the interface; and the same
# from a second address and other ports (--source-ip, --source-port).
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init

NET_PORTS=22,80,443,3306,8080
syn_bed
tb_listen tgt "0.0.0.0:22 0.0.0.0:443 198.18.0.2:1 198.18.0.2:8080 \
	198.18.0.2:65535 198.18.1.7:8080 198.18.1.200:80 198.18.1.255:3306"
tb_filter tgt "198.18.0.2:81 198.18.0.2:3306 198.18.0.2:60000-60010 \
	198.18.1.128/25:3306 198.18.1.9:* 198.18.1.10:443"
# A second address for --source-ip: replies come back to it only if the
# SYNs left from it, and only reach the engine if its filters follow.
tb_run scan ip addr add 198.18.0.3/24 dev "$SYN_IF"
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
VARIANTS=$(syn_variants all)

for v in $VARIANTS; do
	tb_log "ringscan -sS ($v) -p 1-65535 $SYN_HOST"
	syn_run "$v" "$TB_TMP/host.$v" --retries 2 --timeout 300 \
		-p 1-65535 "$SYN_HOST"
	tb_diff "$TB_TMP/truth.host" "$TB_TMP/host.$v" "rows ($v, one host)" ||
		tb_fail "$v: states differ from the truth"
	tb_log "ringscan -sS ($v) -p $NET_PORTS $SYN_NET"
	syn_run "$v" "$TB_TMP/net.$v" --retries 2 --timeout 300 \
		-p "$NET_PORTS" "$SYN_NET"
	tb_diff "$TB_TMP/truth.net" "$TB_TMP/net.$v" "rows ($v, subnet)" ||
		tb_fail "$v: states differ from the truth"
	tb_log "ringscan -sS ($v) --source-ip 198.18.0.3 --source-port 40000-40009"
	syn_run "$v" "$TB_TMP/src.$v" --source-ip 198.18.0.3 \
		--source-port 40000-40009 --retries 2 --timeout 300 -p 1-80 \
		"$SYN_HOST"
	syn_engine_line "$TB_TMP/src.$v" | grep -q 'source ports 40000-40009$' ||
		tb_fail "$v: --source-port not in effect"
	grep '^198\.18\.0\.2,\([1-9]\|[1-7][0-9]\|80\),' "$TB_TMP/truth.host" \
		>"$TB_TMP/truth.src"
	tb_diff "$TB_TMP/truth.src" "$TB_TMP/src.$v" "rows ($v, --source-ip)" ||
		tb_fail "$v: states differ with --source-ip/--source-port"
	for f in host net src; do
		[ "$(syn_stat "$TB_TMP/$f.$v" bad)" = 0 ] ||
			tb_fail "$v: replies failed validation on a clean testbed"
		# The kernel's own counters reach -v (their value depends on
		# load: drops are retried, so only their presence is checked).
		case $(syn_stat "$TB_TMP/$f.$v" receive),$(syn_stat "$TB_TMP/$f.$v" send) in
		[0-9]*,[0-9]*) ;;
		*) tb_fail "$v: no kernel drop counters in -v" ;;
		esac
	done
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
