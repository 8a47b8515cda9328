/*
 * test_udppayload.c - the UDP probe payloads, each read back by a parser
 * written here from its protocol's specification.
 *
 * The parsers share nothing with udppayload.c: each walks the bytes as the
 * specification lays them out (BER tag by tag, DNS label by label, IKE
 * payload chain, SIP header lines, QUIC variable-length integers), checks
 * every fixed field and every length against what follows it, and that
 * the datagram ends exactly where the structure does.  Each also reports
 * where its transaction ID fields sit and checks them against
 * udppayload_id(), the contract an engine would validate replies by.
 *
 * Around the parsers: every port the issue names has an entry; every
 * entry has a parser here (a new entry without one fails); a different
 * cookie changes the ID fields and no other byte; every cap below a
 * payload's length gives -ENOSPC with no byte written past cap - the
 * buffer ends at a PROT_NONE page, so one would fault - and *len
 * untouched; every port without an entry gives an empty datagram and
 * writes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "mix.h"
#include "udppayload.h"

/* Where a parser found the ID fields of one payload. */
#define MAX_FIELDS 4

struct ids {
	size_t off[MAX_FIELDS], len[MAX_FIELDS];
	size_t n;
};

static void ids_add(struct ids *ids, size_t off, size_t len)
{
	assert_true(ids->n < MAX_FIELDS);
	ids->off[ids->n] = off;
	ids->len[ids->n] = len;
	ids->n++;
}

/* A bounds-checked reader: running past the end fails the test. */
struct rd {
	const uint8_t *p;
	size_t n, at;
};

static struct rd rd_sub(struct rd *r, size_t len)
{
	struct rd s;

	assert_true(len <= r->n - r->at);
	s.p = r->p + r->at;
	s.n = len;
	s.at = 0;
	r->at += len;
	return s;
}

static const uint8_t *rd_bytes(struct rd *r, size_t len)
{
	const uint8_t *p;

	assert_true(len <= r->n - r->at);
	p = r->p + r->at;
	r->at += len;
	return p;
}

static unsigned rd_u8(struct rd *r)
{
	return *rd_bytes(r, 1);
}

