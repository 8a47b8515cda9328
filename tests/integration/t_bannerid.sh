#!/usr/bin/env bash
# t_bannerid: bannerid names real servers by their own version strings,
# agrees with nmap -sV on the same bytes, and survives hostile listeners.
#
# In a private namespace: python3's http.server and memcached (if
# installed) - whose truth is their own version strings, asked of the
# packages (http.server's server_version and sys.version, memcached -V) -
# the identification of the installed OpenSSH (ssh -V; sshd itself need
# not be installed) and a replay listener that sends the published greetings of the
# servers not installed here (OpenSSH of several systems, Dropbear,
# vsftpd, ProFTPD, Pure-FTPd, Postfix, Exim, Sendmail, OpenSMTPD,
# Dovecot, MySQL/MariaDB greetings and refusals, VNC, telnetd, and HTTP
# servers answering a request), plus three hostile ones: binary
# junk, a trickle of a byte a second, and one that never speaks.  The
# helper bannergrab does the exchange and calls bannerid (the ring
# engine does it in a scan); each answer is checked against the table
# below, then against nmap -sV's XML for the same ports, field by field,
# where nmap names the service (skipped without nmap).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
tb_init
command -v python3 >/dev/null || tb_skip "python3 not installed"
[ -x "$HELPERS/bannergrab" ] || tb_fail "helper $HELPERS/bannergrab missing"

tb_netns bid
cat >"$TB_TMP/replay.py" <<'EOF'
# Loopback replay of published greetings (see t_bannerid.sh).
import socket, struct, sys, threading, time

def mysql(ver):
    body = (b'\x0a' + ver + b'\0' + struct.pack('<I', 42) + b'abcdefgh\0'
            + struct.pack('<HBHH', 0xf7ff, 0x21, 2, 0x81bf) + b'\x15'
            + b'\0' * 10 + b'ijklmnopqrst\0mysql_native_password\0')
    return struct.pack('<I', len(body))[:3] + b'\0' + body

def err(code, msg):
    body = b'\xff' + struct.pack('<H', code) + msg
    return struct.pack('<I', len(body))[:3] + b'\0' + body

GREET = {
    2201: b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n',
    2202: b'SSH-2.0-dropbear_2022.83\r\n',
    2203: b'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n',
    2204: b'SSH-1.99-OpenSSH_3.9p1\r\n',
    2101: b'220 (vsFTPd 3.0.3)\r\n',
    2102: b'220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n',
    2501: b'220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n',
    2502: b'220 mx.example.com ESMTP Exim 4.96 Sat, 05 Dec 2026 06:00:00 +0000\r\n',
    2503: b'220 mx.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, 5 Dec 2026 06:00:00 GMT\r\n',
    1101: b'+OK Dovecot (Debian) ready.\r\n',
    1431: b'* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n',
    3306: mysql(b'5.5.5-10.11.6-MariaDB-0+deb12u1'),
    3307: mysql(b'8.0.36'),
    3308: mysql(b'11.4.2-MariaDB-deb12'),
    5901: b'RFB 003.008\n',
    2301: b'\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27',
    2206: b'SSH-2.0-OpenSSH_9.3 FreeBSD-20230316\r\n',
    2207: b'SSH-2.0-OpenSSH_9.6p1 Raspbian-3\r\n',
    2103: b'220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n220-You are user number 1 of 50 allowed.\r\n220 This is a private system - No anonymous login\r\n',
    2504: b'220 mail.example.com ESMTP OpenSMTPD\r\n',
    1102: b'+OK Dovecot ready.\r\n',
    1432: b'* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n',
    3309: err(1130, b"Host '198.18.0.1' is not allowed to connect to this MySQL server"),
    3310: err(1130, b"Host '198.18.0.1' is not allowed to connect to this MariaDB server"),
    7001: b'\x00\x1b[2J\xff\xfe\x80junk\r\n\x07',
}
if len(sys.argv) > 1:  # the installed OpenSSH's own identification
    GREET[2205] = sys.argv[1].encode() + b'\r\n'
HTTP = {8081: b'nginx/1.22.1', 8082: b'Apache/2.4.57 (Debian)',
        8083: b'lighttpd/1.4.69', 8084: None, 8085: b'Microsoft-IIS/10.0',
        8086: b'Caddy', 8087: b'nginx/1.18.0 (Ubuntu)',
        8088: b'Apache/2.4.41 (Ubuntu) OpenSSL/1.1.1f',
        8089: b'openresty/1.21.4.1', 8091: b'Jetty(9.4.z-SNAPSHOT)'}
REDIS = 6379
TRICKLE, MUTE = 7002, 7003

