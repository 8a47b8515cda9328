/*
 * test_bannerid.c - services told from greetings, and hostile greetings.
 *
 * The truth for the real banners: the Debian packages' own version
 * strings (`ssh -V` here gives "OpenSSH_9.2p1 Debian-2+deb12u6", which
 * sshd sends after "SSH-2.0-"), bytes captured from the servers installed
 * here on loopback (python3 -m http.server answering our HEAD probe,
 * memcached answering "version"), and the published greetings of the
 * others.  The expected names are what `nmap -sV` 7.93 printed for the
 * same bytes replayed by a loopback listener.
 *
 * Every input is handed over in a guarded copy (guard.h): its last byte
 * sits before a PROT_NONE page, so a read past len faults.  Each real
 * banner is also fed cut at every length, where the identification may
 * lose detail but never say something the whole banner does not; random
 * bytes and mutated banners check that whatever comes back is a clean
 * record (NUL-terminated, printable, empty on -ENOENT).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bannerid.h"
#include "guard.h"

struct want {
	const char *name;
	const char *bytes;
	size_t len; /* 0: strlen(bytes) */
	uint16_t port;
	int rc;
	const char *service, *product, *version, *extrainfo, *hostname, *ostype;
};

#define MYSQL_HS(ver)                                                  \
	"\x0a" ver "\0"                                                \
	"\x2a\0\0\0"                                                   \
	"abcdefgh\0\xff\xf7\x21\x02\0\xbf\x81\x15\0\0\0\0\0\0\0\0\0\0" \
	"ijklmnopqrst\0mysql_native_password"
/*
 * A 4-byte header then the payload, whose last byte is the literal's own
 * NUL (the end of "mysql_native_password"): each packet is the whole
 * array, sizeof bytes, and its payload sizeof - 4 (checked below).
 */
static const char mariadb[] =
	"\x63\0\0\0" MYSQL_HS("5.5.5-10.11.6-MariaDB-0+deb12u1");
static const char mariadb11[] = "\x58\0\0\0" MYSQL_HS("11.4.2-MariaDB-deb12");
static const char mysql8[] = "\x4a\0\0\0" MYSQL_HS("8.0.36");