static unsigned rd_u16(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);

	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void rd_end(const struct rd *r)
{
	assert_int_equal(r->at, r->n);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* The ID field at r's position: len bytes equal to udppayload_id's. */
static void id_field(struct rd *r, const uint8_t *base, uint32_t cookie,
		     size_t from, size_t len, struct ids *ids)
{
	uint8_t want[32];
	const uint8_t *p;

	assert_true(from + len <= sizeof(want));
	udppayload_id(cookie, want, from + len);
	p = rd_bytes(r, len);
	assert_memory_equal(p, want + from, len);
	ids_add(ids, (size_t)(p - base), len);
}

/* ---- DNS (RFC 1035 4.1), mDNS (RFC 6762), NetBIOS-NS (RFC 1002) ---- */

/* The 12-byte header of a standard query with one question. */
static void dns_query_header(struct rd *r, const uint8_t *base, uint32_t cookie,
			     struct ids *ids)
{
	unsigned flags;

	id_field(r, base, cookie, 0, 2, ids);
	flags = rd_u16(r);
	assert_int_equal(flags >> 15, 0); /* QR: query */
	assert_int_equal((flags >> 11) & 15, 0); /* OPCODE: QUERY */
	assert_int_equal(flags & 15, 0); /* RCODE */
	assert_int_equal(rd_u16(r), 1); /* QDCOUNT */
	assert_int_equal(rd_u16(r), 0); /* ANCOUNT */
	assert_int_equal(rd_u16(r), 0); /* NSCOUNT */
	assert_int_equal(rd_u16(r), 0); /* ARCOUNT */
}

/* A QNAME as dotted text: labels of 1-63 bytes, at most 255 in all. */
static void dns_qname(struct rd *r, char *out, size_t cap)
{
	size_t total = 0, o = 0;
	unsigned l;

	out[0] = '\0';
	while ((l = rd_u8(r)) != 0) {
		assert_true(l <= 63); /* no compression pointer in a query */
		total += 1 + l;
		assert_true(o + l + 2 <= cap);
		if (o)
			out[o++] = '.';
		memcpy(out + o, rd_bytes(r, l), l);
		o += l;
		out[o] = '\0';
	}
	assert_true(total + 1 <= 255);
}

static void parse_dns(const uint8_t *p, size_t n, uint32_t cookie,
		      uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	char name[256];

	(void)port;
	dns_query_header(&r, p, cookie, ids);
	assert_int_equal(p[2] & 1, 0); /* RD: no recursion asked */
	dns_qname(&r, name, sizeof(name));
	assert_string_equal(name, ""); /* the root */
	assert_int_equal(rd_u16(&r), 2); /* NS */
	assert_int_equal(rd_u16(&r), 1); /* IN */
	rd_end(&r);
}

static void parse_mdns(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	char name[256];
	unsigned qclass;

	(void)port;
	dns_query_header(&r, p, cookie, ids);
	dns_qname(&r, name, sizeof(name));
	assert_string_equal(name, "_services._dns-sd._udp.local");
	assert_int_equal(rd_u16(&r), 12); /* PTR */
	qclass = rd_u16(&r);
	assert_int_equal(qclass & 0x7fff, 1); /* IN */
	rd_end(&r);
}

static void parse_nbns(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	const uint8_t *enc;
	uint8_t name[16];
	size_t i;

	(void)port;
	dns_query_header(&r, p, cookie, ids);
	assert_int_equal(p[2] | p[3], 0); /* NM_FLAGS all clear */
	/* First-level encoding (RFC 1001 14.1): 16 bytes -> 32 'A'-'P'. */
	assert_int_equal(rd_u8(&r), 32);
	enc = rd_bytes(&r, 32);
	for (i = 0; i < 16; i++) {
		assert_in_range(enc[2 * i], 'A', 'P');
		assert_in_range(enc[2 * i + 1], 'A', 'P');
		name[i] = (uint8_t)((enc[2 * i] - 'A') << 4 |
				    (enc[2 * i + 1] - 'A'));
	}
	assert_int_equal(name[0], '*');
	assert_true(all_zero(name + 1, 15));
	assert_int_equal(rd_u8(&r), 0); /* no scope labels */
	assert_int_equal(rd_u16(&r), 0x21); /* NBSTAT */
	assert_int_equal(rd_u16(&r), 1); /* IN */
	rd_end(&r);
}

/* ---- NTP (RFC 5905 7.3) ---- */

static void parse_ntp(const uint8_t *p, size_t n, uint32_t cookie,
		      uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	unsigned b0;

	(void)port;
	assert_int_equal(n, 48); /* header, no extension fields or MAC */
	b0 = rd_u8(&r);
	assert_int_equal(b0 >> 6, 0); /* LI: no warning */
	assert_int_equal((b0 >> 3) & 7, 4); /* VN */
	assert_int_equal(b0 & 7, 3); /* Mode: client */
	rd_bytes(&r, 3); /* stratum, poll, precision: free for a client */
	rd_bytes(&r, 12); /* root delay, root dispersion, reference ID */
	rd_bytes(&r, 8); /* reference timestamp */
	assert_true(all_zero(rd_bytes(&r, 16), 16)); /* origin, receive */
	id_field(&r, p, cookie, 0, 8, ids); /* transmit timestamp */
	rd_end(&r);
}

/* ---- BER (X.690): SNMP (RFC 1157) and CLDAP (RFC 4511) ---- */

/* A TLV of the given tag; returns a reader over its content. */
static struct rd ber_tlv(struct rd *r, unsigned tag)
{
	size_t len;
	unsigned l;

	assert_int_equal(rd_u8(r), tag);
	l = rd_u8(r);
	if (l < 0x80) {
		len = l;
	} else {
		unsigned k = l & 0x7f;

		assert_true(k >= 1 && k <= 2); /* 0x80 (indefinite): not BER */
		len = 0;
		while (k--)
			len = len << 8 | rd_u8(r);
	}
	return rd_sub(r, len);
}

/* An INTEGER (any tag) that must be minimally encoded; its value. */
static int64_t ber_int(struct rd *r, unsigned tag, const uint8_t **at,
		       size_t *len)
{
	struct rd c = ber_tlv(r, tag);
	int64_t v;

	assert_true(c.n >= 1 && c.n <= 4);
	if (c.n > 1) {
		/* X.690 8.3.2: the first 9 bits are not all 0 or all 1. */
		assert_false(c.p[0] == 0x00 && !(c.p[1] & 0x80));
		assert_false(c.p[0] == 0xff && (c.p[1] & 0x80));
	}
	v = (c.p[0] & 0x80) ? -1 : 0;
	if (at)
		*at = c.p;
	if (len)
		*len = c.n;
	while (c.at < c.n)
		v = v * 256 + rd_u8(&c);
	return v;
}

/* The cookie's BER ID: ID bytes 0-3, the first forced into 0x40-0x7f. */
static void ber_id_field(struct rd *r, const uint8_t *base, uint32_t cookie,
			 struct ids *ids)
{
	const uint8_t *at;
	uint8_t want[4];
	size_t len;
	int64_t v;

	v = ber_int(r, 0x02, &at, &len);
	assert_int_equal(len, 4);
	assert_true(v > 0);
	udppayload_id(cookie, want, sizeof(want));
	want[0] = (uint8_t)((want[0] & 0x3f) | 0x40);
	assert_memory_equal(at, want, sizeof(want));
	ids_add(ids, (size_t)(at - base), len);
}

static void ber_string(struct rd *r, unsigned tag, const char *want)
{
	struct rd c = ber_tlv(r, tag);

	assert_int_equal(c.n, strlen(want));
	assert_memory_equal(c.p, want, c.n);
}

/* An OBJECT IDENTIFIER's arcs (X.690 8.19), as dotted text. */
static void ber_oid(struct rd *r, char *out, size_t cap)
{
	struct rd c = ber_tlv(r, 0x06);
	uint64_t arc = 0;
	size_t o = 0;
	bool first = true;

	assert_true(c.n >= 1);
	while (c.at < c.n) {
		unsigned b = rd_u8(&c);

		assert_false(arc == 0 && b == 0x80); /* no padding byte */
		arc = arc << 7 | (b & 0x7f);
		assert_true(arc < (1ULL << 32));
		if (b & 0x80)
			continue;
		if (first)
			o += (size_t)snprintf(
				out + o, cap - o, "%u.%llu",
				arc < 80 ? (unsigned)arc / 40 : 2,
				(unsigned long long)(arc < 80 ? arc % 40 :
								arc - 80));
		else
			o += (size_t)snprintf(out + o, cap - o, ".%llu",
					      (unsigned long long)arc);
		assert_true(o < cap);
		first = false;
		arc = 0;
	}
	assert_int_equal(arc, 0); /* the last byte ends an arc */
}

static void parse_snmp(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 }, msg, pdu, list, bind, nul;
	char oid[64];

	(void)port;
	msg = ber_tlv(&r, 0x30);
	rd_end(&r);
	assert_int_equal(ber_int(&msg, 0x02, NULL, NULL), 0); /* version-1 */
	ber_string(&msg, 0x04, "public");
	pdu = ber_tlv(&msg, 0xa0); /* GetRequest-PDU */
	rd_end(&msg);
	ber_id_field(&pdu, p, cookie, ids);
	assert_int_equal(ber_int(&pdu, 0x02, NULL, NULL), 0); /* error-status */
	assert_int_equal(ber_int(&pdu, 0x02, NULL, NULL), 0); /* error-index */
	list = ber_tlv(&pdu, 0x30);
	rd_end(&pdu);
	bind = ber_tlv(&list, 0x30);
	rd_end(&list); /* exactly one binding */
	ber_oid(&bind, oid, sizeof(oid));
	assert_string_equal(oid, "1.3.6.1.2.1.1.1.0"); /* sysDescr.0 */
	nul = ber_tlv(&bind, 0x05);
	assert_int_equal(nul.n, 0);
	rd_end(&bind);
}

