#!/usr/bin/env bash
#
# udppayload.sh - send each UDP probe payload (src/scan/udppayload.c) to a
# real server for its protocol and check the server's answer.
#
#   make tests && tests/live/udppayload.sh        (as root)
#
# The unit test checks the payloads against the specifications as read by
# its own parsers; this checks them against implementations: a payload
# that a real server ignores fails here even if it parses.  Each reply is
# checked to be the protocol's answer and to echo the transaction ID
# derived from the cookie (where the protocol has one), which is what an
# engine validating replies will rely on.
#
# Everything runs inside a network namespace of its own (unshare -n) with
# only loopback - plus a veth pair holding 198.18.0.1/24, because tftpd
# resolves its address with AI_ADDRCONFIG, which ignores loopback - and a
# private mount namespace with a tmpfs on /run for the daemons' pid files
# and sockets.  Nothing leaves the machine, and the daemons end with the
# script.
#
# Not part of `make test`: the servers come from Debian packages that
# install-deps.sh does not install, because on an ordinary Debian host
# installing some of them (chrony, snmpd, rpcbind, tftpd-hpa) starts a
# system service.  A server whose program is missing is skipped and named
# with its package; the script fails if any server present fails, and
# exits 77 if none was present.  The packages, for a full run:
#   dnsmasq-base memcached chrony snmpd rpcbind tftpd-hpa coturn openvpn
#   openssl strongswan-charon
# (checked with Debian 12's versions).  Protocols with no quick Debian
# server (mDNS, NetBIOS-NS, SSDP, SIP, CLDAP, MS-SQL browser, QUIC) are
# covered by the unit test only.

set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PROBE=$BUILD/helpers/udpprobe
COOKIE=${COOKIE:-0x5eed1234}

if [ "$(id -u)" != 0 ]; then
	echo "udppayload.sh: needs root (network namespaces, daemons on port < 1024)" >&2
	exit 2
fi
if [ ! -x "$PROBE" ]; then
	echo "udppayload.sh: $PROBE missing: run 'make tests' first" >&2
	exit 2
fi
if [ -z "${UDPPAYLOAD_NS:-}" ]; then
	UDPPAYLOAD_NS=1 exec unshare -n -m -- "$0" "$@"
fi

mount -t tmpfs udppayload /run || exit 2
ip link set lo up || exit 2
ip link add rsup0 type veth peer name rsup1 &&
	ip addr add 198.18.0.1/24 dev rsup0 &&
	ip link set rsup0 up && ip link set rsup1 up || exit 2

D=$(mktemp -d /tmp/udppayload.XXXXXX) || exit 2
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

pass=0 fail=0 skip=0

