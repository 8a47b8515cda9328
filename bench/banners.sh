#!/bin/bash
# bench/banners.sh - banner grabbing and light service identification
# (issue 14): ringscan -sV and --banners against nmap -sV --version-light
# and masscan --banners, on 256 hosts x 10 ports of real Debian servers.
#
#   BUILD=build bench/banners.sh quick|full      (make bench-banners: full)
#
# Testbed: bench/wan.sh's veth pair (scanner S 198.18.0.1, target T
# 198.18.0.2) and 198.19.5.0/24 answered by T through a local route.  One
# server process per service in T, listening on 0.0.0.0, so it answers
# for all 256 addresses:
#   22, 2222  OpenSSH's sshd (one process, two ports; host key made here)
#   80, 8080  python3's http.server (Debian's python3; listen backlog 4096)
#   443       openssl s_server -www with a certificate made here
#   6379      redis-server
#   11211     memcached
#   2000      hostile: binary junk (escapes, invalid UTF-8, NUL, 700 bytes)
#   7000      hostile: one byte a second
#   9000      hostile: accepts and never speaks
# and an nft set in T of the (address, port) pairs a host does not serve,
# answered by `reject with tcp reset` (closed), from a seeded plan
# (BENCH_BANNERS_SEED): every host serves 3-5 of the 10 ports, a few hosts
# each one hostile port.
#
# Truth per (host, port): open or closed; for open ports the service and,
# where the server states one, product and version from the installed
# packages (dpkg for sshd, redis-server --version, memcached -V, python's
# own http.server strings).  Scoring per run (bench_score below):
#   open found / missed / false open, against the plan;
#   banners: open ports for which the tool kept some bytes from the server;
#   identification (ringscan -sV, nmap): over the ports whose server names
#   a product ("identifiable": ssh, http, TLS, redis, memcached), right =
#   product and version agree with the truth (a product without a version
#   is right as far as it goes), none = no product given, wrong = a
#   different product or version; a product claimed on a port whose server
#   names none (the hostile three) is wrong too.
#
# Rows (interleaved A, B, C, D, A, ... so load on this shared machine hits
# each alike; quick: one run each, full: BENCH_BANNERS_RUNS, default 3):
#   ringscan -sV, ringscan --banners, nmap -sV --version-light -Pn -n,
#   masscan --banners at --rate 10000 and 1000 (own source address
#   198.18.0.3, which S's kernel does not own, so the kernel does not reset
#   masscan's connections; --wait 5).
# Each run is timed inside S with /usr/bin/time (wall, user, sys, RSS).
#
# BENCH_BANNERS_ONLY="ringscan masscan" runs only those kinds of rows (for
# a short try: nmap takes minutes).
#
# Output: bench/results/banners.csv (one row per run, exact command and
# version), bench/results/banners.md (the section for RESULTS.md, also on
# stdout), and unless BENCH_BANNERS_NO_SPLICE=1 (bench/run.sh sets it: it
# writes RESULTS.md itself) the section "## 8. Banners and -sV" of
# bench/RESULTS.md is replaced by it (or added before "## Notes").  Scratch files go to bench/results/tmp/banners/.  Needs
# root; touches nothing outside its namespaces, removed on every exit path
# (bench/wan.sh's traps).

set -u -o pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

MODE=${1:-quick}
BUILD=${BUILD:-build}
case $MODE in
quick) RUNS=1 ;;
full) RUNS=${BENCH_BANNERS_RUNS:-3} ;;
*)
	echo "usage: $0 quick|full" >&2
	exit 2
	;;
esac
SEED=${BENCH_BANNERS_SEED:-14}
RUN_TIMEOUT=${BENCH_TIMEOUT:-600} # seconds per scan before it is killed
NET=198.19.5.0/24
NETBASE=198.19.5
PORTS=22,80,443,2000,2222,6379,7000,8080,9000,11211
MASSCAN_SRC=198.18.0.3
RES=bench/results
TMPD=$RES/tmp/banners
RS=$BUILD/ringscan
PY=/usr/bin/python3

# shellcheck source=bench/wan.sh
. bench/wan.sh
# shellcheck source=bench/score.sh
. bench/score.sh