static void parse_cldap(const uint8_t *p, size_t n, uint32_t cookie,
			uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 }, msg, req, attrs, b;

	(void)port;
	msg = ber_tlv(&r, 0x30); /* LDAPMessage */
	rd_end(&r);
	ber_id_field(&msg, p, cookie, ids); /* messageID */
	req = ber_tlv(&msg, 0x63); /* [APPLICATION 3] constructed */
	rd_end(&msg); /* no controls */
	ber_string(&req, 0x04, ""); /* baseObject: the root DSE */
	assert_int_equal(ber_int(&req, 0x0a, NULL, NULL), 0); /* baseObject */
	assert_int_equal(ber_int(&req, 0x0a, NULL, NULL), 0); /* neverDeref */
	assert_int_equal(ber_int(&req, 0x02, NULL, NULL), 0); /* sizeLimit */
	assert_int_equal(ber_int(&req, 0x02, NULL, NULL), 0); /* timeLimit */
	b = ber_tlv(&req, 0x01); /* typesOnly */
	assert_int_equal(b.n, 1);
	assert_int_equal(b.p[0], 0x00);
	ber_string(&req, 0x87, "objectClass"); /* present, context [7] */
	attrs = ber_tlv(&req, 0x30);
	while (attrs.at < attrs.n) /* AttributeSelection: LDAPStrings */
		(void)ber_tlv(&attrs, 0x04);
	rd_end(&req);
}

/* ---- text protocols: SSDP (UPnP DA), SIP (RFC 3261) ---- */

/* The value of header name (case-insensitive) in CRLF-separated lines. */
static bool text_header(const char *msg, const char *name, char *val,
			size_t cap)
{
	const char *line = strstr(msg, "\r\n") + 2;
	size_t nl = strlen(name);

	while (strncmp(line, "\r\n", 2) != 0) {
		const char *eol = strstr(line, "\r\n");

		assert_non_null(eol);
		if (!strncasecmp(line, name, nl) && line[nl] == ':') {
			const char *v = line + nl + 1;

			while (*v == ' ')
				v++;
			assert_true((size_t)(eol - v) < cap);
			memcpy(val, v, (size_t)(eol - v));
			val[eol - v] = '\0';
			return true;
		}
		line = eol + 2;
	}
	return false;
}

/* A text message: printable ASCII lines, CRLF, ending in an empty line. */
static void text_message(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t i;

	assert_true(n >= 4 && n < cap);
	for (i = 0; i < n; i++) {
		assert_true((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\r' ||
			    p[i] == '\n');
		if (p[i] == '\n')
			assert_true(i > 0 && p[i - 1] == '\r');
		if (p[i] == '\r')
			assert_true(i + 1 < n && p[i + 1] == '\n');
	}
	memcpy(out, p, n);
	out[n] = '\0';
	/* The first empty line ends the headers, and the message. */
	assert_int_equal(strstr(out, "\r\n\r\n") + 4 - out, n);
}

static void parse_ssdp(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	char msg[1024], v[256];

	(void)cookie;
	(void)port;
	(void)ids;
	text_message(p, n, msg, sizeof(msg));
	assert_int_equal(strncmp(msg, "M-SEARCH * HTTP/1.1\r\n", 21), 0);
	assert_true(text_header(msg, "HOST", v, sizeof(v)));
	assert_string_equal(v, "239.255.255.250:1900");
	assert_true(text_header(msg, "MAN", v, sizeof(v)));
	assert_string_equal(v, "\"ssdp:discover\"");
	assert_true(text_header(msg, "MX", v, sizeof(v)));
	assert_true(atoi(v) >= 1 && atoi(v) <= 5);
	assert_true(text_header(msg, "ST", v, sizeof(v)));
	assert_true(v[0] != '\0');
}

static bool is_lower_hex(const char *s, size_t n)
{
	while (n--) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
		s++;
	}
	return true;
}