def handle(c, port):
    try:
        c.settimeout(10)
        if port in GREET:
            c.sendall(GREET[port])
            c.recv(4096)
        elif port in HTTP:
            c.recv(4096)
            h = b'HTTP/1.1 200 OK\r\nDate: Sat, 05 Dec 2026 06:00:00 GMT\r\n'
            if HTTP[port]:
                h += b'Server: ' + HTTP[port] + b'\r\n'
            c.sendall(h + b'Content-Length: 0\r\nConnection: close\r\n\r\n')
        elif port == REDIS:
            if c.recv(4096).startswith(b'INFO'):
                info = b'# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n'
                c.sendall(b'$%d\r\n%s\r\n' % (len(info), info))
            else:
                c.sendall(b'-ERR unknown command\r\n')
        elif port == TRICKLE:
            for b in b'SSH-2.0-OpenSSH_9.2p1\r\n':
                c.sendall(bytes([b]))
                time.sleep(1)
        else:
            c.recv(4096)
    except Exception:
        pass
    c.close()

def serve(s, port):
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c, port), daemon=True).start()

for p in list(GREET) + list(HTTP) + [REDIS, TRICKLE, MUTE]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', p))
    s.listen(64)
    threading.Thread(target=serve, args=(s, p), daemon=True).start()
print('ready', flush=True)
threading.Event().wait()
EOF
# sshd sends "SSH-2.0-" and the version ssh -V prints (the same package
# source, OpenSSH's SSH_VERSION and Debian's SSH_EXTRAVERSION).
sshid=
if command -v ssh >/dev/null; then
	sshid=$(ssh -V 2>&1 | sed -n 's/^\(OpenSSH_[^,]*\),.*/\1/p')
fi
if [ -n "$sshid" ]; then
	tb_bg bid python3 "$TB_TMP/replay.py" "SSH-2.0-$sshid" \
		>"$TB_TMP/replay.out"
else
	tb_note "no ssh -V: the installed OpenSSH's banner not checked"
	tb_bg bid python3 "$TB_TMP/replay.py" >"$TB_TMP/replay.out"
fi
tb_bg bid python3 -m http.server 8000 --bind 127.0.0.1 \
	>/dev/null 2>&1
real=8000
if command -v memcached >/dev/null; then
	tb_bg bid memcached -l 127.0.0.1 -p 11211 -u nobody
	real="$real 11211"
else
	tb_note "memcached not installed: no real memcached checked"
fi
for _ in $(seq 50); do
	grep -q ready "$TB_TMP/replay.out" 2>/dev/null &&
		tb_run bid ss -ltn | grep -q ':8000 ' && break
	sleep 0.1
done
grep -q ready "$TB_TMP/replay.out" || tb_fail "replay listener did not start"

# The truth: port, then the fields tab-separated (service product version
# extrainfo hostname ostype), from the packages for the real servers.
pyver=$(python3 -c 'import sys; print(sys.version.split()[0])')
shver=$(python3 -c 'import http.server as h; print(h.SimpleHTTPRequestHandler.server_version.split("/")[1])')
{
	printf '8000\thttp\tSimpleHTTPServer\t%s\tPython %s\t\t\n' \
		"$shver" "$pyver"
	if [ -n "$sshid" ]; then
		# "OpenSSH_9.2p1 Debian-2+deb12u6": nmap's version is
		# "9.2p1 Debian 2+deb12u6", the distribution names the OS
		v=${sshid#OpenSSH_}
		case $v in
		*" Debian-"*)
			printf '2205\tssh\tOpenSSH\t%s\tprotocol 2.0\t\tLinux\n' \
				"${v/ Debian-/ Debian }"
			;;
		*" "*) ;; # another distribution: not in this table
		*) printf '2205\tssh\tOpenSSH\t%s\tprotocol 2.0\t\t\n' "$v" ;;
		esac
	fi
	case " $real " in *" 11211 "*)
		printf '11211\tmemcached\tMemcached\t%s\t\t\t\n' \
			"$(memcached -V | awk '{print $2}')"
		;;
	esac
	cat <<'EOF'
2201	ssh	OpenSSH	9.2p1 Debian 2+deb12u6	protocol 2.0		Linux
2202	ssh	Dropbear sshd	2022.83	protocol 2.0		
2203	ssh	OpenSSH	8.9p1 Ubuntu 3ubuntu0.1	Ubuntu Linux; protocol 2.0		Linux
2204	ssh	OpenSSH	3.9p1	protocol 1.99		
2206	ssh	OpenSSH	9.3	FreeBSD 20230316; protocol 2.0		FreeBSD
2207	ssh	OpenSSH	9.6p1 Raspbian 3	protocol 2.0		Linux
2101	ftp	vsftpd	3.0.3			
2103	ftp	Pure-FTPd				
2504	smtp	OpenSMTPD			mail.example.com	
1102	pop3	Dovecot pop3d				
1432	imap	Dovecot imapd				
3309	mysql	MySQL		unauthorized		
3310	mysql	MariaDB		unauthorized		
8087	http	nginx	1.18.0	Ubuntu		Linux
8088	http	Apache httpd	2.4.41	(Ubuntu) OpenSSL/1.1.1f		
8089	http	OpenResty web app server	1.21.4.1			
8091	http	Jetty	9.4.z-SNAPSHOT			
2102	ftp	ProFTPD	1.3.8			
2501	smtp	Postfix smtpd			mail.example.com	
2502	smtp	Exim smtpd	4.96		mx.example.com	
2503	smtp	Sendmail	8.17.1.9/8.17.1.9/Debian-2		mx.example.com	
1101	pop3	Dovecot pop3d				
1431	imap	Dovecot imapd				
3306	mysql	MySQL	5.5.5-10.11.6-MariaDB-0+deb12u1			
3307	mysql	MySQL	8.0.36			
3308	mysql	MariaDB	11.4.2-MariaDB-deb12			
5901	vnc	VNC		protocol 3.8		
2301	telnet	Linux telnetd				Linux
8081	http	nginx	1.22.1			
8082	http	Apache httpd	2.4.57	(Debian)		
8083	http	lighttpd	1.4.69			
8084	http					
8085	http	Microsoft IIS httpd	10.0			Windows
8086	http	Caddy httpd				
6379	redis	Redis key-value store	7.0.15			
7001						
7002						
7003						
EOF
} >"$TB_TMP/truth"