static const struct want cases[] = {
	{ "openssh debian", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\r\n", 0, 22,
	  0, "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u6", "protocol 2.0", "",
	  "Linux" },
	{ "openssh ubuntu", "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n", 0,
	  22, 0, "ssh", "OpenSSH", "8.9p1 Ubuntu 3ubuntu0.1",
	  "Ubuntu Linux; protocol 2.0", "", "Linux" },
	{ "openssh 1.99", "SSH-1.99-OpenSSH_3.9p1\r\n", 0, 2222, 0, "ssh",
	  "OpenSSH", "3.9p1", "protocol 1.99", "", "" },
	{ "dropbear", "SSH-2.0-dropbear_2022.83\r\n", 0, 22, 0, "ssh",
	  "Dropbear sshd", "2022.83", "protocol 2.0", "", "" },
	{ "ssh other", "SSH-2.0-libssh_0.10.4\r\n", 0, 22, 0, "ssh", "libssh",
	  "0.10.4", "protocol 2.0", "", "" },
	{ "ssh freebsd", "SSH-2.0-OpenSSH_9.3 FreeBSD-20230316\r\n", 0, 22, 0,
	  "ssh", "OpenSSH", "9.3", "FreeBSD 20230316; protocol 2.0", "",
	  "FreeBSD" },
	{ "ssh raspbian", "SSH-2.0-OpenSSH_9.6p1 Raspbian-3\r\n", 0, 22, 0,
	  "ssh", "OpenSSH", "9.6p1 Raspbian 3", "protocol 2.0", "", "Linux" },
	{ "ssh other comment",
	  "SSH-2.0-OpenSSH_9.0 NetBSD_Secure_Shell-20220604\r\n", 0, 22, 0,
	  "ssh", "OpenSSH", "9.0", "NetBSD_Secure_Shell-20220604; protocol 2.0",
	  "", "" },
	{ "ssh LF only", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6\n", 0, 22, 0,
	  "ssh", "OpenSSH", "9.2p1 Debian 2+deb12u6", "protocol 2.0", "",
	  "Linux" },
	{ "ssh after text lines",
	  "Welcome to the gateway\r\nSSH-2.0-OpenSSH_9.2p1\r\n", 0, 22, 0,
	  "ssh", "OpenSSH", "9.2p1", "protocol 2.0", "", "" },
	{ "python http.server (captured)",
	  "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.7\r\n"
	  "Date: Sat, 05 Dec 2026 06:39:22 GMT\r\nContent-type: text/html; "
	  "charset=utf-8\r\nContent-Length: 382\r\n\r\n",
	  0, 8000, 0, "http", "SimpleHTTPServer", "0.6", "Python 3.11.7", "",
	  "" },
	{ "nginx", "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: x\r\n\r\n",
	  0, 80, 0, "http", "nginx", "1.22.1", "", "", "" },
	{ "apache debian",
	  "HTTP/1.1 200 OK\r\nDate: x\r\nServer: Apache/2.4.57 (Debian)\r\n"
	  "\r\n",
	  0, 80, 0, "http", "Apache httpd", "2.4.57", "(Debian)", "", "" },
	{ "apache no version",
	  "HTTP/1.1 403 Forbidden\r\nserver: Apache\r\n\r\n", 0, 80, 0, "http",
	  "Apache httpd", "", "", "", "" },
	{ "lighttpd LF only", "HTTP/1.1 200 OK\nServer: lighttpd/1.4.69\n\n", 0,
	  80, 0, "http", "lighttpd", "1.4.69", "", "", "" },
	{ "nginx ubuntu",
	  "HTTP/1.1 200 OK\r\nServer: nginx/1.18.0 (Ubuntu)\r\n\r\n", 0, 80, 0,
	  "http", "nginx", "1.18.0", "Ubuntu", "", "Linux" },
	{ "apache ubuntu openssl",
	  "HTTP/1.1 200 OK\r\nServer: Apache/2.4.41 (Ubuntu) "
	  "OpenSSL/1.1.1f\r\n\r\n",
	  0, 80, 0, "http", "Apache httpd", "2.4.41", "(Ubuntu) OpenSSL/1.1.1f",
	  "", "" },
	{ "openresty", "HTTP/1.1 200 OK\r\nServer: openresty/1.21.4.1\r\n\r\n",
	  0, 80, 0, "http", "OpenResty web app server", "1.21.4.1", "", "",
	  "" },
	{ "jetty", "HTTP/1.1 200 OK\r\nServer: Jetty(9.4.z-SNAPSHOT)\r\n\r\n",
	  0, 8080, 0, "http", "Jetty", "9.4.z-SNAPSHOT", "", "", "" },
	{ "unclosed parenthesis", "HTTP/1.1 200 OK\r\nServer: Foo(1.0\r\n\r\n",
	  0, 8080, 0, "http", "Foo", "", "", "", "" },
	{ "iis", "HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\n\r\n", 0, 80,
	  0, "http", "Microsoft IIS httpd", "10.0", "", "", "Windows" },
	{ "caddy", "HTTP/1.1 200 OK\r\nServer: Caddy\r\n\r\n", 0, 80, 0, "http",
	  "Caddy httpd", "", "", "", "" },
	{ "http no server",
	  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nServer: body/1\r\n", 0,
	  80, 0, "http", "", "", "", "", "" },
	{ "vsftpd", "220 (vsFTPd 3.0.3)\r\n", 0, 21, 0, "ftp", "vsftpd",
	  "3.0.3", "", "", "" },
	{ "proftpd", "220 ProFTPD 1.3.8 Server (Debian) [::ffff:127.0.0.1]\r\n",
	  0, 21, 0, "ftp", "ProFTPD", "1.3.8", "", "", "" },
	{ "pure-ftpd multiline",
	  "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n"
	  "220-You are user number 1 of 50 allowed.\r\n"
	  "220 This is a private system - No anonymous login\r\n",
	  0, 2121, 0, "ftp", "Pure-FTPd", "", "", "", "" },
	{ "ftp multiline, RFC 959 style",
	  "220-Welcome\r\n to the FTP service\r\n220 ready\r\n", 0, 2100, 0,
	  "ftp", "", "", "", "", "" },
	{ "smtp multiline, ESMTP ending a line",
	  "220-mx.example.com ESMTP\r\n220 ready\r\n", 0, 2100, 0, "smtp", "",
	  "", "", "mx.example.com", "" },
	{ "multiline cut before its last line", "220-Welcome\r\n", 0, 21,
	  -ENOENT, "", "", "", "", "", "" },
	{ "filezilla",
	  "220-FileZilla Server 1.8.0\r\n220 Please visit "
	  "https://filezilla-project.org/\r\n",
	  0, 2100, 0, "ftp", "FileZilla ftpd", "1.8.0", "", "", "" },
	{ "ftp with its host name", "220 ftp.example.com FTP server ready\r\n",
	  0, 2100, 0, "ftp", "", "", "", "ftp.example.com", "" },
	{ "opensmtpd", "220 mail.example.com ESMTP OpenSMTPD\r\n", 0, 25, 0,
	  "smtp", "OpenSMTPD", "", "", "mail.example.com", "" },
	{ "postfix", "220 mail.example.com ESMTP Postfix (Debian/GNU)\r\n", 0,
	  25, 0, "smtp", "Postfix smtpd", "", "", "mail.example.com", "" },
	{ "exim",
	  "220 mx.example.com ESMTP Exim 4.96 Sat, 05 Dec 2026 06:00:00 "
	  "+0000\r\n",
	  0, 25, 0, "smtp", "Exim smtpd", "4.96", "", "mx.example.com", "" },
	{ "sendmail",
	  "220 mx.example.com ESMTP Sendmail 8.17.1.9/8.17.1.9/Debian-2; Sat, "
	  "5 Dec 2026 06:00:00 GMT\r\n",
	  0, 587, 0, "smtp", "Sendmail", "8.17.1.9/8.17.1.9/Debian-2", "",
	  "mx.example.com", "" },
	{ "smtp on an odd port, by its ESMTP", "220 ftp.example.com ESMTP\r\n",
	  0, 21, 0, "smtp", "", "", "", "ftp.example.com", "" },
	{ "bare 220 on 21", "220 Welcome\r\n", 0, 21, 0, "ftp", "", "", "", "",
	  "" },
	{ "bare 220 on 25", "220 Welcome\r\n", 0, 25, 0, "smtp", "", "", "",
	  "Welcome", "" },
	{ "bare 220 elsewhere", "220 Welcome\r\n", 0, 80, -ENOENT, "", "", "",
	  "", "", "" },
	{ "dovecot pop3", "+OK Dovecot (Debian) ready.\r\n", 0, 110, 0, "pop3",
	  "Dovecot pop3d", "", "", "", "" },
	{ "dovecot pop3 plain", "+OK Dovecot ready.\r\n", 0, 110, 0, "pop3",
	  "Dovecot pop3d", "", "", "", "" },
	{ "pop3", "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
	  0, 110, 0, "pop3", "", "", "", "", "" },
	{ "dovecot imap",
	  "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
	  "LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
	  0, 143, 0, "imap", "Dovecot imapd", "", "", "", "" },
	{ "mariadb 10", mariadb, sizeof(mariadb), 3306, 0, "mysql", "MySQL",
	  "5.5.5-10.11.6-MariaDB-0+deb12u1", "", "", "" },
	{ "mariadb 11", mariadb11, sizeof(mariadb11), 3306, 0, "mysql",
	  "MariaDB", "11.4.2-MariaDB-deb12", "", "", "" },
	{ "mysql 8", mysql8, sizeof(mysql8), 3306, 0, "mysql", "MySQL",
	  "8.0.36", "", "", "" },
	{ "mysql host not allowed",
	  "\x45\0\0\0\xff\x6a\x04Host '198.18.0.1' is not allowed to connect "
	  "to this MariaDB server",
	  73, 3306, 0, "mysql", "MariaDB", "", "unauthorized", "", "" },
	{ "mysql host not allowed (MySQL)",
	  "\x43\0\0\0\xff\x6a\x04Host '198.18.0.1' is not allowed to connect "
	  "to this MySQL server",
	  71, 3306, 0, "mysql", "MySQL", "", "unauthorized", "", "" },
	{ "courier imap",
	  "* OK [CAPABILITY IMAP4rev1 UIDPLUS IDLE STARTTLS] Courier-IMAP ready. "
	  "Copyright 1998-2018 Double Precision, Inc.\r\n",
	  0, 143, 0, "imap", "Courier Imapd", "", "", "", "" },
	{ "vnc", "RFB 003.008\n", 0, 5900, 0, "vnc", "VNC", "", "protocol 3.8",
	  "", "" },
	{ "telnet netkit", "\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27",
	  0, 23, 0, "telnet", "Linux telnetd", "", "", "", "Linux" },
	{ "telnet other", "\xff\xfb\x01\xff\xfb\x03\xff\xfd\x1f", 0, 23, 0,
	  "telnet", "", "", "", "", "" },
	{ "redis info",
	  "$3920\r\n# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n",
	  0, 6379, 0, "redis", "Redis key-value store", "7.0.15", "", "", "" },
	{ "redis noauth", "-NOAUTH Authentication required.\r\n", 0, 6379, 0,
	  "redis", "Redis key-value store", "", "", "", "" },
	{ "redis to http",
	  "-ERR unknown command 'HEAD', with args beginning with: '/' "
	  "'HTTP/1.1' \r\n",
	  0, 8080, 0, "redis", "Redis key-value store", "", "", "", "" },
	{ "-ERR elsewhere", "-ERR go away\r\n", 0, 110, -ENOENT, "", "", "", "",
	  "", "" },
	{ "memcached (captured)", "VERSION 1.6.18\r\n", 0, 11211, 0,
	  "memcached", "Memcached", "1.6.18", "", "", "" },
	{ "junk", "\x16\x03\x01\x00\x05hello", 0, 443, -ENOENT, "", "", "", "",
	  "", "" },
	{ "HTTP/ not a status line", "HTTP/1.1 OK\r\n", 0, 80, -ENOENT, "", "",
	  "", "", "", "" },
	{ "RFB too short", "RFB 003.008", 0, 5900, -ENOENT, "", "", "", "", "",
	  "" },
	{ "+OKAY is not POP3", "+OKAY\r\n", 0, 110, -ENOENT, "", "", "", "", "",
	  "" },
};