/* The ID bytes from..from+len as lower-case hex, found right after key. */
static void sip_hex_field(const char *msg, const char *hay, const char *key,
			  uint32_t cookie, size_t from, size_t len,
			  struct ids *ids)
{
	const char *at = strstr(hay, key);
	uint8_t want[16];
	char hex[33];
	size_t i;

	assert_non_null(at);
	at += strlen(key);
	assert_true(is_lower_hex(at, 2 * len));
	udppayload_id(cookie, want, from + len);
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", want[from + i]);
	assert_memory_equal(at, hex, 2 * len);
	ids_add(ids, (size_t)(at - msg), 2 * len);
}

static void parse_sip(const uint8_t *p, size_t n, uint32_t cookie,
		      uint16_t port, struct ids *ids)
{
	char msg[2048], v[256];
	const char *via, *from, *callid, *eol;

	(void)port;
	text_message(p, n, msg, sizeof(msg));
	/* Request-Line (RFC 3261 7.1): Method SP Request-URI SP SIP/2.0 */
	eol = strstr(msg, "\r\n");
	assert_int_equal(strncmp(msg, "OPTIONS sip:", 12), 0);
	assert_int_equal(memcmp(eol - 8, " SIP/2.0", 8), 0);
	assert_true(memchr(msg + 12, ' ', (size_t)(eol - 8 - msg - 12)) ==
		    NULL); /* Request-URI: one token */
	/* The headers every request carries (RFC 3261 8.1.1). */
	assert_true(text_header(msg, "Max-Forwards", v, sizeof(v)));
	assert_int_equal(atoi(v), 70);
	assert_true(text_header(msg, "To", v, sizeof(v)));
	assert_true(strstr(v, "sip:") != NULL);
	assert_true(text_header(msg, "CSeq", v, sizeof(v)));
	assert_string_equal(v, "1 OPTIONS"); /* method matches the line */
	assert_true(text_header(msg, "Content-Length", v, sizeof(v)));
	assert_string_equal(v, "0"); /* and the body is empty: see above */
	assert_true(text_header(msg, "From", v, sizeof(v)));
	assert_true(text_header(msg, "Call-ID", v, sizeof(v)));
	assert_true(text_header(msg, "Via", v, sizeof(v)));
	assert_int_equal(strncmp(v, "SIP/2.0/UDP ", 12), 0);
	assert_true(strstr(v, ";rport") != NULL);
	/* branch starts with the magic cookie (RFC 3261 8.1.1.7) */
	via = strstr(msg, "\r\nVia:");
	from = strstr(msg, "\r\nFrom:");
	callid = strstr(msg, "\r\nCall-ID:");
	assert_non_null(via);
	assert_non_null(from);
	assert_non_null(callid);
	sip_hex_field(msg, via, ";branch=z9hG4bK", cookie, 0, 4, ids);
	sip_hex_field(msg, from, ";tag=", cookie, 4, 4, ids);
	sip_hex_field(msg, callid, "Call-ID: ", cookie, 8, 8, ids);
}

/* ---- binary protocols ---- */

static void parse_ike(const uint8_t *p, size_t n, uint32_t cookie,
		      uint16_t port, struct ids *ids)
{
	struct rd all = { p, n, 0 }, r, sa, prop, xf;
	unsigned seen = 0, type, value;
	const uint8_t *ic;

	if (port == 4500) /* RFC 3948 2.2: non-ESP marker */
		assert_int_equal(rd_u32(&all), 0);
	else
		assert_int_equal(port, 500);
	/* ISAKMP header (RFC 2408 3.1) */
	r.p = all.p + all.at;
	r.n = all.n - all.at;
	r.at = 0;
	ic = r.p;
	id_field(&r, p, cookie, 0, 8, ids); /* initiator cookie */
	assert_false(all_zero(ic, 8));
	assert_true(all_zero(rd_bytes(&r, 8), 8)); /* responder cookie */
	assert_int_equal(rd_u8(&r), 1); /* next payload: SA */
	assert_int_equal(rd_u8(&r), 0x10); /* major 1, minor 0 */
	assert_int_equal(rd_u8(&r), 2); /* identity protection */
	assert_int_equal(rd_u8(&r), 0); /* flags */
	assert_int_equal(rd_u32(&r), 0); /* message ID */
	assert_int_equal(rd_u32(&r), r.n); /* length: the whole message */
	/* SA payload (RFC 2408 3.4), the last payload */
	assert_int_equal(rd_u8(&r), 0);
	assert_int_equal(rd_u8(&r), 0);
	sa = rd_sub(&r, rd_u16(&r) - 4);
	rd_end(&r);
	assert_int_equal(rd_u32(&sa), 1); /* DOI: IPsec */
	assert_int_equal(rd_u32(&sa), 1); /* SIT_IDENTITY_ONLY */
	/* Proposal payload (3.5) */
	assert_int_equal(rd_u8(&sa), 0); /* last proposal */
	assert_int_equal(rd_u8(&sa), 0);
	prop = rd_sub(&sa, rd_u16(&sa) - 4);
	rd_end(&sa);
	assert_int_equal(rd_u8(&prop), 1); /* proposal # */
	assert_int_equal(rd_u8(&prop), 1); /* PROTO_ISAKMP */
	assert_int_equal(rd_u8(&prop), 0); /* SPI size */
	assert_int_equal(rd_u8(&prop), 1); /* transforms */
	/* Transform payload (3.6) */
	assert_int_equal(rd_u8(&prop), 0); /* last transform */
	assert_int_equal(rd_u8(&prop), 0);
	xf = rd_sub(&prop, rd_u16(&prop) - 4);
	rd_end(&prop);
	assert_int_equal(rd_u8(&xf), 1); /* transform # */
	assert_int_equal(rd_u8(&xf), 1); /* KEY_IKE */
	assert_int_equal(rd_u16(&xf), 0);
	/* Data attributes (3.3): TV, or TLV with a length */
	while (xf.at < xf.n) {
		type = rd_u16(&xf);
		if (type & 0x8000) {
			value = rd_u16(&xf);
		} else {
			rd_bytes(&xf, rd_u16(&xf));
			value = 0;
		}
		type &= 0x7fff;
		if (type < 32)
			seen |= 1u << type;
		if (type == 12)
			assert_true(value > 0); /* life duration */
	}
	/* RFC 2409 5: encryption, hash, authentication, group mandatory */
	assert_int_equal(seen & 0x1e, 0x1e);
}

