/*
 * audit_baseline.c - read a previous audit's output (see audit_baseline.h).
 *
 * The first line that is not blank says which output it is: the CSV
 * header or a '{' is the CSV or JSON lines the audit writes, read by
 * resultfile's parser with the audit's schema below - the same RFC 4180
 * quoting and RFC 8259 strings (escapes, \u sequences, surrogate pairs) as
 * every other file ringscan reads back, so a program name written through
 * escape_json comes back as the bytes it stands for; "ringscan ..." (the
 * title) or "PORT ..." (the header) is the text table, split into
 * blank-separated columns here.  Rows judged disappeared were not
 * listening when that audit ran, so they are not part of the baseline.
 * The entries are sorted by (protocol, port) for audit_baseline_find.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_baseline.h"
#include "fileio.h"
#include "resultfile.h"
#include "services.h"

#define AUDIT_BASELINE_MAX (64u << 20)

static int base_add(struct audit_baseline *b, unsigned proto, uint16_t port,
		    const char *program, size_t plen)
{
	struct audit_base_entry *e;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct audit_base_entry *v =
			reallocarray(b->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	e = &b->v[b->n++];
	memset(e, 0, sizeof(*e));
	e->proto = (uint8_t)proto;
	e->port = port;
	if (plen >= sizeof(e->program))
		plen = sizeof(e->program) - 1;
	memcpy(e->program, program, plen);
	e->program[plen] = '\0';
	return 0;
}

static int base_bad(struct rs_error *err, const char *p, size_t len,
		    unsigned long line, const char *reason)
{
	rs_error_set(err, p, len, reason);
	if (err)
		err->line = line;
	return -EINVAL;
}

static bool parse_port_proto(const char *p, size_t len, uint16_t *port,
			     unsigned *proto)
{
	unsigned long v = 0;
	size_t i = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9' && v <= 65535)
		v = v * 10 + (unsigned long)(p[i++] - '0');
	if (!i || v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	if (len - i == 4 && !memcmp(p + i, "/tcp", 4))
		*proto = RS_TCP;
	else if (len - i == 4 && !memcmp(p + i, "/udp", 4))
		*proto = RS_UDP;
	else
		return false;
	return true;
}

/* Split a line into blank-separated tokens (at most max). */
static size_t tokens(const char *p, const char *end, const char **t, size_t *tl,
		     size_t max)
{
	size_t n = 0;

	while (p < end && n < max) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		t[n] = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		tl[n] = (size_t)(p - t[n]);
		n++;
	}
	return n;
}

/* Text table: "PORT STATE SERVICE ADDRESS PROGRAM PID USER VERDICT ...". */
static int base_text_line(struct audit_baseline *b, const char *p,
			  const char *end, unsigned long line,
			  struct rs_error *err)
{
	const char *t[8];
	size_t tl[8], n = tokens(p, end, t, tl, 8);
	uint16_t port;
	unsigned proto;

	if (!n || !(t[0][0] >= '0' && t[0][0] <= '9'))
		return 0; /* title, header or summary line */
	if (n < 8 || !parse_port_proto(t[0], tl[0], &port, &proto))
		return base_bad(
			err, p, (size_t)(end - p), line,
			"not a row of an audit table (PORT STATE SERVICE ADDRESS PROGRAM PID USER VERDICT ...)");
	if (tl[7] == 11 && !memcmp(t[7], "disappeared", 11))
		return 0;
	return base_add(b, proto, port, t[4], tl[4]);
}

/* ---- CSV and JSON lines, through resultfile ---- */

enum base_col {
	BC_PORT,
	BC_PROTO,
	BC_STATE,
	BC_SERVICE,
	BC_ADDRESS,
	BC_PROGRAM,
	BC_PID,
	BC_USER,
	BC_VERDICT,
	BC_EVIDENCE,
	BC_REASON,
	BC_NCOLS,
};

#define NEEDS "a JSON row needs \"port\", \"proto\" and \"verdict\""

static const struct resultfile_column base_cols[BC_NCOLS] = {
	{ "port", RESULTFILE_NUMBER, true,
	  "bad port: expected a number from 1 to 65535", NEEDS },
	{ "proto", RESULTFILE_STRING, true, NULL, NEEDS },
	{ "state", 0, false, NULL, NULL },
	{ "service", 0, false, NULL, NULL },
	{ "address", 0, false, NULL, NULL },
	{ "program", RESULTFILE_STRING, false, NULL, NULL },
	{ "pid", 0, false, NULL, NULL },
	{ "user", 0, false, NULL, NULL },
	{ "verdict", RESULTFILE_STRING, true, NULL, NEEDS },
	{ "evidence", 0, false, NULL, NULL },
	{ "reason", 0, false, NULL, NULL },
};

/* One row as read: what the baseline keeps of it. */
struct base_row {
	uint16_t port;
	unsigned proto;
	bool gone; /* verdict disappeared */
	char program[AUDIT_PROGRAM_LEN];
};