# Wait up to 10 s for something to be bound to UDP port $1.
wait_udp() {
	local i
	for i in $(seq 100); do
		[ -n "$(ss -Hlun "sport = :$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# have PROGRAM PACKAGE: whether the server is installed; a skip if not.
have() {
	if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then
		return 0
	fi
	echo "SKIP $1: not installed (Debian package $2)"
	skip=$((skip + 1))
	return 1
}

# start NAME PORT COMMAND...: run a daemon in the background until the
# script ends; false (and a failure) if it never binds PORT.
start() {
	local name=$1 port=$2
	shift 2
	"$@" >"$D/$name.log" 2>&1 &
	PIDS+=($!)
	if ! wait_udp "$port"; then
		echo "FAIL $name: the server never bound udp/$port:"
		sed 's/^/    /' "$D/$name.log" | tail -5
		fail=$((fail + 1))
		return 1
	fi
}

# probe NAME PORT CHECK: send the port's payload, then run CHECK (a
# function) with ID, FROM and REPLY set; its stdout is the reason it fails.
probe() {
	local name=$1 port=$2 check=$3 out why
	if ! out=$("$PROBE" 127.0.0.1 "$port" "$COOKIE" 3000 2>&1); then
		echo "FAIL $name (udp/$port): $out"
		fail=$((fail + 1))
		return
	fi
	ID=$(sed -n 's/^id //p' <<<"$out")
	FROM=$(sed -n 's/^from //p' <<<"$out")
	REPLY=$(sed -n 's/^reply //p' <<<"$out")
	why=$($check)
	if [ -n "$why" ]; then
		echo "FAIL $name (udp/$port): $why; reply $REPLY"
		fail=$((fail + 1))
	else
		echo "ok   $name (udp/$port): ${#REPLY} hex digits back"
		pass=$((pass + 1))
	fi
}

# The byte at offset $1 of the reply, as a number.
byte() {
	echo $((16#${REPLY:$(($1 * 2)):2}))
}

# RFC 1035 4.1.1: the query's ID, QR set.
check_dns() {
	[ "${REPLY:0:4}" = "${ID:0:4}" ] || echo "ID not echoed"
	[ $(($(byte 2) & 0x80)) = 128 ] || echo "not a response"
}

# memcached protocol.txt: the request ID, then "VERSION ".
check_memcached() {
	[ "${REPLY:0:4}" = "${ID:0:4}" ] || echo "request ID not echoed"
	[[ ${REPLY:16} == 56455253494f4e20* ]] || echo "no VERSION line"
}

# RFC 5905: server mode (4), origin timestamp = our transmit timestamp.
check_ntp() {
	[ $(($(byte 0) & 7)) = 4 ] || echo "not server mode"
	[ "${REPLY:48:16}" = "${ID:0:16}" ] || echo "origin timestamp is not ours"
}

# RFC 1157: GetResponse-PDU (0xa2) with our request-id (ID bytes 0-3,
# the first forced into 0x40-0x7f), noError, and sysDescr.0's value.
check_snmp() {
	local rid
	rid=$(printf '%02x' $(((16#${ID:0:2} & 0x3f) | 0x40)))${ID:2:6}
	[[ $REPLY == *a2*"0204${rid}020100020100"* ]] ||
		echo "no GetResponse with our request-id and noError"
	[[ $REPLY == *06082b0601020101010004* ]] ||
		echo "no sysDescr.0 string"
}

# RFC 5531 9: our xid, REPLY, MSG_ACCEPTED, AUTH_NONE verifier, SUCCESS.
check_rpc() {
	[ "${REPLY:0:8}" = "${ID:0:8}" ] || echo "xid not echoed"
	[ "${REPLY:8:40}" = "0000000100000000000000000000000000000000" ] ||
		echo "not an accepted successful reply"
}

# RFC 1350: an ERROR (5) "file not found" (1), from a port of its own.
check_tftp() {
	[ "$FROM" != 69 ] || echo "answered from port 69, not a new TID"
	[ "${REPLY:0:8}" = 00050001 ] || echo "not ERROR 1 (file not found)"
}

# RFC 8489: a Binding success response (0x0101) with our transaction ID.
check_stun() {
	[ "${REPLY:0:4}" = 0101 ] || echo "not a Binding success response"
	[ "${REPLY:8:8}" = 2112a442 ] || echo "no magic cookie"
	[ "${REPLY:16:24}" = "${ID:0:24}" ] || echo "transaction ID not echoed"
}

# OpenVPN: P_CONTROL_HARD_RESET_SERVER_V2 (8) acking our session ID.
check_openvpn() {
	[ $(($(byte 0) >> 3)) = 8 ] || echo "not P_CONTROL_HARD_RESET_SERVER_V2"
	[[ $REPLY == *"${ID:0:16}"* ]] || echo "our session ID is not acked"
}

# RFC 2408 3.1: an ISAKMP message with our initiator cookie (a
# NO-PROPOSAL-CHOSEN notification: the server has no connection for us).
check_ike() {
	[ "${REPLY:0:16}" = "${ID:0:16}" ] || echo "initiator cookie not echoed"
	[ "${REPLY:34:2}" = 10 ] || echo "not ISAKMP version 1.0"
}

# RFC 3948 2.2: the same after the non-ESP marker.
check_ike_natt() {
	[ "${REPLY:0:8}" = 00000000 ] || echo "no non-ESP marker"
	REPLY=${REPLY:8}
	check_ike
}

if have dnsmasq dnsmasq-base &&
	start dnsmasq 53 dnsmasq --no-daemon --no-resolv --no-hosts \
		--listen-address=127.0.0.1 --bind-interfaces --port=53 \
		--user=root --pid-file="$D/dnsmasq.pid"; then
	probe dns 53 check_dns
fi

if have memcached memcached &&
	start memcached 11211 memcached -U 11211 -p 0 -l 127.0.0.1 -u root; then
	probe memcached 11211 check_memcached
fi

if have chronyd chrony; then
	printf '%s\n' 'allow 127.0.0.1' 'bindaddress 127.0.0.1' 'port 123' \
		'cmdport 0' "pidfile $D/chronyd.pid" 'local stratum 10' \
		>"$D/chrony.conf"
	start chronyd 123 chronyd -d -x -u root -f "$D/chrony.conf" &&
		probe ntp 123 check_ntp
fi

if have snmpd snmpd; then
	echo 'rocommunity public 127.0.0.1' >"$D/snmpd.conf"
	start snmpd 161 snmpd -f -Lo -C -c "$D/snmpd.conf" \
		-p "$D/snmpd.pid" udp:127.0.0.1:161 &&
		probe snmp 161 check_snmp
fi

if have rpcbind rpcbind; then
	mkdir -p /run/rpcbind
	start rpcbind 111 rpcbind -f -w && probe portmapper 111 check_rpc
fi

if have in.tftpd tftpd-hpa; then
	mkdir -p "$D/tftp"
	start tftpd 69 in.tftpd -L -u root -a 127.0.0.1:69 -s "$D/tftp" &&
		probe tftp 69 check_tftp
fi

if have turnserver coturn &&
	start turnserver 3478 turnserver -n --listening-ip=127.0.0.1 \
		--listening-port=3478 --no-tls --no-dtls --no-cli --stun-only \
		--db="$D/turndb" --log-file=stdout; then
	probe stun 3478 check_stun
fi

if have openvpn openvpn && have openssl openssl; then
	if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$D/key.pem" -out "$D/cert.pem" -days 2 \
		-subj /CN=udppayload >"$D/openssl.log" 2>&1; then
		start openvpn 1194 openvpn --tls-server --dev null --proto udp4 \
			--local 127.0.0.1 --port 1194 --ca "$D/cert.pem" \
			--cert "$D/cert.pem" --key "$D/key.pem" --dh none \
			--verb 1 &&
			probe openvpn 1194 check_openvpn
	else
		echo "FAIL openvpn: could not make a certificate:"
		sed 's/^/    /' "$D/openssl.log" | tail -5
		fail=$((fail + 1))
	fi
fi

CHARON=
for c in /usr/lib/ipsec/charon /usr/libexec/ipsec/charon; do
	[ -x "$c" ] && CHARON=$c && break
done
if have "${CHARON:-charon}" strongswan-charon &&
	start charon 500 "$CHARON" && wait_udp 4500; then
	probe ike 500 check_ike
	probe ike-nat-t 4500 check_ike_natt
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] || exit 1
[ "$pass" -gt 0 ] || exit 77
exit 0