static void parse_openvpn(const uint8_t *p, size_t n, uint32_t cookie,
			  uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	unsigned op;

	(void)port;
	op = rd_u8(&r);
	assert_int_equal(op >> 3, 7); /* P_CONTROL_HARD_RESET_CLIENT_V2 */
	assert_int_equal(op & 7, 0); /* key id */
	id_field(&r, p, cookie, 0, 8, ids); /* session ID */
	assert_int_equal(rd_u8(&r), 0); /* no ACKs, so no remote session */
	assert_int_equal(rd_u32(&r), 0); /* first message packet-id */
	rd_end(&r); /* a hard reset carries no TLS payload */
}

static void parse_memcached(const uint8_t *p, size_t n, uint32_t cookie,
			    uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	size_t rest;

	(void)port;
	id_field(&r, p, cookie, 0, 2, ids); /* request ID */
	assert_int_equal(rd_u16(&r), 0); /* sequence number */
	assert_int_equal(rd_u16(&r), 1); /* total datagrams */
	assert_int_equal(rd_u16(&r), 0); /* reserved */
	rest = r.n - r.at;
	assert_true((rest == 9 && !memcmp(r.p + r.at, "version\r\n", 9)) ||
		    (rest == 7 && !memcmp(r.p + r.at, "stats\r\n", 7)));
}

static void parse_tftp(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	const uint8_t *s;
	size_t l;

	(void)cookie;
	(void)port;
	(void)ids;
	assert_int_equal(rd_u16(&r), 1); /* RRQ */
	/* Filename: netascii, NUL-terminated, not empty. */
	s = r.p + r.at;
	for (l = 0; rd_u8(&r) != 0; l++)
		assert_true(s[l] >= 0x20 && s[l] < 0x7f);
	assert_true(l > 0);
	/* Mode, case-insensitive (RFC 1350 5). */
	s = r.p + r.at;
	for (l = 0; rd_u8(&r) != 0; l++)
		;
	assert_int_equal(l, 5);
	assert_int_equal(strncasecmp((const char *)s, "octet", 5), 0);
	rd_end(&r);
}

static void parse_rpc(const uint8_t *p, size_t n, uint32_t cookie,
		      uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	uint32_t proc;

	(void)port;
	id_field(&r, p, cookie, 0, 4, ids); /* xid */
	assert_int_equal(rd_u32(&r), 0); /* CALL */
	assert_int_equal(rd_u32(&r), 2); /* rpcvers */
	assert_int_equal(rd_u32(&r), 100000); /* portmapper */
	assert_int_equal(rd_u32(&r), 2); /* version 2 */
	proc = rd_u32(&r);
	assert_true(proc == 0 || proc == 4); /* NULL or DUMP */
	assert_int_equal(rd_u32(&r), 0); /* cred AUTH_NONE */
	assert_int_equal(rd_u32(&r), 0); /* its body: empty */
	assert_int_equal(rd_u32(&r), 0); /* verf AUTH_NONE */
	assert_int_equal(rd_u32(&r), 0);
	rd_end(&r); /* NULL and DUMP take no arguments */
}

static void parse_mssql(const uint8_t *p, size_t n, uint32_t cookie,
			uint16_t port, struct ids *ids)
{
	(void)cookie;
	(void)port;
	(void)ids;
	assert_int_equal(n, 1);
	assert_true(p[0] == 0x02 || p[0] == 0x03); /* CLNT_(B|U)CAST_EX */
}

static void parse_stun(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	unsigned type;

	(void)port;
	type = rd_u16(&r);
	assert_int_equal(type >> 14, 0); /* top two bits zero */
	assert_int_equal(type, 0x0001); /* Binding, class request */
	assert_int_equal(rd_u16(&r), n - 20); /* length after the header */
	assert_int_equal((n - 20) % 4, 0);
	assert_int_equal(rd_u32(&r), 0x2112a442); /* magic cookie */
	id_field(&r, p, cookie, 0, 12, ids); /* transaction ID */
	rd_end(&r); /* no attributes */
}

