/*
 * proctable.c - parse /proc/net/{tcp,tcp6,udp,udp6} (see proctable.h).
 *
 * The text may come from a captured copy (--proc-root) that someone could
 * have edited or truncated, so the parser treats it as hostile: one cursor
 * bounded by the line's end, every field checked for its exact shape (hex
 * widths as the kernel prints them, decimal numbers that must fit), and the
 * first bad field ends the parse with its line number rather than being
 * skipped - a listing that does not parse is itself worth reporting, and
 * silently dropping a line is exactly what a rootkit would want.
 *
 * Address words: the kernel prints each 32-bit word of the address as it
 * sits in memory, read as a native integer (%08X of a __be32).  Parsing the
 * hex back into a native integer and storing it recovers the network-order
 * bytes on the machine that printed it; a capture from a machine of the
 * other byte order would need swapping, which is out of scope.
 *
 * The reader slurps each file (procfs files have no useful size; they are
 * read until EOF) into one growing buffer reused for all four.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "proctable.h"
#include "services.h"

struct cursor {
	const char *p;
	const char *end;
};

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static unsigned hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	return (unsigned)(c - 'A' + 10);
}

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* End of the current whitespace-separated token. */
static const char *token_end(const struct cursor *c)
{
	const char *q = c->p;

	while (q < c->end && *q != ' ' && *q != '\t')
		q++;
	return q;
}

/* Exactly n hex digits into *v (n <= 16). */
static bool take_hex(struct cursor *c, unsigned n, uint64_t *v)
{
	uint64_t x = 0;

	if ((size_t)(c->end - c->p) < n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (!is_hex(c->p[i]))
			return false;
		x = x << 4 | hex_val(c->p[i]);
	}
	c->p += n;
	*v = x;
	return true;
}

/* min to max hex digits (%08lX prints at least 8, more if it must). */
static bool take_hex_run(struct cursor *c, unsigned min, unsigned max,
			 uint64_t *v)
{
	unsigned n = 0;

	while (n < max && c->p + n < c->end && is_hex(c->p[n]))
		n++;
	return n >= min && take_hex(c, n, v);
}