/* Room for the loops' guarded copies (guard_recopy reuses one mapping). */
static const uint8_t zeros[4096];

static size_t want_len(const struct want *w)
{
	return w->len ? w->len : strlen(w->bytes);
}

static void expect_field(const char *what, const char *case_name,
			 const char *got, const char *want)
{
	if (strcmp(got, want ? want : ""))
		fail_msg("%s: %s is \"%s\", want \"%s\"", case_name, what, got,
			 want ? want : "");
}

/* A record is clean: each field NUL-terminated inside it, printable. */
static void expect_clean(const struct bannerid *id, int rc)
{
	const char *f[] = { id->service,   id->product,	 id->version,
			    id->extrainfo, id->hostname, id->ostype };
	const size_t sz[] = { sizeof(id->service),  sizeof(id->product),
			      sizeof(id->version),  sizeof(id->extrainfo),
			      sizeof(id->hostname), sizeof(id->ostype) };
	size_t i, j;

	assert_true(rc == 0 || rc == -ENOENT);
	for (i = 0; i < 6; i++) {
		const char *nul = memchr(f[i], '\0', sz[i]);

		assert_non_null(nul);
		for (j = 0; f[i] + j < nul; j++)
			assert_true(f[i][j] >= 0x20 && f[i][j] < 0x7f);
		if (rc)
			assert_int_equal(f[i][0], '\0');
	}
	assert_int_equal(rc == 0, id->service[0] != '\0');
}