/* A QUIC variable-length integer (RFC 9000 16). */
static uint64_t quic_varint(struct rd *r)
{
	unsigned b = rd_u8(r);
	size_t len = (size_t)1 << (b >> 6), i;
	uint64_t v = b & 0x3f;

	for (i = 1; i < len; i++)
		v = v << 8 | rd_u8(r);
	return v;
}

static void parse_quic(const uint8_t *p, size_t n, uint32_t cookie,
		       uint16_t port, struct ids *ids)
{
	struct rd r = { p, n, 0 };
	unsigned b0, dl, sl;
	uint32_t version;
	uint64_t tok, len;

	(void)port;
	assert_true(n >= 1200); /* RFC 9000 14.1 */
	b0 = rd_u8(&r);
	assert_true(b0 & 0x80); /* long header */
	assert_true(b0 & 0x40); /* fixed bit */
	assert_int_equal((b0 >> 4) & 3, 0); /* Initial */
	version = rd_u32(&r);
	/* RFC 9000 15: 0x?a?a?a?a is reserved to force negotiation */
	assert_int_equal(version & 0x0f0f0f0f, 0x0a0a0a0a);
	dl = rd_u8(&r);
	assert_true(dl >= 8 && dl <= 20); /* 7.2: at least 8 from a client */
	assert_int_equal(dl, 8);
	id_field(&r, p, cookie, 0, 8, ids);
	sl = rd_u8(&r);
	assert_int_equal(sl, 8);
	id_field(&r, p, cookie, 8, 8, ids);
	tok = quic_varint(&r);
	rd_bytes(&r, (size_t)tok);
	len = quic_varint(&r);
	assert_int_equal(len, r.n - r.at); /* the packet fills the datagram */
	assert_true(len >= (b0 & 3) + 1);
}

/* ---- the table ---- */

typedef void (*parse_fn)(const uint8_t *p, size_t n, uint32_t cookie,
			 uint16_t port, struct ids *ids);

/* Every port the issue names: the entry's name, its spec, a parser. */
static const struct {
	uint16_t port;
	const char *name;
	const char *cites;
	parse_fn parse;
} want[] = {
	{ 53, "dns", "RFC 1035", parse_dns },
	{ 5353, "mdns", "RFC 6762", parse_mdns },
	{ 123, "ntp", "RFC 5905", parse_ntp },
	{ 161, "snmp", "RFC 1157", parse_snmp },
	{ 137, "netbios-ns", "RFC 1002", parse_nbns },
	{ 1900, "ssdp", "UPnP Device Architecture", parse_ssdp },
	{ 500, "isakmp", "RFC 2409", parse_ike },
	{ 4500, "isakmp", "RFC 3948", parse_ike },
	{ 1194, "openvpn", "OpenVPN", parse_openvpn },
	{ 11211, "memcache", "memcached protocol.txt", parse_memcached },
	{ 5060, "sip", "RFC 3261", parse_sip },
	{ 69, "tftp", "RFC 1350", parse_tftp },
	{ 111, "rpcbind", "RFC 5531", parse_rpc },
	{ 389, "ldap", "RFC 4511", parse_cldap },
	{ 1434, "ms-sql-m", "[MC-SQLR]", parse_mssql },
	{ 3478, "stun", "RFC 8489", parse_stun },
	{ 443, "quic", "RFC 9000", parse_quic },
};

#define NWANT (sizeof(want) / sizeof(want[0]))

static const uint32_t fixed_cookies[] = {
	0,	    1,		2,	    0xff,	0x100,	    0x7fffffff,
	0x80000000, 0xfffffffe, 0xffffffff, 0xdeadbeef, 0x12345678,
};

/* The i-th test cookie: the fixed ones, then an LCG's. */
static uint32_t test_cookie(unsigned i)
{
	uint32_t x = 2463534242u;
	size_t nfixed = sizeof(fixed_cookies) / sizeof(fixed_cookies[0]);

	if (i < nfixed)
		return fixed_cookies[i];
	x += (uint32_t)i * 747796405u;
	return x * 2891336453u + 1;
}

#define NCOOKIES 300

static size_t build_ok(uint16_t port, uint32_t cookie, uint8_t *buf, size_t cap)
{
	size_t len = (size_t)-1;

	assert_int_equal(udppayload_build(port, cookie, buf, cap, &len), 0);
	assert_true(len <= cap);
	return len;
}

static void test_issue_ports(void **state)
{
	const struct udppayload_info *e;
	size_t i;

	(void)state;
	for (i = 0; i < NWANT; i++) {
		e = udppayload_find(want[i].port);
		if (!e)
			fail_msg("port %u has no entry", want[i].port);
		assert_string_equal(e->name, want[i].name);
		assert_string_equal(udppayload_name(want[i].port),
				    want[i].name);
		if (!strstr(e->spec, want[i].cites))
			fail_msg("%s: spec \"%s\" does not cite %s", e->name,
				 e->spec, want[i].cites);
		assert_true(e->probe && e->probe[0]);
		assert_true(udppayload_len(want[i].port) > 0);
	}
}