die() {
	echo "bench/banners.sh: $*" >&2
	exit 1
}
say() { echo "bench/banners.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
[ -x "$RS" ] || die "$RS is not built (make)"
install_missing || say "some tools are missing; their rows will fail"
for t in nft ip timeout ss openssl; do
	command -v "$t" >/dev/null || die "$t is missing"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ -x "$PY" ] || die "$PY is missing (Debian's python3)"
[ -x /usr/sbin/sshd ] || die "sshd missing (apt-get install openssh-server)"
command -v redis-server >/dev/null ||
	die "redis-server missing (apt-get install redis-server)"
command -v memcached >/dev/null ||
	die "memcached missing (apt-get install memcached)"

rm -rf "$TMPD"
mkdir -p "$TMPD" || die "cannot create $TMPD"
wan_atexit "rm -f $RES/banners.csv.tmp"

V_RS="$("$RS" --version 2>/dev/null | head -1) (git $(git rev-parse --short HEAD 2>/dev/null), binary sha256 $(sha256sum "$RS" | cut -c1-12))"
V_NMAP=$(nmap --version 2>/dev/null | sed -n 's/^Nmap version \([^ ]*\).*/nmap \1/p')
V_MASSCAN=$(masscan --version 2>/dev/null |
	sed -n 's/^Masscan version \([^ ]*\).*/masscan \1/p')

# ---- truth: the servers' own version strings ----------------------------
v=$(dpkg-query -W -f='${Version}' openssh-server 2>/dev/null) ||
	die "no dpkg version for openssh-server"
