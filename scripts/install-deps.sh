#!/usr/bin/env bash
#
# install-deps.sh - install every Debian package that ringscan's build, its
# tests and its CLI need.  Idempotent and quiet: when everything is already
# installed it touches nothing (not even the package lists); otherwise it
# refreshes the lists if they are missing or older than a day, installs
# what is missing without recommends, and on failure prints apt's output
# and exits non-zero.  Needs root: re-runs itself with sudo when possible.

set -euo pipefail

PACKAGES=(
	build-essential make pkg-config	# compiler, make
	liburing-dev			# io_uring scanner core
	libmnl-dev			# netlink helpers (audit: sock_diag)
	libxdp-dev libbpf-dev		# SYN scan: AF_XDP sockets, XDP loading
	libcap-ng-dev			# SYN scan: dropping capabilities after setup
	clang llvm linux-libc-dev	# SYN scan: the XDP program (clang -target bpf)
	libclang-rt-14-dev		# make fuzz: libFuzzer and the sanitizer runtimes
	zlib1g-dev			# checkpoint checksums (crc32)
	libsqlite3-dev			# --sqlite output
	libssl-dev			# TLS probes: handshakes through OpenSSL
	openssl				# t_tlsprobe: a certificate and s_server
	sqlite3				# t_sqlite: the README's queries
	libcmocka-dev			# unit tests
	nmap				# t_nmap_agree, benchmarks
	libxml2-utils			# t_xml: xmllint --dtdvalid
	ndiff				# t_xml: nmap's XML differ
	nftables			# testbed: filtered ports
	dnsmasq-base python3		# t_udp: a real DNS server, a UDP responder
	openssh-server redis-server	# t_banners: real servers to read banners from
	memcached			# t_banners: a cache that answers "version"
	python3-libnmap			# t_banners: a library that reads nmap XML
	unhide net-tools		# audit: t_audit_unhide, netstat captures, bench
	iproute2			# testbed: ip netns, ss
	procps util-linux coreutils	# ps, kill, timeout, env
	diffutils gawk			# test comparisons
	clang-format			# make format / format-check
	mandoc man-db groff-base	# t_man: man pages linted (mandoc -T lint) and rendered
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) ||
		status=
	[ "$status" = installed ] || missing+=("$pkg")
done
[ "${#missing[@]}" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -n -- bash "$0" "$@"
	fi
	echo "install-deps.sh: missing packages: ${missing[*]}; run as root" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/install-deps.XXXXXX)
trap 'rm -f "$log"' EXIT

# Refresh the lists if none are there or the newest is over a day old.
lists=/var/lib/apt/lists
if [ -z "$(find "$lists" -maxdepth 1 -name '*_Packages*' -mtime -1 \
	-print -quit 2>/dev/null)" ]; then
	if ! apt-get update -qq >"$log" 2>&1; then
		cat "$log" >&2
		echo "install-deps.sh: apt-get update failed" >&2
		exit 1
	fi
fi

# Servers installed for the tests (sshd, redis, memcached) must not start as
# daemons: without a policy of the machine's own, one that refuses every
# start is in place for the install and removed after it.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$log" "$policy"' EXIT
fi

echo "install-deps.sh: installing ${missing[*]}"
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" \
	>"$log" 2>&1 </dev/null; then
	cat "$log" >&2
	echo "install-deps.sh: apt-get install failed" >&2
	exit 1
fi
# A systemd machine may start units apart from invoke-rc.d: stop and
# disable the test servers' units, only if this run installed them (a
# machine's own sshd, say, is left alone); the tests start their own, in
# namespaces.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	for pkg in "${missing[@]}"; do
		case $pkg in
		openssh-server) units="ssh.service ssh.socket" ;;
		redis-server) units="redis-server.service" ;;
		memcached) units="memcached.service" ;;
		*) continue ;;
		esac
		# shellcheck disable=SC2086 # one unit a word
		systemctl disable --now $units >/dev/null 2>&1 || true
	done
fi