static void test_table(void **state)
{
	const struct udppayload_info *e, *f;
	size_t i, j, k, l, ports = 0;
	uint8_t buf[UDPPAYLOAD_MAX];
	bool found;

	(void)state;
	for (i = 0; (e = udppayload_entry(i)) != NULL; i++) {
		assert_true(e->name && e->name[0]);
		assert_true(e->spec && e->spec[0]);
		assert_true(e->ports[0] != 0);
		for (k = 0; k < UDPPAYLOAD_MAX_PORTS && e->ports[k]; k++) {
			uint16_t port = e->ports[k];

			ports++;
			/* Every port of the table has a parser here. */
			found = false;
			for (j = 0; j < NWANT; j++)
				found |= want[j].port == port;
			if (!found)
				fail_msg("%s port %u: no parser in this test",
					 e->name, port);
			assert_ptr_equal(udppayload_find(port), e);
			/* No port in two entries. */
			for (j = 0; (f = udppayload_entry(j)) != NULL; j++)
				for (l = 0; l < UDPPAYLOAD_MAX_PORTS; l++)
					if (f != e && f->ports[l] == port)
						fail_msg("port %u twice", port);
			assert_int_equal(build_ok(port, 7, buf, sizeof(buf)),
					 udppayload_len(port));
			assert_true(udppayload_len(port) <= UDPPAYLOAD_MAX);
		}
		/* Once the list has ended it stays ended. */
		for (; k < UDPPAYLOAD_MAX_PORTS; k++)
			assert_int_equal(e->ports[k], 0);
	}
	assert_int_equal(ports, NWANT);
	assert_null(udppayload_entry(i + 1));
	assert_null(udppayload_entry((size_t)-1));
	/* A cap larger than the payload (even SIZE_MAX) is no overflow. */
	for (j = 0; j < NWANT; j++)
		assert_int_equal(build_ok(want[j].port, 7, buf, SIZE_MAX),
				 udppayload_len(want[j].port));
	/* QUIC's 1200 is the longest, and UDPPAYLOAD_MAX says so. */
	assert_int_equal(udppayload_len(443), UDPPAYLOAD_MAX);
}

/* Each payload parses, for many cookies, into a buffer with room left. */
static void test_parse(void **state)
{
	uint8_t buf[UDPPAYLOAD_MAX + 64];
	struct ids ids;
	size_t i, len, k;
	unsigned c;

	(void)state;
	for (i = 0; i < NWANT; i++) {
		for (c = 0; c < NCOOKIES; c++) {
			uint32_t cookie = test_cookie(c);

			memset(buf, 0xa5, sizeof(buf));
			len = build_ok(want[i].port, cookie, buf, sizeof(buf));
			assert_int_equal(len, udppayload_len(want[i].port));
			for (k = len; k < sizeof(buf); k++)
				assert_int_equal(buf[k], 0xa5);
			memset(&ids, 0, sizeof(ids));
			want[i].parse(buf, len, cookie, want[i].port, &ids);
		}
	}
}

static bool in_ids(const struct ids *ids, size_t at)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		if (at >= ids->off[i] && at < ids->off[i] + ids->len[i])
			return true;
	return false;
}

/*
 * A cookie moves the ID fields and nothing else; the ID fields move with
 * it (those of 4 bytes and more differ across all test cookies).
 */
static void test_cookie_changes_only_ids(void **state)
{
	static uint8_t seen[NCOOKIES][16];
	uint8_t ref[UDPPAYLOAD_MAX], buf[UDPPAYLOAD_MAX];
	struct ids rids, ids;
	size_t i, k, rlen, len, idlen;
	unsigned c, d;

	(void)state;
	for (i = 0; i < NWANT; i++) {
		memset(&rids, 0, sizeof(rids));
		rlen = build_ok(want[i].port, 0, ref, sizeof(ref));
		want[i].parse(ref, rlen, 0, want[i].port, &rids);
		idlen = 0;
		for (k = 0; k < rids.n; k++)
			idlen += rids.len[k];
		for (c = 0; c < NCOOKIES; c++) {
			uint32_t cookie = test_cookie(c);

			len = build_ok(want[i].port, cookie, buf, sizeof(buf));
			assert_int_equal(len, rlen);
			memset(&ids, 0, sizeof(ids));
			want[i].parse(buf, len, cookie, want[i].port, &ids);
			assert_int_equal(ids.n, rids.n);
			for (k = 0; k < ids.n; k++) {
				assert_int_equal(ids.off[k], rids.off[k]);
				assert_int_equal(ids.len[k], rids.len[k]);
			}
			for (k = 0; k < len; k++)
				if (buf[k] != ref[k] && !in_ids(&ids, k))
					fail_msg("%s port %u: byte %zu moved "
						 "with the cookie",
						 want[i].name, want[i].port, k);
			/* The first ID field, to compare across cookies. */
			memset(seen[c], 0, sizeof(seen[c]));
			if (ids.n)
				memcpy(seen[c], buf + ids.off[0],
				       ids.len[0] < 16 ? ids.len[0] : 16);
		}
		if (!rids.n || rids.len[0] < 4)
			continue; /* 16-bit IDs collide by the birthday bound */
		for (c = 0; c < NCOOKIES; c++)
			for (d = c + 1; d < NCOOKIES; d++)
				if (test_cookie(c) != test_cookie(d) &&
				    !memcmp(seen[c], seen[d], sizeof(seen[c])))
					fail_msg("%s: cookies %u and %u give "
						 "one ID",
						 want[i].name, c, d);
	}
}