static void test_known(void **state)
{
	struct bannerid id;
	struct guarded g;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		const uint8_t *p = guard_copy(&g, w->bytes, want_len(w), false);
		int rc;

		memset(&id, 'X', sizeof(id));
		rc = bannerid_identify(p, want_len(w), w->port, &id);
		if (rc != w->rc)
			fail_msg("%s: rc %d, want %d", w->name, rc, w->rc);
		expect_clean(&id, rc);
		expect_field("service", w->name, id.service, w->service);
		expect_field("product", w->name, id.product, w->product);
		expect_field("version", w->name, id.version, w->version);
		expect_field("extrainfo", w->name, id.extrainfo, w->extrainfo);
		expect_field("hostname", w->name, id.hostname, w->hostname);
		expect_field("ostype", w->name, id.ostype, w->ostype);
		guard_free(&g);
	}
}

/* part says no more than whole: "" or whole, or whole's first words. */
static void expect_part(const char *name, size_t cut, const char *what,
			const char *part, const char *whole)
{
	size_t n = strlen(part);

	if (!n || !strcmp(part, whole))
		return;
	if (!strncmp(part, whole, n) && (whole[n] == ' ' || whole[n] == ';'))
		return;
	fail_msg("%s cut at %zu: %s \"%s\", whole banner says \"%s\"", name,
		 cut, what, part, whole);
}

