/*
 * bannerid.c - services named from their greetings (see bannerid.h).
 *
 * One matcher per protocol, each a function of (bytes, length, port) that
 * either claims the banner and fills the record or leaves it alone.  The
 * protocols chosen all announce themselves in their first bytes - "SSH-",
 * "HTTP/1.x nnn", "RFB ", "220 ", "+OK", "* OK", a MySQL packet with
 * protocol byte 10, IAC - so at most one matcher can claim a banner and
 * their order matters only for the two catch-alls at the end (an SSH line
 * after other lines, as RFC 4253 allows; a 220 greeting that says neither
 * SMTP nor FTP, decided by the port).
 *
 * Every read goes through a (pointer, length) pair, a "span", that only
 * ever shrinks; text is walked line by line with span_line(), which also
 * says whether the line ended inside the buffer.  A line that did not end
 * may have been cut by the engine's byte cap, so its last word is not
 * trusted (span_whole_words): a version "9.2" of what was "9.2p1" would be
 * a wrong identification, which is worse than none.  A length stated inside
 * the data (MySQL's packet length) is checked against what arrived and
 * never used to index; RESP's bulk length is not used at all.
 *
 * Products are named as nmap names them (checked against `nmap -sV` on
 * loopback listeners that replay the published greetings), versions are
 * the server's own words.  Where a server speaks first and says nothing
 * about itself, the service alone is reported.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bannerid.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct span {
	const uint8_t *p;
	size_t n;
};

static struct span span_of(const uint8_t *p, size_t n)
{
	struct span s = { p, n };

	return s;
}

static struct span span_skip(struct span s, size_t k)
{
	if (k > s.n)
		k = s.n;
	s.p += k;
	s.n -= k;
	return s;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

static bool span_starts(struct span s, const char *pre)
{
	size_t k = strlen(pre);

	return s.n >= k && memcmp(s.p, pre, k) == 0;
}

static bool span_is(struct span s, const char *str)
{
	return s.n == strlen(str) && span_starts(s, str);
}

static bool span_starts_ci(struct span s, const char *pre)
{
	size_t i, k = strlen(pre);

	if (s.n < k)
		return false;
	for (i = 0; i < k; i++)
		if (lower(s.p[i]) != lower((uint8_t)pre[i]))
			return false;
	return true;
}

/* s starts with the word pre: a blank or a line end follows it. */
static bool span_starts_word(struct span s, const char *pre)
{
	size_t k = strlen(pre);

	return span_starts(s, pre) && s.n > k &&
	       (s.p[k] == ' ' || s.p[k] == '\r' || s.p[k] == '\n');
}

/* Offset of needle in s, or s.n if absent; case-insensitive with ci. */
static size_t span_find(struct span s, const char *needle, bool ci)
{
	size_t i, k = strlen(needle);

	for (i = 0; k <= s.n && i <= s.n - k; i++)
		if (ci ? span_starts_ci(span_skip(s, i), needle) :
			 span_starts(span_skip(s, i), needle))
			return i;
	return s.n;
}

static bool span_has(struct span s, const char *needle, bool ci)
{
	return span_find(s, needle, ci) < s.n;
}

/* Bytes before the first of stop (a set of bytes), or all of them. */
static size_t span_until(struct span s, const char *stop)
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (memchr(stop, s.p[i], strlen(stop)))
			break;
	return i;
}