/*
 * A buffer of cap bytes that ends at a PROT_NONE page: a write at
 * buf[cap] faults.  For cap 0 the pointer is the guard page itself.
 */
struct wbuf {
	uint8_t *base, *buf;
	size_t maplen;
};

static void wbuf_map(struct wbuf *w, size_t most)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (most + pg - 1) / pg * pg;

	if (!data)
		data = pg;
	w->maplen = data + pg;
	w->base = mmap(NULL, w->maplen, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(w->base != MAP_FAILED);
	assert_int_equal(mprotect(w->base + data, pg, PROT_NONE), 0);
}

static uint8_t *wbuf_at(struct wbuf *w, size_t cap)
{
	return w->base + (w->maplen - (size_t)sysconf(_SC_PAGESIZE)) - cap;
}

static void test_enospc(void **state)
{
	uint8_t ref[UDPPAYLOAD_MAX];
	struct wbuf w;
	size_t i, cap, rlen, len;

	(void)state;
	wbuf_map(&w, UDPPAYLOAD_MAX);
	/* The guard is real: the byte after any buffer faults. */
	assert_true(guard_faults(wbuf_at(&w, 0)));
	assert_false(guard_faults(wbuf_at(&w, 1)));
	for (i = 0; i < NWANT; i++) {
		uint16_t port = want[i].port;
		uint32_t cookie = 0xc0ffee00u + (uint32_t)i;

		rlen = build_ok(port, cookie, ref, sizeof(ref));
		for (cap = 0; cap < rlen; cap++) {
			len = 12345;
			assert_int_equal(udppayload_build(port, cookie,
							  wbuf_at(&w, cap), cap,
							  &len),
					 -ENOSPC);
			assert_int_equal(len, 12345);
		}
		/* Exactly enough room: the same bytes, right to the end. */
		assert_int_equal(
			build_ok(port, cookie, wbuf_at(&w, rlen), rlen), rlen);
		assert_memory_equal(wbuf_at(&w, rlen), ref, rlen);
		/* With no room at all and no buffer. */
		len = 12345;
		assert_int_equal(udppayload_build(port, cookie, NULL, 0, &len),
				 -ENOSPC);
		assert_int_equal(len, 12345);
	}
	munmap(w.base, w.maplen);
}

static void test_unknown_ports(void **state)
{
	uint8_t buf[64];
	unsigned port;
	size_t len, k, listed = 0;

	(void)state;
	for (port = 0; port <= 65535; port++) {
		if (udppayload_find((uint16_t)port)) {
			listed++;
			continue;
		}
		assert_null(udppayload_name((uint16_t)port));
		assert_int_equal(udppayload_len((uint16_t)port), 0);
		len = 99;
		assert_int_equal(
			udppayload_build((uint16_t)port, 42, NULL, 0, &len), 0);
		assert_int_equal(len, 0);
		memset(buf, 0x5a, sizeof(buf));
		assert_int_equal(udppayload_build((uint16_t)port, 42, buf,
						  sizeof(buf), &len),
				 0);
		assert_int_equal(len, 0);
		for (k = 0; k < sizeof(buf); k++)
			assert_int_equal(buf[k], 0x5a);
	}
	/* Port 0 ends the ports lists; it must not match a short list. */
	assert_null(udppayload_find(0));
	assert_int_equal(listed, NWANT);
}

/* The ID bytes: the documented derivation, prefix-stable, never zero. */
static void test_id_stream(void **state)
{
	static uint64_t words[NCOOKIES];
	uint8_t a[24], b[24];
	unsigned c, d;
	size_t n, k;

	(void)state;
	for (c = 0; c < NCOOKIES; c++) {
		uint32_t cookie = test_cookie(c);
		uint64_t w0 = mix64(cookie + 0x9e3779b97f4a7c15ULL);
		uint64_t w1 =
			mix64((1ULL << 32 | cookie) + 0x9e3779b97f4a7c15ULL);

		udppayload_id(cookie, a, sizeof(a));
		for (k = 0; k < 8; k++) {
			assert_int_equal(a[k], (uint8_t)(w0 >> (56 - 8 * k)));
			assert_int_equal(a[8 + k],
					 (uint8_t)(w1 >> (56 - 8 * k)));
		}
		assert_false(all_zero(a, 8));
		/* A shorter request is a prefix of a longer one. */
		for (n = 0; n <= sizeof(b); n++) {
			memset(b, 0xee, sizeof(b));
			udppayload_id(cookie, b, n);
			assert_memory_equal(a, b, n);
			for (k = n; k < sizeof(b); k++)
				assert_int_equal(b[k], 0xee);
		}
		words[c] = w0;
	}
	for (c = 0; c < NCOOKIES; c++)
		for (d = c + 1; d < NCOOKIES; d++)
			if (test_cookie(c) != test_cookie(d))
				assert_true(words[c] != words[d]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_ports),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cookie_changes_only_ids),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_unknown_ports),
		cmocka_unit_test(test_id_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
