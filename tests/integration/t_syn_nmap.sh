#!/usr/bin/env bash
# t_syn_nmap: on one veth testbed, nmap -sS and ringscan -sS (every engine
# variant available) report the same state for every (host, port): one
# host x 1-2000 and a /24 x five ports.  nmap is first checked against the
# testbed's ground truth, so a disagreement points at the scanner.
# shellcheck source-path=SCRIPTDIR source=synlib.sh
. "$(dirname "$0")/synlib.sh"
syn_init
command -v nmap >/dev/null || tb_skip "nmap not installed"

NET_PORTS=22,80,443,3306,8080
syn_bed
tb_listen tgt "0.0.0.0:22 0.0.0.0:443 198.18.0.2:1 198.18.0.2:1999 \
	198.18.1.7:8080 198.18.1.200:80"
tb_filter tgt "198.18.0.2:81 198.18.0.2:1500-1510 198.18.1.128/25:3306 \
	198.18.1.9:* 198.18.1.10:443"

check()
{
	local name=$1 hosts=$2 ports=$3 v
	tb_truth tgt "$hosts" "$ports" >"$TB_TMP/truth.$name"
	tb_log "nmap -sS -Pn -n -p $ports $hosts"
	timeout 120 ip netns exec "$(tb_nsname scan)" nmap -sS -Pn -n -T4 \
		-p "$ports" -oX "$TB_TMP/nmap.$name.xml" "$hosts" >/dev/null ||
		tb_fail "nmap failed"
	tb_nmap_rows "$TB_TMP/nmap.$name.xml" >"$TB_TMP/nmap.$name"
	tb_diff "$TB_TMP/truth.$name" "$TB_TMP/nmap.$name" "nmap rows" ||
		tb_fail "testbed broken: nmap disagrees with the ground truth"
	for v in $VARIANTS; do
		syn_run "$v" "$TB_TMP/$name.$v" --retries 2 --timeout 300 \
			-p "$ports" "$hosts"
		tb_diff "$TB_TMP/nmap.$name" "$TB_TMP/$name.$v" \
			"ringscan -sS ($v) rows vs nmap -sS" ||
			tb_fail "ringscan -sS ($v) and nmap -sS disagree"
	done
}

VARIANTS=$(syn_variants all)
check host "$SYN_HOST" 1-2000
check net "$SYN_NET" "$NET_PORTS"
exit 0