static bool is_blank(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* s without blanks at either end (line ends count: a multiline reply's
 * text holds them). */
static struct span span_trim(struct span s)
{
	while (s.n && is_blank(s.p[0]))
		s = span_skip(s, 1);
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

/*
 * Take the first line off *rest: into *line without its CR LF (or bare
 * LF).  Returns whether it ended in the buffer; false also when *rest was
 * empty.
 */
static bool span_line(struct span *rest, struct span *line)
{
	size_t i = span_until(*rest, "\n");
	bool ended = i < rest->n;

	*line = span_of(rest->p, i);
	*rest = span_skip(*rest, ended ? i + 1 : i);
	if (ended && line->n && line->p[line->n - 1] == '\r')
		line->n--;
	return ended;
}

/*
 * A line that did not end may have been cut mid-word: keep it up to its
 * last blank, so that no word of it is a fragment.
 */
static struct span span_whole_words(struct span line, bool ended)
{
	if (ended)
		return line;
	while (line.n && line.p[line.n - 1] != ' ')
		line.n--;
	return span_trim(line);
}

/* The word at the start of s (up to a blank), and s past it and blanks. */
static struct span span_word(struct span *s)
{
	struct span w;

	*s = span_trim(*s);
	w = span_of(s->p, span_until(*s, " \t\r\n"));
	*s = span_trim(span_skip(*s, w.n));
	return w;
}

/* dst (size bytes) := s, cut to fit, every byte not printable ASCII '?'. */
static void field_set(char *dst, size_t size, struct span s)
{
	size_t i, n = s.n < size - 1 ? s.n : size - 1;

	for (i = 0; i < n; i++)
		dst[i] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? (char)s.p[i] : '?';
	dst[n] = '\0';
}

static void field_str(char *dst, size_t size, const char *s)
{
	field_set(dst, size, span_of((const uint8_t *)s, strlen(s)));
}

/* Append s to dst (size bytes), after sep if dst is not empty; cut. */
static void field_add(char *dst, size_t size, const char *sep, struct span s)
{
	size_t have = strlen(dst);

	if (!s.n)
		return;
	if (have && sep) {
		field_str(dst + have, size - have, sep);
		have = strlen(dst);
	}
	field_set(dst + have, size - have, s);
}

#define FIELD(o, f, s) field_set((o)->f, sizeof((o)->f), (s))
#define FIELD_STR(o, f, s) field_str((o)->f, sizeof((o)->f), (s))
#define FIELD_ADD(o, f, sep, s) field_add((o)->f, sizeof((o)->f), (sep), (s))

static struct span cstr(const char *s)
{
	return span_of((const uint8_t *)s, strlen(s));
}

/*
 * SSH, RFC 4253 4.2: "SSH-protoversion-softwareversion SP comments CR LF".
 * softwareversion is "name_version" by the convention every server
 * follows; a Debian or Ubuntu comment ("Debian-2+deb12u6") is the
 * package's revision, which nmap prints as part of the version.
 */
static bool ssh_line(struct span line, bool ended, struct bannerid *o)
{
	struct span proto, soft, rest;
	size_t us;

	if (!span_starts(line, "SSH-"))
		return false;
	rest = span_skip(line, 4);
	proto = span_of(rest.p, span_until(rest, "-"));
	if (proto.n == rest.n || !proto.n || !is_digit(proto.p[0]))
		return false; /* no '-' after it: not (yet) an identification */
	FIELD_STR(o, service, "ssh");
	rest = span_whole_words(span_skip(rest, proto.n + 1), ended);
	soft = span_word(&rest); /* rest: the comments */
	us = span_until(soft, "_");
	if (span_starts(soft, "OpenSSH_"))
		FIELD_STR(o, product, "OpenSSH");
	else if (span_starts_ci(soft, "dropbear"))
		FIELD_STR(o, product, "Dropbear sshd");
	else
		FIELD(o, product, span_of(soft.p, us));
	FIELD(o, version, span_skip(soft, us + 1));
	if (span_starts(rest, "Debian-") || span_starts(rest, "Ubuntu-") ||
	    span_starts(rest, "Raspbian-")) {
		struct span rev = span_word(&rest);
		struct span distro = span_of(rev.p, span_until(rev, "-"));

		FIELD_ADD(o, version, " ", distro);
		FIELD_ADD(o, version, " ", span_skip(rev, distro.n + 1));
		FIELD_STR(o, ostype, "Linux");
		if (span_is(distro, "Ubuntu")) {
			/* nmap: "Ubuntu Linux; protocol 2.0" */
			FIELD(o, extrainfo, distro);
			FIELD_ADD(o, extrainfo, " ", cstr("Linux"));
		}
	} else if (span_starts(rest, "FreeBSD-")) {
		/* nmap: "FreeBSD 20230316; protocol 2.0" */
		FIELD_STR(o, extrainfo, "FreeBSD ");
		FIELD_ADD(o, extrainfo, NULL, span_skip(span_word(&rest), 8));
		FIELD_STR(o, ostype, "FreeBSD");
	} else {
		FIELD(o, extrainfo, rest);
	}
	FIELD_ADD(o, extrainfo, "; ", cstr("protocol "));
	FIELD_ADD(o, extrainfo, NULL, proto);
	return true;
}

/* An identification line after others (RFC 4253 lets a server send
 * lines of text first); only lines of text may come before it. */
static bool match_ssh_later(struct span s, struct bannerid *o)
{
	struct span line;
	bool ended;

	while (s.n) {
		ended = span_line(&s, &line);
		if (ssh_line(line, ended, o))
			return true;
		if (!ended || memchr(line.p, '\0', line.n))
			return false;
	}
	return false;
}

/* Server field products that nmap names otherwise. */
static const struct {
	const char *token, *product, *ostype;
} http_names[] = {
	{ "Apache", "Apache httpd", "" },
	{ "Microsoft-IIS", "Microsoft IIS httpd", "Windows" },
	{ "Caddy", "Caddy httpd", "" },
	{ "openresty", "OpenResty web app server", "" },
};

/*
 * HTTP's Server field (RFC 9110 10.2.4): product["/"version] then more
 * products and (comments), the first product being the server's.  Some
 * servers write "Name(version)" (Jetty) instead of the slash.
 */
static void http_server(struct span v, struct bannerid *o)
{
	struct span prod = span_word(&v), name, ver;
	size_t i, cut = span_until(prod, "/(");

	name = span_of(prod.p, cut);
	ver = span_skip(prod, cut + 1);
	if (cut < prod.n && prod.p[cut] == '(') {
		if (prod.p[prod.n - 1] != ')')
			ver.n = 0; /* not "Name(version)" after all */
		else
			ver.n--;
	}
	for (i = 0; i < ARRAY_SIZE(http_names); i++)
		if (span_is(name, http_names[i].token))
			break;
	if (i < ARRAY_SIZE(http_names)) {
		FIELD_STR(o, product, http_names[i].product);
		FIELD_STR(o, ostype, http_names[i].ostype);
	} else if (span_is(name, "SimpleHTTP") || span_is(name, "BaseHTTP")) {
		/* Python's http.server: "SimpleHTTP/0.6 Python/3.11.2" */
		struct span py = span_word(&v);

		FIELD(o, product, name);
		FIELD_ADD(o, product, NULL, cstr("Server"));
		if (span_starts(py, "Python/")) {
			FIELD_ADD(o, extrainfo, NULL, cstr("Python "));
			FIELD_ADD(o, extrainfo, NULL, span_skip(py, 7));
		}
		FIELD(o, version, ver);
		return;
	} else if (span_is(name, "nginx") && v.n > 2 && v.p[0] == '(' &&
		   v.p[v.n - 1] == ')' && span_until(v, " ") == v.n) {
		/* "nginx/1.18.0 (Ubuntu)": nmap drops the parentheses */
		struct span distro = span_of(v.p + 1, v.n - 2);

		FIELD(o, product, name);
		FIELD(o, version, ver);
		FIELD(o, extrainfo, distro);
		if (span_is(distro, "Ubuntu") || span_is(distro, "Debian"))
			FIELD_STR(o, ostype, "Linux");
		return;
	} else {
		FIELD(o, product, name);
	}
	FIELD(o, version, ver);
	FIELD(o, extrainfo, v);
}

/* HTTP/1.x, RFC 9112: "HTTP/d.d SP ddd", then header lines to a blank. */
static bool match_http(struct span s, struct bannerid *o)
{
	struct span line;
	bool ended;

	if (s.n < 12 || !span_starts(s, "HTTP/") || !is_digit(s.p[5]) ||
	    s.p[6] != '.' || !is_digit(s.p[7]) || s.p[8] != ' ' ||
	    !is_digit(s.p[9]) || !is_digit(s.p[10]) || !is_digit(s.p[11]))
		return false;
	FIELD_STR(o, service, "http");
	span_line(&s, &line);
	while (s.n) {
		ended = span_line(&s, &line);
		if (!ended || !line.n)
			break; /* a cut field may lie; the blank line ends all */
		if (span_starts_ci(line, "Server:")) {
			http_server(span_trim(span_skip(line, 7)), o);
			break;
		}
	}
	return true;
}

/*
 * MySQL protocol 10 handshake: a 3-byte little-endian payload length, a
 * sequence number 0, then the payload: 10, the server version as a NUL-
 * terminated string, ...  MariaDB before 11 prefixes "5.5.5-" for old
 * replication clients; nmap names that "MySQL" too, so only a MariaDB
 * version without the prefix is named "MariaDB".  A server that refuses
 * the client sends an error packet (0xff, code, message) instead.
 */
static bool match_mysql(struct span s, struct bannerid *o)
{
	size_t plen, i, end;
	struct span ver;
	bool mariadb;

	if (s.n < 5 || s.p[3] != 0)
		return false;
	plen = (size_t)s.p[0] | (size_t)s.p[1] << 8 | (size_t)s.p[2] << 16;
	end = 4 + plen < s.n ? 4 + plen : s.n; /* what of it arrived */
	if (s.p[4] == 0xff && s.n >= 7) {
		unsigned code = s.p[5] | (unsigned)s.p[6] << 8;
		struct span msg = span_of(s.p + 7, end > 7 ? end - 7 : 0);

		/* too many connections, host blocked, host not allowed */
		if ((code != 1040 && code != 1129 && code != 1130) ||
		    plen < 3 || plen > 512 || end < 4 + plen)
			return false;
		mariadb = span_has(msg, "MariaDB", false);
		FIELD_STR(o, service, "mysql");
		FIELD_STR(o, product, mariadb ? "MariaDB" : "MySQL");
		FIELD_STR(o, extrainfo,
			  code == 1040 ? "too many connections" :
					 "unauthorized");
		return true;
	}
	if (s.p[4] != 0x0a || plen < 2)
		return false;
	for (i = 5; i < end && s.p[i]; i++)
		if (s.p[i] < 0x20 || s.p[i] >= 0x7f)
			return false;
	if (i == end || i == 5 || !is_digit(s.p[5]))
		return false; /* no NUL inside the packet: cut, or a liar */
	ver = span_of(s.p + 5, i - 5);
	mariadb = span_has(ver, "MariaDB", false) &&
		  !span_starts(ver, "5.5.5-");
	FIELD_STR(o, service, "mysql");
	FIELD_STR(o, product, mariadb ? "MariaDB" : "MySQL");
	FIELD(o, version, ver);
	return true;
}

/* RFB (RFC 6143 7.1.1): exactly "RFB xxx.yyy\n", twelve bytes. */
static bool match_vnc(struct span s, struct bannerid *o)
{
	unsigned maj = 0, min = 0;
	char info[32];
	int i;

	if (s.n < 12 || !span_starts(s, "RFB ") || s.p[7] != '.' ||
	    s.p[11] != '\n')
		return false;
	for (i = 4; i < 11; i++) {
		if (i == 7)
			continue;
		if (!is_digit(s.p[i]))
			return false;
		if (i < 7)
			maj = maj * 10 + (s.p[i] - '0');
		else
			min = min * 10 + (s.p[i] - '0');
	}
	FIELD_STR(o, service, "vnc");
	FIELD_STR(o, product, "VNC");
	snprintf(info, sizeof(info), "protocol %u.%u", maj, min);
	FIELD_STR(o, extrainfo, info);
	return true;
}

/*
 * Telnet (RFC 854/855): IAC (255) then WILL/WONT/DO/DONT (251-254) and an
 * option.  netkit's telnetd, Debian's and most Linux distributions', opens
 * by asking for the terminal type, speed, X display and environment in
 * that order, which is how nmap tells "Linux telnetd".
 */
static bool match_telnet(struct span s, struct bannerid *o)
{
	static const uint8_t netkit[] = { 0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20,
					  0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27 };

	if (s.n < 3 || s.p[0] != 0xff || s.p[1] < 0xfb || s.p[1] > 0xfe)
		return false;
	FIELD_STR(o, service, "telnet");
	if (s.n >= sizeof(netkit) && !memcmp(s.p, netkit, sizeof(netkit))) {
		FIELD_STR(o, product, "Linux telnetd");
		FIELD_STR(o, ostype, "Linux");
	}
	return true;
}

/*
 * Redis speaks RESP and waits for the client.  To "INFO server" it answers
 * a bulk string ("$len" CR LF "# Server" ...) holding "redis_version:";
 * with a password set, "-NOAUTH ..."; in protected mode, "-DENIED Redis
 * ..."; to an HTTP probe, "-ERR unknown command ...".
 */
static bool match_redis(struct span s, uint16_t port, struct bannerid *o)
{
	struct span line, rest;
	bool ended;

	if (span_starts(s, "$") && s.n > 1 && is_digit(s.p[1])) {
		size_t at = span_find(s, "\nredis_version:", false);

		if (at == s.n)
			return false;
		rest = span_skip(s, at + 15);
		ended = span_line(&rest, &line);
		FIELD_STR(o, service, "redis");
		FIELD_STR(o, product, "Redis key-value store");
		if (ended)
			FIELD(o, version, line);
		return true;
	}
	if (span_starts(s, "-NOAUTH ") || span_starts(s, "-DENIED Redis") ||
	    span_starts(s, "-ERR unknown command ") ||
	    (span_starts(s, "-ERR") &&
	     bannerid_opener(port) == BANNERID_REDIS)) {
		FIELD_STR(o, service, "redis");
		FIELD_STR(o, product, "Redis key-value store");
		return true;
	}
	return false;
}

/* memcached's text protocol: "version" gets "VERSION x.y.z" CR LF. */
static bool match_memcached(struct span s, struct bannerid *o)
{
	struct span line;
	bool ended;

	if (!span_starts(s, "VERSION "))
		return false;
	ended = span_line(&s, &line);
	line = span_whole_words(span_skip(line, 8), ended);
	if (!line.n && ended)
		return false;
	FIELD_STR(o, service, "memcached");
	FIELD_STR(o, product, "Memcached");
	FIELD(o, version, line);
	return true;
}

/* POP3 (RFC 1939 4): the greeting is "+OK" and free text. */
static bool match_pop3(struct span s, struct bannerid *o)
{
	struct span line;

	if (!span_starts_word(s, "+OK"))
		return false;
	span_line(&s, &line);
	FIELD_STR(o, service, "pop3");
	if (span_has(line, "Dovecot", false))
		FIELD_STR(o, product, "Dovecot pop3d");
	return true;
}

/* IMAP (RFC 9051 7.1): the greeting is an untagged OK, PREAUTH or BYE. */
static bool match_imap(struct span s, struct bannerid *o)
{
	struct span line;

	if (!span_starts_word(s, "* OK") && !span_starts_word(s, "* PREAUTH") &&
	    !span_starts_word(s, "* BYE"))
		return false;
	span_line(&s, &line);
	FIELD_STR(o, service, "imap");
	if (span_has(line, "Dovecot", false))
		FIELD_STR(o, product, "Dovecot imapd");
	else if (span_has(line, "Courier-IMAP", false))
		FIELD_STR(o, product, "Courier Imapd");
	return true;
}

static bool port_in(uint16_t port, const uint16_t *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == port)
			return true;
	return false;
}

/* The word after key in text (key a word of its own), or an empty span. */
static struct span word_after(struct span text, const char *key)
{
	size_t at = span_find(text, key, false);
	struct span rest;

	if (at == text.n)
		return span_of(text.p + text.n, 0);
	rest = span_skip(text, at + strlen(key));
	if (!rest.n || rest.p[0] != ' ')
		return span_of(text.p + text.n, 0);
	return span_word(&rest);
}

/* w if it looks like a version (a digit first), less a trailing ';' ','
 * or ')'; else empty. */
static struct span version_word(struct span w)
{
	if (!w.n || !is_digit(w.p[0]))
		return span_of(w.p, 0);
	while (w.n && (w.p[w.n - 1] == ';' || w.p[w.n - 1] == ',' ||
		       w.p[w.n - 1] == ')'))
		w.n--;
	return w;
}

/* What may stand around a word of a greeting (lines included). */
static bool is_sep(uint8_t c)
{
	static const char seps[] = " \t\r\n;,()";

	return memchr(seps, c, sizeof(seps) - 1) != NULL;
}

/* Whether word occurs in s as a word: separators or an end around it. */
static bool span_has_word(struct span s, const char *word)
{
	size_t k = strlen(word), at;

	while ((at = span_find(s, word, false)) < s.n) {
		bool before = at == 0 || is_sep(s.p[at - 1]);
		bool after = at + k == s.n || is_sep(s.p[at + k]);

		if (before && after)
			return true;
		s = span_skip(s, at + 1);
	}
	return false;
}

/*
 * SMTP (RFC 5321 4.2): "220 " domain [SP text], maybe as a multiline
 * "220-" reply.  The text names the server: Postfix says only its name,
 * Exim and Sendmail their version too.
 */
static void smtp_fill(struct span first, struct span text, struct bannerid *o)
{
	struct span host = span_word(&first);

	FIELD_STR(o, service, "smtp");
	if (host.n && !span_starts(host, "ESMTP") &&
	    !span_starts(host, "SMTP") &&
	    (is_digit(host.p[0]) ||
	     (lower(host.p[0]) >= 'a' && lower(host.p[0]) <= 'z') ||
	     host.p[0] == '['))
		FIELD(o, hostname, host);
	if (span_has_word(text, "Postfix")) {
		FIELD_STR(o, product, "Postfix smtpd");
	} else if (span_has_word(text, "Exim")) {
		FIELD_STR(o, product, "Exim smtpd");
		FIELD(o, version, version_word(word_after(text, "Exim")));
	} else if (span_has_word(text, "Sendmail")) {
		FIELD_STR(o, product, "Sendmail");
		FIELD(o, version, version_word(word_after(text, "Sendmail")));
	} else if (span_has_word(text, "OpenSMTPD")) {
		FIELD_STR(o, product, "OpenSMTPD");
	}
}

/* A greeting's first word, if it is a domain name ("ftp.example.com"). */
static bool looks_like_host(struct span w)
{
	return w.n && span_has(w, ".", false) &&
	       (is_digit(w.p[0]) ||
		(lower(w.p[0]) >= 'a' && lower(w.p[0]) <= 'z'));
}

/* FTP (RFC 959 4.2): the same 220 reply; the text names the server. */
static void ftp_fill(struct span first, struct span text, struct bannerid *o)
{
	struct span host = span_word(&first);

	FIELD_STR(o, service, "ftp");
	if (looks_like_host(host))
		FIELD(o, hostname, host);
	if (span_has(text, "(vsFTPd", false)) {
		/* "220 (vsFTPd 3.0.3)" */
		FIELD_STR(o, product, "vsftpd");
		FIELD(o, version, version_word(word_after(text, "(vsFTPd")));
	} else if (span_has_word(text, "ProFTPD")) {
		FIELD_STR(o, product, "ProFTPD");
		FIELD(o, version, version_word(word_after(text, "ProFTPD")));
	} else if (span_has(text, "Pure-FTPd", false)) {
		FIELD_STR(o, product, "Pure-FTPd");
	} else if (span_has(text, "FileZilla Server", false)) {
		FIELD_STR(o, product, "FileZilla ftpd");
		FIELD(o, version,
		      version_word(word_after(text, "FileZilla Server")));
	}
}

/*
 * A "220" greeting, SMTP's or FTP's.  The lines of a multiline reply
 * ("220-" up to "220 ") are read as one text.  SMTP servers say "ESMTP" or "SMTP"
 * as a word (RFC 5321 4.3.1 asks for it), FTP servers usually "FTP" in
 * their name; only a whole greeting with neither is decided by the port
 * (a cut one may yet say "ESMTP" on port 21).
 */
static bool match_220(struct span s, uint16_t port, struct bannerid *o)
{
	static const uint16_t smtp_ports[] = { 25, 465, 587, 2525 };
	static const uint16_t ftp_ports[] = { 21, 990, 2121 };
	struct span first = { 0 }, line, text, words;
	size_t nlines = 0;
	bool ended, whole = false;

	if (s.n < 4 || !span_starts(s, "220") ||
	    (s.p[3] != ' ' && s.p[3] != '-'))
		return false;
	text = span_of(s.p, 0);
	while (s.n) {
		/* RFC 959 lets the lines between "220-" and "220 " be any
		 * text; RFC 5321 gives each its code.  Both end at "220 ". */
		ended = span_line(&s, &line);
		line = span_whole_words(line, ended);
		if (!nlines++)
			first = span_skip(line, 4);
		/* the lines lie one after another: text grows over them */
		if (line.p + line.n > text.p + text.n)
			text.n = (size_t)(line.p + line.n - text.p);
		if (!ended || span_starts(line, "220 ")) {
			whole = ended;
			break;
		}
	}
	/* the FTP of a host name "ftp.example.com" says nothing */
	words = first;
	if (span_has(span_word(&words), ".", false))
		words = span_of(words.p, (size_t)(text.p + text.n - words.p));
	else
		words = text;
	if (span_has_word(text, "ESMTP") || span_has_word(text, "SMTP"))
		smtp_fill(first, text, o);
	else if (span_has(words, "FTP", true) ||
		 span_has(text, "FileZilla Server", false))
		ftp_fill(first, text, o);
	else if (!whole)
		return false; /* the rest may still say which */
	else if (port_in(port, smtp_ports, ARRAY_SIZE(smtp_ports)))
		smtp_fill(first, text, o);
	else if (port_in(port, ftp_ports, ARRAY_SIZE(ftp_ports)))
		ftp_fill(first, text, o);
	else
		return false;
	return true;
}

int bannerid_identify(const uint8_t *buf, size_t len, uint16_t port,
		      struct bannerid *out)
{
	struct span s = span_of(buf, len), line;
	bool ended;

	if (!out || (!buf && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!len)
		return -ENOENT;
	ended = span_line(&s, &line);
	s = span_of(buf, len);
	if (ssh_line(line, ended, out) || match_http(s, out) ||
	    match_mysql(s, out) || match_vnc(s, out) || match_telnet(s, out) ||
	    match_redis(s, port, out) || match_memcached(s, out) ||
	    match_pop3(s, out) || match_imap(s, out) ||
	    match_220(s, port, out) || match_ssh_later(s, out))
		return 0;
	memset(out, 0, sizeof(*out));
	return -ENOENT;
}

enum bannerid_opener bannerid_opener(uint16_t port)
{
	/* Where the client speaks first; IANA's assignments and the
	 * alternative ports the common servers ship configured for. */
	static const uint16_t http[] = { 80,   81,   591,  3000, 5000,
					 8000, 8008, 8080, 8081, 8088,
					 8888, 9000, 9090, 9200 };
	static const uint16_t tls[] = { 443,  465,  563,  636, 853, 989,
					990,  992,  993,  994, 995, 5061,
					5986, 6697, 8443, 9443 };

	if (port_in(port, http, ARRAY_SIZE(http)))
		return BANNERID_HTTP;
	if (port_in(port, tls, ARRAY_SIZE(tls)))
		return BANNERID_TLS;
	if (port == 6379)
		return BANNERID_REDIS;
	if (port == 11211)
		return BANNERID_MEMCACHED;
	return BANNERID_WAIT;
}

/*
 * host as it goes into a Host field (RFC 9110 7.2, RFC 3986 3.2.2): an
 * IPv4 literal as is, an IPv6 one in brackets with a zone's '%' written
 * "%25" (RFC 6874).  Anything else is refused, so no byte of it can end
 * the header line.
 */
static int host_field(const char *host, char *dst, size_t size)
{
	unsigned char bin[16];
	char addr[INET6_ADDRSTRLEN];
	const char *pct = strchr(host, '%');
	size_t alen = pct ? (size_t)(pct - host) : strlen(host);
	const char *z;
	int n;

	if (!pct && inet_pton(AF_INET, host, bin) == 1)
		n = snprintf(dst, size, "%s", host);
	else if (alen < sizeof(addr)) {
		memcpy(addr, host, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return -EINVAL;
		if (pct) {
			if (!pct[1])
				return -EINVAL;
			for (z = pct + 1; *z; z++)
				if (!((*z >= 'a' && *z <= 'z') ||
				      (*z >= 'A' && *z <= 'Z') ||
				      is_digit((uint8_t)*z) || *z == '-' ||
				      *z == '_' || *z == '.'))
					return -EINVAL;
			n = snprintf(dst, size, "[%s%%25%s]", addr, pct + 1);
		} else {
			n = snprintf(dst, size, "[%s]", addr);
		}
	} else {
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* What was formatted, or -ENOSPC if it did not fit (NUL included). */
static int probe_done(int n, size_t cap)
{
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int bannerid_probe(enum bannerid_opener op, const char *host, uint16_t port,
		   char *buf, size_t cap)
{
	char hf[128];
	char portpart[8] = "";
	int err;

	if (!buf)
		return -EINVAL;
	switch (op) {
	case BANNERID_WAIT:
	case BANNERID_TLS:
		if (cap)
			buf[0] = '\0';
		return 0;
	case BANNERID_REDIS:
		return probe_done(snprintf(buf, cap, "INFO server\r\n"), cap);
	case BANNERID_MEMCACHED:
		return probe_done(snprintf(buf, cap, "version\r\n"), cap);
	case BANNERID_HTTP:
		if (!host)
			return -EINVAL;
		err = host_field(host, hf, sizeof(hf));
		if (err)
			return err == -ENOSPC ? -EINVAL : err;
		if (port != 80)
			snprintf(portpart, sizeof(portpart), ":%u", port);
		/* HEAD: the status line and Server field are all we read,
		 * and a server need not send a body we would discard. */
		return probe_done(snprintf(buf, cap,
					   "HEAD / HTTP/1.1\r\n"
					   "Host: %s%s\r\n"
					   "User-Agent: ringscan\r\n"
					   "Accept: */*\r\n"
					   "Connection: close\r\n\r\n",
					   hf, portpart),
				  cap);
	}
	return -EINVAL;
}

int bannerid_http_probe(const char *host, uint16_t port, char *buf, size_t cap)
{
	return bannerid_probe(BANNERID_HTTP, host, port, buf, cap);
}