/*
 * Every prefix of every banner, each right before the guard page: no read
 * past the cut, and nothing said that the whole banner does not say.
 */
static void test_every_prefix(void **state)
{
	struct bannerid id, whole;
	struct guarded g;
	size_t i, cut;

	(void)state;
	guard_copy(&g, zeros, sizeof(zeros), false);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct want *w = &cases[i];
		size_t len = want_len(w);

		bannerid_identify((const uint8_t *)w->bytes, len, w->port,
				  &whole);
		for (cut = 0; cut <= len; cut++) {
			const uint8_t *p =
				guard_recopy(&g, w->bytes, cut, false);
			int rc = bannerid_identify(p, cut, w->port, &id);

			expect_clean(&id, rc);
			if (rc)
				continue;
			if (strcmp(id.service, whole.service))
				fail_msg("%s cut at %zu: service %s, whole %s",
					 w->name, cut, id.service,
					 whole.service);
			expect_part(w->name, cut, "product", id.product,
				    whole.product);
			expect_part(w->name, cut, "version", id.version,
				    whole.version);
			if (id.extrainfo[0] &&
			    !strstr(whole.extrainfo, id.extrainfo))
				fail_msg("%s cut at %zu: extrainfo \"%s\"",
					 w->name, cut, id.extrainfo);
			expect_part(w->name, cut, "hostname", id.hostname,
				    whole.hostname);
		}
	}
	guard_free(&g);
}

/* The guard is real: the byte after a copy faults. */
static void test_guard_works(void **state)
{
	struct guarded g;
	const uint8_t *p;

	(void)state;
	p = guard_copy(&g, "SSH-2.0-", 8, false);
	assert_false(guard_faults(p + 7));
	assert_true(guard_faults(p + 8));
	guard_free(&g);
}

/* xorshift64: a fixed sequence, so a failure replays. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_and_mutated(void **state)
{
	uint8_t buf[512];
	struct bannerid id;
	struct guarded g;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	size_t i, j, len;

	(void)state;
	guard_copy(&g, zeros, sizeof(buf), false);
	for (i = 0; i < 200000; i++) {
		uint64_t r = next_rand(&seed);

		if (i & 1) {
			/* a real banner with a few bytes changed */
			const struct want *w =
				&cases[r % (sizeof(cases) / sizeof(cases[0]))];

			len = want_len(w);
			memcpy(buf, w->bytes, len);
			for (j = 0; j < 1 + (r >> 8) % 4; j++)
				buf[next_rand(&seed) % len] =
					(uint8_t)next_rand(&seed);
		} else {
			len = r % sizeof(buf);
			for (j = 0; j < len; j++)
				buf[j] = (uint8_t)next_rand(&seed);
			if (len >= 4 && (r & 0x700) == 0)
				memcpy(buf, "SSH-", 4);
			else if (len >= 4 && (r & 0x700) == 0x100)
				memcpy(buf, "220 ", 4);
			else if (len >= 12 && (r & 0x700) == 0x200)
				memcpy(buf, "HTTP/1.1 200", 12);
		}
		{
			const uint8_t *p = guard_recopy(&g, buf, len, false);

			expect_clean(&id, bannerid_identify(p, len, (uint16_t)r,
							    &id));
		}
	}
	guard_free(&g);
}

