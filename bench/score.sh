# shellcheck shell=bash
#
# bench/score.sh - what bench/run.sh and bench/grid.sh share: how a
# scanner's output is read and scored against the testbed's truth
# (tests/integration/testbed.sh), so that a cell of the grid and a row of RESULTS.md
# count a wrong answer the same way; how masscan is kept from hanging; and
# which Debian packages a benchmark installs when a tool is missing.

# rows_of KIND OUT PORT -> "host,port,state" rows (open and filtered only
# matter).  PORT: zmap's one port.
rows_of() {
	local kind=$1 out=$2 port=${3:-}
	[ -s "$out" ] || return 0
	case $kind in
	ringscan) awk -F, 'NR > 1 && $3 == "tcp" { print $1 "," $2 "," $4 }' "$out" ;;
	nmap) testbed_nmap_rows "$out" |
		awk -F, '{ s = $3; if (s != "open" && s != "closed") s = "filtered"
			print $1 "," $2 "," s }' ;;
	masscan) awk '$1 == "open" && $2 == "tcp" { print $4 "," $3 ",open" }' "$out" ;;
	zmap) awk -v p="$port" '/^[0-9.]+$/ { print $1 "," p ",open" }' "$out" ;;
	esac
}

# accuracy TRUTH ROWS OPEN_ONLY -> "of om fo fr fm ff" (the last three are
# "- - -" for scanners that report open ports only).
accuracy() {
	awk -F, -v oponly="$3" '
	FNR == NR {
		if ($3 == "open") to[$1 "," $2] = 1
		else if ($3 == "filtered") tf[$1 "," $2] = 1
		next
	}
	{
		k = $1 "," $2
		if ($3 == "open") so[k] = 1
		else if ($3 == "filtered") sf[k] = 1
	}
	END {
		for (k in to) if (k in so) of++; else om++
		for (k in so) if (!(k in to)) fo++
		for (k in tf) if (k in sf) fr++; else fm++
		for (k in sf) if (!(k in tf)) ff++
		if (oponly) printf "%d %d %d - - -\n", of, om, fo
		else printf "%d %d %d %d %d %d\n", of, om, fo, fr, fm, ff
	}' "$1" "$2"
}

# Keeps masscan's receive thread from blocking in libpcap once the scan is
# over (it waits for one more packet to notice it should stop, which on an
# idle link took 20-30 s): a ping every 0.2 s on the scanner's link.
PINGER=
pinger_start() {
	wan_exec_scanner ping -q -i 0.2 "$WAN_TARGET_IP" >/dev/null 2>&1 &
	PINGER=$!
	WAN_PIDS+=("$PINGER")
}
pinger_stop() {
	[ -n "$PINGER" ] || return 0
	kill -TERM "$PINGER" 2>/dev/null
	wait "$PINGER" 2>/dev/null
	PINGER=
}

# Debian packages for the tools compared and the testbed; installed only
# when a command is missing.
install_missing() {
	local -A pkg=([nmap]=nmap [masscan]=masscan [zmap]=zmap
		[gnuplot]=gnuplot-nox [nft]=nftables [ping]=iputils-ping
		[ip]=iproute2 [timeout]=coreutils)
	local -a want=()
	local c
	for c in "${!pkg[@]}"; do
		command -v "$c" >/dev/null || want+=("${pkg[$c]}")
	done
	[ -x /usr/bin/time ] || want+=(time)
	[ ${#want[@]} -gt 0 ] || return 0
	say "installing ${want[*]}"
	if ! command -v apt-get >/dev/null; then
		say "no apt-get: install ${want[*]} by hand"
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${want[@]}" \
		>"/tmp/bench-apt.$$" 2>&1 </dev/null ||
		{ apt-get update -qq >/dev/null 2>&1 &&
			apt-get install -y -qq --no-install-recommends \
				"${want[@]}" >"/tmp/bench-apt.$$" 2>&1 </dev/null; } ||
		{ cat "/tmp/bench-apt.$$" >&2; rm -f "/tmp/bench-apt.$$"; return 1; }
	rm -f "/tmp/bench-apt.$$"
}
