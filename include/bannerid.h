/*
 * bannerid.h - what is listening, told from the first bytes it says.
 *
 * A pure identifier in the manner of picohttpparser: the caller hands over
 * the bytes a server sent on a fresh connection (first bytes only, maybe
 * cut at the engine's cap, maybe in answer to the probe below) and the
 * port; bannerid_identify() names the service and, where the protocol
 * itself states them, the product, its version and what else the greeting
 * says.  No allocation, no I/O, no state, no locale: any caller, any thread.
 * Not on the hot path (once per open port, after the exchange).
 *
 * Every matcher is written from the protocol's own specification (SSH's
 * identification string, RFC 4253 4.2; HTTP's status line and Server
 * field, RFC 9112/9110; SMTP's and FTP's 220 greetings, RFC 5321/959;
 * POP3 +OK, RFC 1939; IMAP's untagged OK, RFC 9051; the MySQL protocol 10
 * handshake; RESP for Redis; memcached's text protocol; RFB 6143 for VNC;
 * telnet option negotiation, RFC 854), plus the way the common servers
 * fill the free-text parts.  nmap's probe and match database is not used:
 * its licence forbids copying it.  The names printed are nmap's (service
 * "ssh", product "OpenSSH", "Apache httpd", ...) so that a report agrees
 * with `nmap -sV` on the servers both recognise.
 *
 * The bytes are untrusted: nothing is read past len, no length inside the
 * data is believed without a check against len, an embedded NUL is a byte
 * like another.  Each output field is NUL-terminated, cut to its size, and
 * holds printable ASCII only (any other byte becomes '?'), so a field is
 * safe to print; outputs still escape it for their format (escape.h).
 *
 * The module lives in lib/ so that scan/ (which runs the exchange) and
 * results/ (which writes it) can both call it.
 */
#ifndef RINGSCAN_BANNERID_H
#define RINGSCAN_BANNERID_H

#include <stddef.h>
#include <stdint.h>

/* Each product/version/extrainfo/hostname field, NUL included. */
#define BANNERID_FIELD 96
#define BANNERID_NAME 32

struct bannerid {
	/* nmap's service name ("ssh", "http", "smtp", ...); "" if unknown */
	char service[BANNERID_NAME];
	char product[BANNERID_FIELD]; /* "OpenSSH", "nginx", "Apache httpd" */
	char version[BANNERID_FIELD]; /* as the server states it */
	char extrainfo[BANNERID_FIELD]; /* "protocol 2.0", "(Debian)" */
	char hostname[BANNERID_FIELD]; /* the name a greeting gives itself */
	char ostype[BANNERID_NAME]; /* only when the banner says it */
};

/*
 * Identify the service that sent len bytes at buf on port.  0 with *out
 * filled when recognised (service set; the other fields may be "");
 * -ENOENT when not (every field of *out ""); -EINVAL when out is NULL, or
 * buf is NULL with len > 0.  The port only breaks ties (a bare "220 "
 * greeting is FTP on 21, SMTP on 25); the content decides.
 */
int bannerid_identify(const uint8_t *buf, size_t len, uint16_t port,
		      struct bannerid *out);

/*
 * Who speaks first on a port, hence what the engine does after connect:
 * read (BANNERID_WAIT), or send the probe bannerid_probe() writes for it
 * (HTTP, Redis, memcached), or start a TLS handshake (BANNERID_TLS, the
 * TLS module's business).  A BANNERID_WAIT server that stays silent may
 * still be sent the HTTP probe: many HTTP servers run on other ports.
 */
enum bannerid_opener {
	BANNERID_WAIT = 0, /* the server greets (SSH, SMTP, FTP, ...) */
	BANNERID_HTTP, /* HTTP on 80, 8080, 8000, ... */
	BANNERID_TLS, /* TLS on 443, 993, 995, 465, ... */
	BANNERID_REDIS, /* Redis on 6379 */
	BANNERID_MEMCACHED, /* memcached on 11211 */
};

enum bannerid_opener bannerid_opener(uint16_t port);

/*
 * The request to send first for opener op: for BANNERID_HTTP an HTTP/1.1
 * HEAD / with a Host header made of host (an IPv4 or IPv6 address
 * literal, brackets added for IPv6) and port (left out on 80), and
 * "Connection: close"; for BANNERID_REDIS "INFO server"; for
 * BANNERID_MEMCACHED "version".  Writes the request and a NUL into buf
 * (cap bytes) and returns the request's length without the NUL; 0 (and
 * "" when cap allows) for BANNERID_WAIT and BANNERID_TLS, which send
 * nothing here; -ENOSPC if the request and its NUL do not fit in cap;
 * -EINVAL for a NULL buf, an unknown op, or (HTTP only) a host that is
 * not an address literal, which could otherwise end the header line.
 */
int bannerid_probe(enum bannerid_opener op, const char *host, uint16_t port,
		   char *buf, size_t cap);

/* bannerid_probe(BANNERID_HTTP, ...): the probe of issue 14 item 1. */
int bannerid_http_probe(const char *host, uint16_t port, char *buf, size_t cap);

#endif