static void test_nul_and_overlong(void **state)
{
	char big[1024];
	struct bannerid id;
	size_t n;

	(void)state;
	/* a NUL is a byte like another, shown as '?' */
	assert_int_equal(
		bannerid_identify((const uint8_t *)"SSH-2.0-Op\0en_1\r\n", 17,
				  22, &id),
		0);
	assert_string_equal(id.product, "Op?en");
	assert_string_equal(id.version, "1");
	assert_int_equal(
		bannerid_identify((const uint8_t *)"HTTP/1.1 200 OK\r\n"
						   "Server: a\0b/1\r\n\r\n",
				  34, 80, &id),
		0);
	assert_string_equal(id.product, "a?b");
	/* overlong: cut to the field, still NUL-terminated */
	n = (size_t)snprintf(big, sizeof(big), "SSH-2.0-");
	memset(big + n, 'A', 600);
	n += 600;
	memcpy(big + n, "_1 ", 3);
	n += 3;
	memset(big + n, 'c', 300);
	n += 300;
	memcpy(big + n, "\r\n", 2);
	n += 2;
	assert_int_equal(bannerid_identify((uint8_t *)big, n, 22, &id), 0);
	assert_int_equal(strlen(id.product), BANNERID_FIELD - 1);
	assert_string_equal(id.version, "1");
	assert_int_equal(strlen(id.extrainfo), BANNERID_FIELD - 1);
	expect_clean(&id, 0);
	/* a Server field longer than any field, and control bytes in it */
	n = (size_t)snprintf(big, sizeof(big),
			     "HTTP/1.1 200 OK\r\nServer: \033[2J%0500d/9 (x"
			     "\x7f\xff)\r\n\r\n",
			     7);
	assert_int_equal(bannerid_identify((uint8_t *)big, n, 80, &id), 0);
	assert_int_equal(strlen(id.product), BANNERID_FIELD - 1);
	assert_memory_equal(id.product, "?[2J000", 7);
	assert_string_equal(id.version, "9");
	assert_string_equal(id.extrainfo, "(x?"
					  "?)");
}

static void test_mysql_lengths(void **state)
{
	char pkt[sizeof(mysql8)];
	struct bannerid id;

	(void)state;
	assert_int_equal((uint8_t)mariadb[0], sizeof(mariadb) - 4);
	assert_int_equal((uint8_t)mariadb11[0], sizeof(mariadb11) - 4);
	assert_int_equal((uint8_t)mysql8[0], sizeof(mysql8) - 4);
	memcpy(pkt, mysql8, sizeof(pkt));
	/* claims more than arrived (16 MB): what arrived holds the version */
	pkt[0] = pkt[1] = pkt[2] = (char)0xff;
	assert_int_equal(
		bannerid_identify((uint8_t *)pkt, sizeof(pkt), 3306, &id), 0);
	assert_string_equal(id.version, "8.0.36");
	/* claims less than the version: its NUL is outside the packet */
	pkt[0] = 4;
	pkt[1] = pkt[2] = 0;
	assert_int_equal(bannerid_identify((uint8_t *)pkt, sizeof(pkt), 3306,
					   &id),
			 -ENOENT);
	/* a version cut before its NUL */
	assert_int_equal(bannerid_identify((uint8_t *)mysql8, 8, 3306, &id),
			 -ENOENT);
	/* not sequence 0, not protocol 10 */
	memcpy(pkt, mysql8, sizeof(pkt));
	pkt[3] = 1;
	assert_int_equal(bannerid_identify((uint8_t *)pkt, sizeof(pkt), 3306,
					   &id),
			 -ENOENT);
	memcpy(pkt, mysql8, sizeof(pkt));
	pkt[4] = 9;
	assert_int_equal(bannerid_identify((uint8_t *)pkt, sizeof(pkt), 3306,
					   &id),
			 -ENOENT);
	/* a control byte in the version: not a version */
	memcpy(pkt, mysql8, sizeof(pkt));
	pkt[6] = '\n';
	assert_int_equal(bannerid_identify((uint8_t *)pkt, sizeof(pkt), 3306,
					   &id),
			 -ENOENT);
	/* an error packet longer than what arrived */
	assert_int_equal(bannerid_identify((const uint8_t *)"\x45\0\0\0\xff"
							    "\x6a\x04Host",
					   11, 3306, &id),
			 -ENOENT);
}

