#!/usr/bin/env bash
# t_tlsprobe: the TLS probe over real sockets against a real TLS server.
# In a private namespace (loopback only), `openssl req -x509` makes an
# ECDSA certificate with known subject, SANs (DNS, IPv4, IPv6) and
# validity, and `openssl s_server` serves it on 127.0.0.1 (TLS 1.3, ALPN
# h2), on ::1 (TLS 1.2, no ALPN).  The helper tlsget drives tlsprobe
# through plain sockets the way the engine will through its ring, and
# every field it prints must match the certificate as `openssl x509`
# reads it back.  A listener that closes at once and one that answers
# with an SSH banner must fail the handshake with OpenSSL's reason, fast.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v openssl >/dev/null 2>&1 ||
	tb_skip "openssl not installed (scripts/install-deps.sh)"
command -v python3 >/dev/null 2>&1 || tb_skip "python3 not installed"
[ -x "$HELPERS/tlsget" ] || tb_fail "helper $HELPERS/tlsget missing"

CN=tls.ringscan.test
SANS="DNS:$CN,DNS:*.ringscan.test,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$TB_TMP/key.pem" -out "$TB_TMP/cert.pem" -days 400 \
	-subj "/O=ringscan test/CN=$CN" -addext "subjectAltName=$SANS" \
	>"$TB_TMP/req.log" 2>&1 || {
	cat "$TB_TMP/req.log" >&2
	tb_fail "openssl req could not make the certificate"
}
# The truth, as openssl x509 reads the certificate back.
iso()
{
	date -u -d "$(openssl x509 -in "$TB_TMP/cert.pem" -noout "-$1" |
		sed 's/^[^=]*=//')" +%Y-%m-%dT%H:%M:%SZ
}
NOT_BEFORE=$(iso startdate)
NOT_AFTER=$(iso enddate)

tb_netns tgt
tb_run tgt ip -6 addr show dev lo | grep -q '::1' ||
	tb_skip "no IPv6 on loopback (IPv6 disabled?)"

# serve NAME ACCEPT ARGS...: s_server in the namespace, listening on return.
serve()
{
	local name=$1 accept=$2
	shift 2
	tb_bg tgt openssl s_server -www -accept "$accept" \
		-cert "$TB_TMP/cert.pem" -key "$TB_TMP/key.pem" "$@" \
		</dev/null >"$TB_TMP/$name.log" 2>&1
	for _ in $(seq 1 100); do
		grep -q '^ACCEPT' "$TB_TMP/$name.log" && return 0
		sleep 0.05
	done
	cat "$TB_TMP/$name.log" >&2
	tb_fail "openssl s_server $name did not start"
}
serve tls13 127.0.0.1:8443 -tls1_3 -alpn h2,http/1.1
serve tls12 '[::1]:8444' -tls1_2

# check OUT KEY VALUE: tlsget printed KEY=VALUE.
check()
{
	local got
	got=$(sed -n "s/^$2=//p" "$1")
	[ "$got" = "$3" ] || tb_fail "$1: $2 is '$got', want '$3'"
}

out=$TB_TMP/tls13.out
timeout 20 ip netns exec "$(tb_nsname tgt)" "$HELPERS/tlsget" 127.0.0.1 8443 \
	"$CN" >"$out" || tb_fail "tlsget 127.0.0.1 8443 failed"
check "$out" version TLSv1.3
check "$out" alpn h2
check "$out" cipher TLS_AES_256_GCM_SHA384
check "$out" cn "$CN"
check "$out" issuer "CN=$CN,O=ringscan test"
check "$out" sans "DNS:$CN,DNS:*.ringscan.test,IP:127.0.0.1,IP:::1"
check "$out" not_before "$NOT_BEFORE"
check "$out" not_after "$NOT_AFTER"
check "$out" self_signed yes

out=$TB_TMP/tls12.out
timeout 20 ip netns exec "$(tb_nsname tgt)" "$HELPERS/tlsget" ::1 8444 \
	>"$out" || tb_fail "tlsget ::1 8444 failed"
check "$out" version TLSv1.2
check "$out" alpn ""
check "$out" cipher TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
check "$out" cn "$CN"
check "$out" not_after "$NOT_AFTER"

# Not TLS: closed at once; an SSH banner.  Both fail, with a reason.
tb_listen tgt "127.0.0.1:8445"
tb_bg tgt python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8446))
s.listen()
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
    c.recv(4096)
    c.close()
' >"$TB_TMP/ssh.out" 2>&1
for _ in $(seq 1 100); do
	grep -qx ready "$TB_TMP/ssh.out" && break
	sleep 0.05
done
for port in 8445 8446; do
	rc=0
	timeout 20 ip netns exec "$(tb_nsname tgt)" "$HELPERS/tlsget" \
		127.0.0.1 "$port" >"$TB_TMP/not.out" 2>"$TB_TMP/not.err" ||
		rc=$?
	[ "$rc" = 1 ] || tb_fail "tlsget on non-TLS port $port: exit $rc, want 1"
	[ -s "$TB_TMP/not.out" ] && tb_fail "tlsget on port $port printed fields"
	grep -q 'handshake failed' "$TB_TMP/not.err" ||
		tb_fail "port $port: no reason: $(cat "$TB_TMP/not.err")"
done
grep -q 'wrong version number' "$TB_TMP/not.err" ||
	tb_fail "SSH banner: $(cat "$TB_TMP/not.err")"
tb_log "TLS 1.3 and 1.2 over loopback match the certificate; non-TLS fails"