static bool take_char(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

/* A decimal number of at most max; 1 to 20 digits. */
static bool take_dec(struct cursor *c, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (x > (max - d) / 10)
			return false;
		x = x * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return false;
	*v = x;
	return true;
}

/* End of a field: a blank or the end of the line. */
static bool at_field_end(const struct cursor *c)
{
	return c->p == c->end || *c->p == ' ' || *c->p == '\t';
}

/* "HEXADDR:PORT" with 8 (IPv4) or 32 (IPv6) address digits. */
static bool take_endpoint(struct cursor *c, int family, struct rs_addr *a,
			  uint16_t *port)
{
	unsigned words = family == AF_INET6 ? 4 : 1;
	uint64_t v;

	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	for (unsigned i = 0; i < words; i++) {
		uint32_t w;

		if (!take_hex(c, 8, &v))
			return false;
		w = (uint32_t)v;
		memcpy(a->bytes + 4 * i, &w, 4);
	}
	if (!take_char(c, ':') || !take_hex(c, 4, &v) || !at_field_end(c))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Fail on the field that starts at f: the whole field is the token. */
static int bad(struct rs_error *err, const char *f, const struct cursor *c,
	       unsigned long line, const char *reason)
{
	struct cursor fc = { .p = f, .end = c->end };

	rs_error_set(err, f, (size_t)(token_end(&fc) - f), reason);
	if (err)
		err->line = line;
	return -EINVAL;
}

/* Parse one socket line into e.  0 or -EINVAL. */
static int parse_line(struct cursor *c, int family, unsigned long line,
		      struct sock_entry *e, struct rs_error *err)
{
	const char *f;
	uint64_t v;

	skip_blanks(c);
	f = c->p;
	if (!take_dec(c, UINT32_MAX, &v) || !take_char(c, ':'))
		return bad(err, f, c, line, "expected the slot number 'N:'");
	skip_blanks(c);
	f = c->p;
	if (!take_endpoint(c, family, &e->local, &e->lport))
		return bad(
			err, f, c, line,
			family == AF_INET6 ?
				"expected a local address as 32 hex digits ':' 4 hex digits" :
				"expected a local address as 8 hex digits ':' 4 hex digits");
	skip_blanks(c);
	f = c->p;
	if (!take_endpoint(c, family, &e->remote, &e->rport))
		return bad(
			err, f, c, line,
			family == AF_INET6 ?
				"expected a remote address as 32 hex digits ':' 4 hex digits" :
				"expected a remote address as 8 hex digits ':' 4 hex digits");
	skip_blanks(c);
	f = c->p;
	if (!take_hex(c, 2, &v) || !at_field_end(c) || v == 0 || v > 0x0f)
		return bad(err, f, c, line,
			   "expected a socket state as 2 hex digits (01-0F)");
	e->state = (uint8_t)v;
	skip_blanks(c);
	f = c->p;
	if (!take_hex(c, 8, &v) || !take_char(c, ':') || !take_hex(c, 8, &v) ||
	    !at_field_end(c))
		return bad(err, f, c, line,
			   "expected tx_queue:rx_queue in hex");
	skip_blanks(c);
	f = c->p;
	if (!take_hex(c, 2, &v) || !take_char(c, ':') ||
	    !take_hex_run(c, 8, 16, &v) || !at_field_end(c))
		return bad(err, f, c, line, "expected tr:tm->when in hex");
	skip_blanks(c);
	f = c->p;
	if (!take_hex(c, 8, &v) || !at_field_end(c))
		return bad(err, f, c, line,
			   "expected retrnsmt as 8 hex digits");
	skip_blanks(c);
	f = c->p;
	if (!take_dec(c, UINT32_MAX, &v) || !at_field_end(c))
		return bad(err, f, c, line, "expected a decimal uid");
	e->uid = (uint32_t)v;
	skip_blanks(c);
	f = c->p;
	(void)take_char(c, '-'); /* printed with %d */
	if (!take_dec(c, UINT64_MAX, &v) || !at_field_end(c))
		return bad(err, f, c, line, "expected a decimal timeout");
	skip_blanks(c);
	f = c->p;
	if (!take_dec(c, UINT64_MAX, &v) || !at_field_end(c))
		return bad(err, f, c, line, "expected a decimal inode");
	e->inode = v;
	/* The rest differs between tcp and udp: printable text only. */
	for (; c->p < c->end; c->p++) {
		unsigned char ch = (unsigned char)*c->p;

		if (ch != '\t' && (ch < 0x20 || ch > 0x7e))
			return bad(err, c->p, c, line,
				   "unexpected non-printable byte");
	}
	return 0;
}

/* The header: optional blanks, then "sl" and printable text. */
static bool is_header(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	if (end - p < 2 || p[0] != 's' || p[1] != 'l')
		return false;
	for (; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

static bool is_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r')
			return false;
	return true;
}

int proctable_parse(const char *buf, size_t len, int proto, int family,
		    int (*fn)(void *ctx, const struct sock_entry *e), void *ctx,
		    struct rs_error *err)
{
	const char *p = buf, *end = buf + len;
	unsigned long line = 0;
	int ret;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct cursor c;
		struct sock_entry e;

		line++;
		if (eol > p && eol[-1] == '\r')
			eol--; /* a capture that went through CRLF */
		c = (struct cursor){ .p = p, .end = eol };
		if ((size_t)(eol - p) > PROCTABLE_LINE_MAX) {
			rs_error_set(err, p, 40, "line too long");
			if (err)
				err->line = line;
			return -EINVAL;
		}
		if (line == 1) {
			if (!is_header(p, eol)) {
				rs_error_set(
					err, p, (size_t)(eol - p),
					"not a /proc/net socket listing: the first line must be the 'sl local_address ...' header");
				if (err)
					err->line = line;
				return -EINVAL;
			}
		} else if (!is_blank(p, eol)) {
			memset(&e, 0, sizeof(e));
			e.proto = (uint8_t)proto;
			e.v6only = -1;
			ret = parse_line(&c, family, line, &e, err);
			if (ret)
				return ret;
			ret = fn(ctx, &e);
			if (ret)
				return ret;
		}
		p = nl ? nl + 1 : end;
	}
	if (line == 0) {
		rs_error_set(
			err, "", 0,
			"empty file: a /proc/net listing has at least its header");
		return -EINVAL;
	}
	return 0;
}

const char *proctable_file(unsigned table)
{
	switch (table) {
	case SOCK_T_TCP4:
		return "net/tcp";
	case SOCK_T_TCP6:
		return "net/tcp6";
	case SOCK_T_UDP4:
		return "net/udp";
	case SOCK_T_UDP6:
		return "net/udp6";
	default:
		return "net/?";
	}
}

static int add_entry(void *ctx, const struct sock_entry *e)
{
	return sock_list_add(ctx, e);
}

int proctable_read(const char *proc_root, struct sock_list *out,
		   unsigned *missing, unsigned *bad_table, struct rs_error *err)
{
	static const struct {
		unsigned table;
		int proto;
		int family;
	} files[] = {
		{ SOCK_T_TCP4, RS_TCP, AF_INET },
		{ SOCK_T_TCP6, RS_TCP, AF_INET6 },
		{ SOCK_T_UDP4, RS_UDP, AF_INET },
		{ SOCK_T_UDP6, RS_UDP, AF_INET6 },
	};
	char path[PATH_MAX];
	unsigned miss = 0;
	int ret = 0;

	if (bad_table)
		*bad_table = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int n = snprintf(path, sizeof(path), "%s/%s", proc_root,
				 proctable_file(files[i].table));
		char *buf;
		size_t len;

		if (n < 0 || (size_t)n >= sizeof(path)) {
			ret = -ENAMETOOLONG;
			break;
		}
		ret = fileio_read_all(path, PROCTABLE_FILE_MAX, &buf, &len);
		if (ret == -ENOENT) {
			miss |= files[i].table;
			ret = 0;
			continue;
		}
		if (!ret) {
			ret = proctable_parse(buf, len, files[i].proto,
					      files[i].family, add_entry, out,
					      err);
			free(buf);
		}
		if (ret) {
			if (bad_table)
				*bad_table = files[i].table;
			break;
		}
	}
	if (missing)
		*missing = miss;
	return ret;
}