static void test_args(void **state)
{
	struct bannerid id;

	(void)state;
	assert_int_equal(bannerid_identify(NULL, 0, 22, &id), -ENOENT);
	assert_string_equal(id.service, "");
	assert_int_equal(bannerid_identify(NULL, 1, 22, &id), -EINVAL);
	assert_int_equal(bannerid_identify((const uint8_t *)"x", 1, 22, NULL),
			 -EINVAL);
}

static void test_opener(void **state)
{
	(void)state;
	assert_int_equal(bannerid_opener(22), BANNERID_WAIT);
	assert_int_equal(bannerid_opener(25), BANNERID_WAIT);
	assert_int_equal(bannerid_opener(3306), BANNERID_WAIT);
	assert_int_equal(bannerid_opener(80), BANNERID_HTTP);
	assert_int_equal(bannerid_opener(8080), BANNERID_HTTP);
	assert_int_equal(bannerid_opener(8000), BANNERID_HTTP);
	assert_int_equal(bannerid_opener(443), BANNERID_TLS);
	assert_int_equal(bannerid_opener(993), BANNERID_TLS);
	assert_int_equal(bannerid_opener(8443), BANNERID_TLS);
	assert_int_equal(bannerid_opener(6379), BANNERID_REDIS);
	assert_int_equal(bannerid_opener(11211), BANNERID_MEMCACHED);
	assert_int_equal(bannerid_opener(0), BANNERID_WAIT);
	assert_int_equal(bannerid_opener(65535), BANNERID_WAIT);
}

static void expect_probe(const char *host, uint16_t port, const char *hostf)
{
	char buf[256], want[256];
	int n, cap;

	snprintf(want, sizeof(want),
		 "HEAD / HTTP/1.1\r\nHost: %s\r\nUser-Agent: ringscan\r\n"
		 "Accept: */*\r\nConnection: close\r\n\r\n",
		 hostf);
	n = bannerid_http_probe(host, port, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
	/* room for the bytes and the NUL, and not one byte less */
	for (cap = 0; cap <= n; cap++)
		assert_int_equal(bannerid_http_probe(host, port, buf,
						     (size_t)cap),
				 -ENOSPC);
	assert_int_equal(bannerid_http_probe(host, port, buf, (size_t)n + 1),
			 n);
}

static void test_probes(void **state)
{
	char buf[64];

	(void)state;
	expect_probe("127.0.0.1", 80, "127.0.0.1");
	expect_probe("198.18.0.1", 8080, "198.18.0.1:8080");
	expect_probe("::1", 8000, "[::1]:8000");
	expect_probe("2001:2::1", 80, "[2001:2::1]");
	expect_probe("fe80::1%veth0", 80, "[fe80::1%25veth0]");
	/* nothing but an address literal lands in the request */
	assert_int_equal(bannerid_http_probe("127.0.0.1\r\nX: y", 80, buf,
					     sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe("example.com", 80, buf,
					     sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe("fe80::1%a b", 80, buf,
					     sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe("fe80::1%", 80, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe("", 80, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe(NULL, 80, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(bannerid_http_probe("::1", 80, NULL, 10), -EINVAL);
	assert_int_equal(bannerid_probe(BANNERID_REDIS, NULL, 6379, buf,
					sizeof(buf)),
			 13);
	assert_string_equal(buf, "INFO server\r\n");
	assert_int_equal(bannerid_probe(BANNERID_MEMCACHED, NULL, 11211, buf,
					sizeof(buf)),
			 9);
	assert_string_equal(buf, "version\r\n");
	assert_int_equal(bannerid_probe(BANNERID_REDIS, NULL, 6379, buf, 13),
			 -ENOSPC);
	assert_int_equal(
		bannerid_probe(BANNERID_WAIT, NULL, 22, buf, sizeof(buf)), 0);
	assert_int_equal(
		bannerid_probe(BANNERID_TLS, NULL, 443, buf, sizeof(buf)), 0);
	assert_int_equal(bannerid_probe((enum bannerid_opener)99, NULL, 1, buf,
					sizeof(buf)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known),
		cmocka_unit_test(test_guard_works),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_random_and_mutated),
		cmocka_unit_test(test_nul_and_overlong),
		cmocka_unit_test(test_mysql_lengths),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_opener),
		cmocka_unit_test(test_probes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