v=${v#*:}
SSH_VER=${v%%-*}                                   # 9.2p1
SSH_BANNER="SSH-2.0-OpenSSH_$SSH_VER Debian-${v#*-}"
REDIS_VER=$(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p')
MEMC_VER=$(memcached -V | awk '{ print $2 }')
# s_server -www answers HTTP inside TLS with a page naming itself, but no
# version: the library's, should a tool give one.
TLS_VER=$(openssl version | awk '{ print $2 }')
read -r HTTP_PROD HTTP_VER PY_VER < <("$PY" -c 'import http.server as h, sys
p, v = h.SimpleHTTPRequestHandler.server_version.split("/")
print(p, v, sys.version.split()[0])')
if [ -z "$REDIS_VER" ] || [ -z "$MEMC_VER" ] || [ -z "$HTTP_VER" ] ||
	[ -z "$TLS_VER" ]; then
	die "cannot read the servers' versions"
fi

# port -> service, product, version ("-" = the server names none)
declare -A SVC=([22]=ssh [2222]=ssh [80]=http [8080]=http [443]=tls
	[6379]=redis [11211]=memcached [2000]=junk [7000]=trickle
	[9000]=silent)
declare -A PROD=([22]=OpenSSH [2222]=OpenSSH [80]=$HTTP_PROD
	[8080]=$HTTP_PROD [443]="OpenSSL s_server" [6379]=Redis
	[11211]=Memcached)
declare -A VER=([22]=$SSH_VER [2222]=$SSH_VER [80]=$HTTP_VER
	[8080]=$HTTP_VER [443]=$TLS_VER [6379]=$REDIS_VER [11211]=$MEMC_VER)

# The plan: host,port,state,service,product,version for all 2560 pairs.
# Hosts h with h % 37 == 5, 17, 29 get junk, trickle, silent; each host
# serves 3-5 ports in all.
TRUTH=$TMPD/truth.csv
awk -v seed="$SEED" -v base="$NETBASE" 'BEGIN {
	srand(seed)
	nr = split("22 80 443 2222 6379 8080 11211", real, " ")
	for (h = 0; h < 256; h++) {
		delete on
		hostile = ""
		if (h % 37 == 5) hostile = 2000
		else if (h % 37 == 17) hostile = 7000
		else if (h % 37 == 29) hostile = 9000
		k = 3 + int(rand() * 3) - (hostile != "")
		for (i = 1; i <= nr; i++) p[i] = real[i]
		for (i = 1; i <= k; i++) {   # partial Fisher-Yates
			j = i + int(rand() * (nr - i + 1))
			t = p[i]; p[i] = p[j]; p[j] = t
			on[p[i]] = 1
		}
		if (hostile != "") on[hostile] = 1
		n = split("22 80 443 2000 2222 6379 7000 8080 9000 11211", all, " ")
		for (i = 1; i <= n; i++)
			print base "." h "," all[i] "," ((all[i] in on) ? "open" : "closed")
	}
}' >"$TMPD/plan.csv" || die "cannot write the plan"
while IFS=, read -r host port state; do
	if [ "$state" = open ]; then
		echo "$host,$port,open,${SVC[$port]},${PROD[$port]:--},${VER[$port]:--}"
	else
		echo "$host,$port,closed,-,-,-"
	fi
done <"$TMPD/plan.csv" >"$TRUTH"
OPEN_TRUTH=$(grep -c ',open,' "$TRUTH")

# ---- testbed --------------------------------------------------------------
wan_up_veth || die "veth testbed failed"
wan_subnet "$NET" || die "subnet $NET failed"

# target_bg LOG CMD...: a server in T, killed by wan_down.
target_bg() {
	local log=$1
	shift
	wan_exec_target "$@" >"$log" 2>&1 &
	WAN_PIDS+=("$!")
}

ssh-keygen -q -t ed25519 -N '' -f "$TMPD/hostkey" || die "ssh-keygen failed"
# MaxStartups: sshd drops unauthenticated connections beyond 10 by
# default, and a scan holds ~250 at once; the truth is "it answers".
cat >"$TMPD/sshd_config" <<EOF
Port 22
Port 2222
ListenAddress 0.0.0.0
HostKey $PWD/$TMPD/hostkey
PidFile $PWD/$TMPD/sshd.pid
UsePAM no
MaxStartups 10000
LoginGraceTime 30
EOF
mkdir -p /run/sshd
target_bg "$TMPD/sshd.log" /usr/sbin/sshd -D -e -f "$PWD/$TMPD/sshd_config"
mkdir -p "$TMPD/www"
echo "ringscan banner bench" >"$TMPD/www/index.html"
# http.server's own handler and Server string, but a listen backlog of
# 4096 instead of socketserver's 5: a burst of SYNs (masscan does not
# retransmit) would otherwise overflow it and lose open ports for reasons
# that have nothing to do with banners.
for p in 80 8080; do
	target_bg "$TMPD/http$p.log" "$PY" -c '
import functools, http.server, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 4096
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
Server(("0.0.0.0", int(sys.argv[1])), h).serve_forever()
' "$p" "$TMPD/www"
done
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=bench.test" \
	-keyout "$TMPD/tls.key" -out "$TMPD/tls.crt" >/dev/null 2>&1 ||
	die "openssl req failed"
target_bg "$TMPD/tls.log" openssl s_server -quiet -www -accept 443 \
	-cert "$TMPD/tls.crt" -key "$TMPD/tls.key"
target_bg "$TMPD/redis.log" redis-server --port 6379 --bind 0.0.0.0 \
	--save '' --appendonly no --daemonize no --protected-mode no \
	--maxclients 10000 --dir "$PWD/$TMPD"
target_bg "$TMPD/memcached.log" memcached -u nobody -l 0.0.0.0 -p 11211 \
	-U 0 -c 4096
target_bg "$TMPD/hostile.log" "$PY" tests/helpers/hostile.py --bind 0.0.0.0 \
	--backlog 4096 --seconds 30 2000=junk 7000=trickle 9000=silent
n=0
for _ in $(seq 1 100); do
	n=$(wan_exec_target ss -Hltn |
		awk '{ sub(/.*:/, "", $4); print $4 }' | sort -u |
		grep -cxE '22|80|443|2000|2222|6379|7000|8080|9000|11211')
	[ "$n" -ge 10 ] && break
	sleep 0.1
done
[ "$n" -ge 10 ] || {
	tail -n 3 "$TMPD"/*.log >&2
	die "servers not listening after 10 s ($n of 10 ports)"
}

# Closed pairs: a reset from the input hook, before any socket is looked up.
{
	echo "add table inet rsbanners"
	echo "add set inet rsbanners closed { type ipv4_addr . inet_service; }"
	echo "add chain inet rsbanners input { type filter hook input priority -5; policy accept; }"
	echo "add rule inet rsbanners input ip daddr . tcp dport @closed reject with tcp reset"
	awk -F, '$3 == "closed" { printf "add element inet rsbanners closed { %s . %s }\n", $1, $2 }' "$TRUTH"
} >"$TMPD/plan.nft"
wan_exec_target nft -f "$TMPD/plan.nft" || die "nft rules failed"
# masscan answers ARP for its own source address, but T would queue its
# first SYN-ACKs behind that ARP exchange and drop those past the queue
# (a third of the open ports in a first try): the neighbour entry masscan
# would have given, set beforehand.
wan_exec_target ip neigh replace "$MASSCAN_SRC" dev "$WAN_IF_T" nud permanent \
	lladdr "$(wan_exec_scanner cat "/sys/class/net/$WAN_IF_S/address")" ||
	die "cannot set the neighbour entry for $MASSCAN_SRC"

# A check of the plan before anything is measured: one open and one closed
# pair answer as planned.
check_pair() {
	wan_exec_scanner timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}
read -r ho po < <(awk -F, '$3 == "open" && $2 == 22 { print $1, $2; exit }' "$TRUTH")
read -r hc pc < <(awk -F, '$3 == "closed" && $2 == 22 { print $1, $2; exit }' "$TRUTH")
check_pair "$ho" "$po" || die "$ho:$po should be open"
check_pair "$hc" "$pc" && die "$hc:$pc should be closed"

# ---- tools ----------------------------------------------------------------
# masscan twice: at 10k/s it lost about a quarter of the SYN-ACKs in
# tries here (no listen-queue drop in T; it does not retransmit), at 1k/s
# none.
MS=("masscan --banners --rate 10000" "masscan --banners --rate 1000")
TOOLS=("ringscan -sV" "ringscan --banners" "nmap -sV --version-light" "${MS[@]}")
declare -A KIND=(["ringscan -sV"]=ringscan ["ringscan --banners"]=ringscan
	["nmap -sV --version-light"]=nmap [${MS[0]}]=masscan [${MS[1]}]=masscan)
MASSCAN="masscan -e $WAN_IF_S --router-mac $(wan_target_mac) --adapter-ip $MASSCAN_SRC --banners --wait 5 -p $PORTS -oL {OUT}"
declare -A CMD=(
	["ringscan -sV"]="$RS -sV -p $PORTS --states open -oC {OUT} $NET"
	["ringscan --banners"]="$RS --banners -p $PORTS --states open -oC {OUT} $NET"
	["nmap -sV --version-light"]="nmap -sV --version-light -Pn -n -p $PORTS -oX {OUT} $NET"
	[${MS[0]}]="$MASSCAN --rate 10000 $NET"
	[${MS[1]}]="$MASSCAN --rate 1000 $NET"
)
declare -A TVER=(["ringscan -sV"]=$V_RS ["ringscan --banners"]=$V_RS
	["nmap -sV --version-light"]=$V_NMAP [${MS[0]}]=$V_MASSCAN
	[${MS[1]}]=$V_MASSCAN)

# bench_score KIND OUT -> one line "found missed false banners identifiable
# right none wrong" on stdout, and per-service lines "svc found banners
# right none wrong" into OUT.svc.
bench_score() {
	"$PY" - "$1" "$2" "$TRUTH" <<'EOF'
import csv, re, sys
import xml.etree.ElementTree as ET
kind, out, truth_file = sys.argv[1:4]
truth = {}
for host, port, state, svc, prod, ver in csv.reader(open(truth_file)):
    truth[(host, int(port))] = (state, svc, prod, ver)
got = {}  # (host, port) -> [banner, service, product, version]
try:
    if kind == "ringscan":
        for r in csv.DictReader(open(out, newline="")):
            if r["proto"] == "tcp" and r["state"] == "open":
                got[(r["host"], int(r["port"]))] = [
                    r.get("banner", ""), r.get("service", ""),
                    r.get("product", ""), r.get("version", "")]
    elif kind == "nmap":
        for h in ET.parse(out).getroot().iter("host"):
            addr = h.find("address").get("addr")
            for p in h.iter("port"):
                if p.find("state").get("state") != "open":
                    continue
                s = p.find("service")
                sc = p.find("script[@id='banner']")
                svc = prod = ver = ""
                if s is not None:
                    svc = s.get("name", "")
                    if s.get("tunnel"):
                        svc = s.get("tunnel") + "/" + svc
                    prod = s.get("product", "")
                    ver = s.get("version", "")
                # only with --script banner, which the row does not run
                ban = sc.get("output") if sc is not None else ""
                got[(addr, int(p.get("portid")))] = [ban, svc, prod, ver]
    elif kind == "masscan":
        for line in open(out, errors="replace"):
            f = line.split(None, 5)
            if len(f) >= 5 and f[0] == "open" and f[1] == "tcp":
                got.setdefault((f[3], int(f[2])), ["", "", "", ""])
            elif len(f) >= 6 and f[0] == "banner" and f[1] == "tcp":
                g = got.setdefault((f[3], int(f[2])), ["", "", "", ""])
                g[0] += f[5].strip()
                g[1] = g[1] or f[4]
except (OSError, ET.ParseError, KeyError, ValueError) as e:
    print("unreadable output %s: %s" % (out, e), file=sys.stderr)

def norm(s):
    return re.sub(r"[^a-z0-9]", "", s.lower())

def prod_ok(g, w):
    g, w = norm(g), norm(w)
    return bool(g) and (g.startswith(w) or w.startswith(g))

def ver_ok(g, w):
    return g.split()[0] == w if g.split() else False

found = missed = false = banners = ident = right = none = wrong = 0
per = {}
for key, (state, svc, prod, ver) in truth.items():
    if state != "open":
        if key in got:
            false += 1
        continue
    s = per.setdefault(svc, [0, 0, 0, 0, 0])
    if key not in got:
        missed += 1
        continue
    found += 1
    s[0] += 1
    ban, gsvc, gprod, gver = got[key]
    if ban:
        banners += 1
        s[1] += 1
    if prod == "-":
        if gprod:
            wrong += 1
            s[4] += 1
        continue
    ident += 1
    if not gprod:
        none += 1
        s[3] += 1
    elif prod_ok(gprod, prod) and (not gver or ver_ok(gver, ver)):
        # a product without a version is right as far as it goes
        right += 1
        s[2] += 1
    else:
        wrong += 1
        s[4] += 1
with open(out + ".svc", "w") as f:
    for svc, s in sorted(per.items()):
        print(svc, *s, file=f)
print(found, missed, false, banners, ident, right, none, wrong)
EOF
}

CSV=$RES/banners.csv.tmp
echo "mode,tool,run,hosts,ports,open_truth,wall_s,user_s,sys_s,cpu_s,max_rss_kb,open_found,open_missed,false_open,banners,identifiable,ident_right,ident_none,ident_wrong,listen_drops,exit_code,version,command" >"$CSV"

run_one() {
	local tool=$1 n=$2 id out cmd rc wall user sys rss cpu score ld0 ld1
	local drops
	id="${tool//[^A-Za-z0-9]/_}-$n"
	out=$TMPD/$id.out
	cmd=${CMD[$tool]//\{OUT\}/$out}
	[ "${KIND[$tool]}" = masscan ] && pinger_start
	ld0=$(wan_target_drops)
	# shellcheck disable=SC2086 # the command splits into words
	wan_exec_scanner /usr/bin/time -f '%e %U %S %M' -o "$TMPD/$id.time" \
		timeout -s INT -k 10 "$RUN_TIMEOUT" $cmd \
		>"$TMPD/$id.stdout" 2>"$TMPD/$id.stderr"
	rc=$?
	pinger_stop
	ld1=$(wan_target_drops)
	drops=$((${ld1:-0} - ${ld0:-0}))
	read -r wall user sys rss < <(tail -n 1 "$TMPD/$id.time")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	score=$(bench_score "${KIND[$tool]}" "$out")
	say "$tool run $n: ${wall}s exit $rc, $drops SYNs dropped by full listen queues; found missed false banners identifiable right none wrong: $score"
	printf '%s,%s,%s,256,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,"%s","%s"\n' \
		"$MODE" "$tool" "$n" "${PORTS//,/ }" "$OPEN_TRUTH" "$wall" \
		"$user" "$sys" "$cpu" "$rss" "${score// /,}" "$drops" "$rc" \
		"${TVER[$tool]}" "${cmd/$RS/ringscan}" >>"$CSV"
}

say "$NET x $PORTS: $OPEN_TRUTH open of 2560 (seed $SEED), $RUNS run(s) each"
for ((n = 1; n <= RUNS; n++)); do
	for tool in "${TOOLS[@]}"; do
		case " ${BENCH_BANNERS_ONLY:-ringscan nmap masscan} " in
		*" ${KIND[$tool]} "*) ;;
		*) continue ;;
		esac
		if [ -z "${TVER[$tool]}" ]; then
			[ "$n" = 1 ] && say "$tool: not installed, no row"
			continue
		fi
		run_one "$tool" "$n"
	done
done

# ---- summary --------------------------------------------------------------
median() {
	LC_ALL=C sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		if (NR % 2) m = v[(NR + 1) / 2]
		else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f\n", m }'
}
# col TOOL FIELD: that column of the tool's rows (the fields before the
# quoted version and command hold no comma).
col() {
	awk -F, -v t="$1" -v c="$2" 'NR > 1 && $2 == t { print $c }' "$CSV"
}
worst() { col "$1" "$2" | sort -g | tail -n 1; }
least() { col "$1" "$2" | sort -g | head -n 1; }

RS_WALL=$(col "ringscan -sV" 7 | median)
NMAP_WALL=$(col "nmap -sV --version-light" 7 | median)
RATIO=$(awk -v a="$NMAP_WALL" -v b="$RS_WALL" \
	'BEGIN { if (b > 0 && a > 0) printf "%.1f", a / b; else print "-" }')
RS_WRONG=$(worst "ringscan -sV" 19)

MDF=$RES/banners.md
{
	echo "$RUNS run(s) per tool, interleaved, $(date -u '+%Y-%m-%d %H:%M UTC')," \
		"\`bench/banners.sh $MODE\` ($([ "$MODE" = full ] && echo "make bench-banners" || echo "quick"))." \
		"Target: $NET (256 hosts) x ports $PORTS through a veth, one" \
		"server per service in the target namespace, an nft set resetting" \
		"the pairs a host does not serve: $OPEN_TRUTH open of 2560 (seed" \
		"$SEED, every host 3-5 open)."
	echo "Servers and truth: sshd (\`$SSH_BANNER\`) on 22 and 2222," \
		"python3 http.server (\`$HTTP_PROD/$HTTP_VER Python/$PY_VER\`) on" \
		"80 and 8080, \`openssl s_server -www\` (generated certificate) on" \
		"443, redis-server $REDIS_VER on 6379, memcached $MEMC_VER on" \
		"11211; hostile on a few hosts each: binary junk on 2000, one byte" \
		"a second on 7000, a silent accept on 9000."
	echo
	echo "Wall and CPU (user+sys) seconds: medians; missed/false open and" \
		"wrong identifications: the worst run's; found, banners and right" \
		"identifications: the worst (lowest) run's.  *Identified* counts" \
		"the $(awk -F, '$3 == "open" && $5 != "-"' "$TRUTH" | wc -l)" \
		"open ports whose server names a product (ssh, http, redis," \
		"memcached with their versions; s_server's page names \"OpenSSL" \
		"s_server\" without one): right / no product given / wrong" \
		"(another product or version; a product claimed for a hostile" \
		"port is wrong too).  *Banners*: open ports for which the tool" \
		"kept bytes from the server (nmap keeps none without \`--script" \
		"banner\`, hence -)."
	echo
	echo "| tool | wall s | vs ringscan -sV | CPU s | RSS MiB | open found | missed + false open | banners | identified right / none / wrong | exit |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for tool in "${TOOLS[@]}"; do
		[ -n "$(col "$tool" 7)" ] || {
			echo "| \`$tool\` | not run (missing, or left out by BENCH_BANNERS_ONLY) | | | | | | | | |"
			continue
		}
		wall=$(col "$tool" 7 | median)
		cpu=$(col "$tool" 10 | median)
		rss=$(col "$tool" 11 | median | awk '{ printf "%.1f", $1 / 1024 }')
		rel=$(awk -v a="$wall" -v b="$RS_WALL" \
			'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }')
		ids="-"
		bans=$(least "$tool" 15)
		[ "${KIND[$tool]}" = nmap ] && bans="-"
		[ "${KIND[$tool]}" = masscan ] ||
			ids="$(least "$tool" 17) / $(worst "$tool" 18) / $(worst "$tool" 19) of $(least "$tool" 16)"
		rcs=$(col "$tool" 21 | sort -u | tr '\n' ' ')
		echo "| \`$tool\` | $wall | $rel | $cpu | $rss | $(least "$tool" 12)/$OPEN_TRUTH | $(worst "$tool" 13) + $(worst "$tool" 14) | $bans | $ids | ${rcs% } |"
	done
	echo
	echo "Per service, last run of each tool (found / banner kept /" \
		"identified right / none / wrong):"
	echo
	printf '| service | open |'
	for tool in "${TOOLS[@]}"; do printf ' %s |' "\`$tool\`"; done
	echo
	printf '|---|---|'
	for tool in "${TOOLS[@]}"; do printf -- '---|'; done
	echo
	for svc in ssh http tls redis memcached junk trickle silent; do
		printf '| %s | %s |' "$svc" \
			"$(awk -F, -v s="$svc" '$3 == "open" && $4 == s' "$TRUTH" | wc -l)"
		for tool in "${TOOLS[@]}"; do
			f=$TMPD/${tool//[^A-Za-z0-9]/_}-$RUNS.out.svc
			cell=$(awk -v s="$svc" -v m="${KIND[$tool]}" '$1 == s {
				if (m == "masscan") print $2 " / " $3
				else if (m == "nmap") print $2 " / - / " $4 " / " $5 " / " $6
				else print $2 " / " $3 " / " $4 " / " $5 " / " $6 }' \
				"$f" 2>/dev/null)
			printf ' %s |' "${cell:--}"
		done
		echo
	done
	echo
	echo "**Issue 14's target** (banner grabbing over 256 x 10 at least 5x" \
		"faster than \`nmap -sV --version-light\`, no wrong identification)," \
		"this run: ringscan -sV ${RS_WALL} s vs nmap ${NMAP_WALL} s =" \
		"**${RATIO}x**, ${RS_WRONG:-?} wrong identification(s)."
	if [ "$(col "ringscan -sV" 17 | sort -g | tail -n 1)" = 0 ]; then
		echo
		echo "This ringscan gave no product for any port under -sV" \
			"(VERSION empty everywhere): identification (bannerid) and" \
			"TLS are not wired into its connect engine yet, so its -sV" \
			"rows measure banner grabbing only and the 5x target's" \
			"\"no wrong identification\" half is met vacuously."
	fi
	echo
	echo "Versions: ringscan $V_RS; ${V_NMAP:-nmap missing};" \
		"${V_MASSCAN:-masscan missing}.  Per-run rows with exact commands:" \
		"\`results/banners.csv\`."
} >"$MDF.tmp"
mv -f "$CSV" "$RES/banners.csv"
mv -f "$MDF.tmp" "$MDF"
cat "$MDF"

# Replace (or add, before "## Notes") the section in RESULTS.md.
if [ -z "${BENCH_BANNERS_NO_SPLICE:-}" ] && [ -f bench/RESULTS.md ]; then
	awk -v f="$MDF" '
	function section() {
		print "## 8. Banners and -sV (bench/banners.sh)\n"
		while ((getline l < f) > 0) print l
		print ""
		done = 1
	}
	/^## 8\. Banners and -sV / { section(); skip = 1; next }
	skip && /^## / { skip = 0 }
	skip { next }
	/^## Notes/ && !done { section() }
	{ print }
	END { if (!done) section() }' bench/RESULTS.md >bench/RESULTS.md.tmp &&
		mv -f bench/RESULTS.md.tmp bench/RESULTS.md
	say "updated the Banners section of bench/RESULTS.md"
fi