fail=0
while IFS= read -r row; do
	port=${row%%$'\t'*}
	start=$(date +%s%N)
	got=$(tb_run bid "$HELPERS/bannergrab" -t 1500 127.0.0.1 "$port") ||
		tb_fail "bannergrab 127.0.0.1 $port failed"
	ms=$((($(date +%s%N) - start) / 1000000))
	# the helper's deadline holds against trickling and mute servers
	[ "$ms" -lt 2500 ] || {
		echo "port $port: the exchange took ${ms} ms"
		fail=1
	}
	fields=$(printf '%s' "$got" | cut -f1-6)
	if [ "$port	$fields" != "$row" ]; then
		printf 'port %s:\n  got  %s\n  want %s\n' "$port" "$fields" \
			"${row#*$'\t'}"
		fail=1
	fi
	printf '%s\t%s\n' "$port" "$got" >>"$TB_TMP/ours"
done <"$TB_TMP/truth"
[ "$fail" = 0 ] || tb_fail "identification differs from the truth"
tb_log "  ok: $(wc -l <"$TB_TMP/truth") ports as the truth says"

# The junk listener's banner: every byte outside printable ASCII escaped.
junk=$(awk -F'\t' '$1 == 7001 { print $8 }' "$TB_TMP/ours")
[ "$junk" = '\x00\x1B[2J\xFF\xFE\x80junk\x0D\x0A\x07' ] ||
	tb_fail "junk banner escaped as '$junk'"

command -v nmap >/dev/null || tb_skip "nmap not installed: agreement not checked"
ports=$(cut -f1 "$TB_TMP/truth" | paste -sd,)
timeout 300 ip netns exec "$(tb_nsname bid)" nmap -sV -Pn -n -p "$ports" \
	-oX "$TB_TMP/nmap.xml" 127.0.0.1 >/dev/null ||
	tb_fail "nmap -sV failed"
python3 - "$TB_TMP/nmap.xml" >"$TB_TMP/nmap.rows" <<'EOF'
import sys, xml.etree.ElementTree as ET
for p in ET.parse(sys.argv[1]).iter('port'):
    s = p.find('service')
    if s is None or s.get('method') != 'probed':
        continue
    print('|'.join([p.get('portid')] + [s.get(k, '') for k in
                    ('name', 'product', 'version', 'extrainfo')]))
EOF
# Where nmap 7.93 names nothing (MariaDB 11, a Server field missing)
# there is nothing to agree
# with; where it names the service but no product (Dovecot saying
# "(Debian)") only the service is compared.  The hostile listeners are
# not compared: the trickle is cut by bannergrab's deadline on purpose,
# while nmap waits it out.  memcached's extrainfo is its uptime, from a
# stats request bannerid does not send.
agreed=0
# '|' separates (a tab is IFS white space: empty fields would merge).
while IFS='|' read -r port name product version extra; do
	case $port in 700[0-9]) continue ;; esac
	ours=$(awk -F'\t' -v p="$port" '$1 == p' "$TB_TMP/ours" |
		cut -f2-5 | tr '\t' '|')
	[ "$port" = 11211 ] && extra=$(printf '%s' "$ours" | cut -d'|' -f4)
	if [ -z "$product" ]; then
		ours="$(printf '%s' "$ours" | cut -d'|' -f1)|||"
	fi
	if [ "$ours" != "$name|$product|$version|$extra" ]; then
		printf 'port %s:\n  nmap     %s\n  bannerid %s\n' "$port" \
			"$name|$product|$version|$extra" "$ours"
		fail=1
	fi
	agreed=$((agreed + 1))
done <"$TB_TMP/nmap.rows"
[ "$fail" = 0 ] || tb_fail "bannerid disagrees with nmap -sV"
[ "$agreed" -ge 30 ] ||
	tb_fail "nmap identified only $agreed ports: the testbed is wrong"
tb_log "  ok: agrees with nmap -sV on all $agreed ports nmap identified"