static const char *base_set(void *ctx, unsigned col, const char *s, size_t n)
{
	struct base_row *r = ctx;
	unsigned long v = 0;
	size_t i = 0;

	switch ((enum base_col)col) {
	case BC_PORT:
		while (i < n && s[i] >= '0' && s[i] <= '9' && v <= 65535)
			v = v * 10 + (unsigned long)(s[i++] - '0');
		if (!i || i != n || v == 0 || v > 65535)
			return "bad port: expected a number from 1 to 65535";
		r->port = (uint16_t)v;
		return NULL;
	case BC_PROTO:
		if (!strcmp(s, "tcp"))
			r->proto = RS_TCP;
		else if (!strcmp(s, "udp"))
			r->proto = RS_UDP;
		else
			return "bad proto: expected tcp or udp";
		return NULL;
	case BC_PROGRAM:
		snprintf(r->program, sizeof(r->program), "%s", s);
		return NULL;
	case BC_VERDICT:
		r->gone = !strcmp(s, "disappeared");
		return NULL;
	default:
		return NULL; /* not part of a baseline */
	}
}

static void base_row_begin(void *ctx)
{
	memset(ctx, 0, sizeof(struct base_row));
}

static const struct resultfile_schema base_schema = {
	.csv_header = AUDIT_CSV_HEADER,
	.cols = base_cols,
	.ncols = BC_NCOLS,
	.neither =
		"not a ringscan audit output (text, -oC CSV or -oJ JSON lines)",
	.too_few = "expected " AUDIT_CSV_HEADER,
	.too_many = "too many fields: expected " AUDIT_CSV_HEADER,
	.set = base_set,
	.row_begin = base_row_begin,
};

static int base_rows(struct audit_baseline *b, const char *buf, size_t len,
		     struct rs_error *err)
{
	struct resultfile rf;
	struct base_row row;
	int ret;

	ret = resultfile_begin_schema(&rf, &base_schema, buf, len, err);
	while (!ret && (ret = resultfile_record(&rf, &row, err)) == 1)
		ret = row.gone ? 0 :
				 base_add(b, row.proto, row.port, row.program,
					  strlen(row.program));
	return ret;
}

/* ---- the text table ---- */

/* The rows after the header, which is line `line` of the file. */
static int base_text(struct audit_baseline *b, const char *buf, size_t len,
		     unsigned long line, struct rs_error *err)
{
	const char *p = buf, *end = buf + len;
	int ret;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		const char *s = p;

		line++;
		p = nl ? nl + 1 : end;
		if (eol > s && eol[-1] == '\r')
			eol--;
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		if (s == eol)
			continue;
		ret = base_text_line(b, s, eol, line, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- entry points ---- */

static int base_cmp(const void *pa, const void *pb)
{
	const struct audit_base_entry *a = pa, *b = pb;

	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

int audit_baseline_parse(const char *buf, size_t len, struct audit_baseline *b,
			 struct rs_error *err)
{
	const char *p = buf, *end = buf + len;
	unsigned long line = 0;
	int ret;

	/* The first line that is not blank (nor the text's title) says
	 * which output this is. */
	for (;;) {
		const char *nl, *eol, *s = p;
		size_t hl = strlen(AUDIT_CSV_HEADER), n;

		if (p >= end)
			return base_bad(
				err, "", 0, line,
				"no audit table found (an empty file?)");
		nl = memchr(p, '\n', (size_t)(end - p));
		eol = nl ? nl : end;
		line++;
		p = nl ? nl + 1 : end;
		if (eol > s && eol[-1] == '\r')
			eol--;
		while (s < eol && (*s == ' ' || *s == '\t'))
			s++;
		n = (size_t)(eol - s);
		if (!n || (n >= 8 && !memcmp(s, "ringscan", 8)))
			continue;
		if (*s == '{' || (n == hl && !memcmp(s, AUDIT_CSV_HEADER, hl)))
			ret = base_rows(b, buf, len, err);
		else if (n > 4 && !memcmp(s, "PORT", 4))
			ret = base_text(b, p, (size_t)(end - p), line, err);
		else
			return base_bad(
				err, s, n, line,
				"not a ringscan audit output (text, -oC CSV or -oJ JSON lines)");
		break;
	}
	if (ret)
		return ret;
	if (b->n)
		qsort(b->v, b->n, sizeof(*b->v), base_cmp);
	b->active = true;
	return 0;
}

const struct audit_base_entry *
audit_baseline_find(const struct audit_baseline *base, unsigned proto,
		    uint16_t port)
{
	struct audit_base_entry key = { .port = port, .proto = (uint8_t)proto };

	if (!base || !base->active || !base->n)
		return NULL;
	return bsearch(&key, base->v, base->n, sizeof(key), base_cmp);
}

int audit_baseline_load(const char *path, struct audit_baseline *b,
			struct rs_error *err)
{
	char *buf;
	size_t len;
	int ret;

	ret = fileio_read_all(path, AUDIT_BASELINE_MAX, &buf, &len);
	if (ret) {
		rs_error_set(err, path, strlen(path), NULL);
		return ret;
	}
	ret = audit_baseline_parse(buf, len, b, err);
	free(buf);
	return ret;
}

void audit_baseline_free(struct audit_baseline *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}
