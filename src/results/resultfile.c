/*
 * resultfile.c - parse ringscan's CSV and JSON-lines results (see
 * resultfile.h).
 *
 * Both parsers are a cursor over (buf, len) and every read goes through a
 * bounds check against len, so the input needs no terminator and a file
 * cut anywhere - inside a quoted field, an escape, a number - ends in a
 * refusal, never a read past the end.  Fields are decoded into one bounded
 * buffer on the stack (RESULTFILE_FIELD_MAX) and checked as soon as they
 * are complete, so the error names the field that is wrong rather than the
 * whole line.
 *
 * Strictness is deliberate.  A merge that silently skipped a row it could
 * not read would report a port as missing (or a rectangle as incomplete)
 * with no hint why, so the only tolerance is for what tools that pass the
 * files around really add: CRLF, a byte order mark, blank lines, reordered
 * or extra JSON keys.  A quote inside an unquoted CSV field, a stray
 * carriage return, a number with a fourth decimal or a lone surrogate are
 * refused, because ringscan never writes them and something else has been
 * at the file.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "resultfile.h"

/* One decoded field: bounded, NUL-terminated, with where it came from. */
struct field {
	char s[RESULTFILE_FIELD_MAX];
	size_t n;
	const char *src; /* start in the input, for error tokens */
};

/* The record being read: which columns it has given so far. */
struct partial {
	void *ctx; /* the schema's row */
	unsigned seen; /* 1 << column */
};

static int fail(struct resultfile *rf, struct rs_error *err, const char *tok,
		size_t n, const char *reason)
{
	rs_error_set(err, tok, n, reason);
	err->line = rf->line;
	return -EINVAL;
}

/* Bytes left from p to the end of its line (or of the input). */
static size_t line_span(const struct resultfile *rf, const char *p)
{
	const char *end = rf->buf + rf->len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return (size_t)((nl ? nl : end) - p);
}

static int fail_here(struct resultfile *rf, struct rs_error *err,
		     const char *reason)
{
	const char *p = rf->buf + rf->pos;

	return fail(rf, err, p, line_span(rf, p), reason);
}

static int fail_field(struct resultfile *rf, struct rs_error *err,
		      const struct field *f, const char *reason)
{
	return fail(rf, err, f->s, f->n, reason);
}

static int peek(const struct resultfile *rf, size_t off)
{
	if (rf->pos + off >= rf->len)
		return -1;
	return (unsigned char)rf->buf[rf->pos + off];
}

/* At a record's end (EOF, LF or CRLF)?  Nothing is consumed. */
static bool at_eol(const struct resultfile *rf)
{
	int c = peek(rf, 0);

	return c < 0 || c == '\n' || (c == '\r' && peek(rf, 1) == '\n');
}

static void eat_eol(struct resultfile *rf)
{
	if (peek(rf, 0) == '\r')
		rf->pos++;
	if (peek(rf, 0) == '\n') {
		rf->pos++;
		rf->line++;
	}
}

/* Skip lines holding only spaces, tabs and CRs.  false at the end. */
static bool skip_blank_lines(struct resultfile *rf)
{
	for (;;) {
		size_t p = rf->pos;

		while (p < rf->len &&
		       (rf->buf[p] == ' ' || rf->buf[p] == '\t' ||
			rf->buf[p] == '\r'))
			p++;
		if (p >= rf->len) {
			rf->pos = rf->len;
			return false;
		}
		if (rf->buf[p] != '\n')
			return true;
		rf->pos = p + 1;
		rf->line++;
	}
}

static int field_put(struct resultfile *rf, struct rs_error *err,
		     struct field *f, char c)
{
	if (c == '\0')
		return fail(rf, err, f->src, f->n, "NUL byte in a field");
	if (f->n + 1 >= sizeof(f->s))
		return fail(rf, err, f->src, f->n, "field too long");
	f->s[f->n++] = c;
	return 0;
}

/* ---- one field, through the schema ---- */

static int set_column(struct resultfile *rf, struct rs_error *err, unsigned col,
		      const struct field *f, struct partial *pr)
{
	const char *reason =
		rf->schema->set(pr->ctx, col, f ? f->s : NULL, f ? f->n : 0);

	return reason ? fail_field(rf, err, f, reason) : 0;
}

static void row_begin(const struct resultfile *rf, struct partial *pr,
		      void *ctx)
{
	pr->ctx = ctx;
	pr->seen = 0;
	if (rf->schema->row_begin)
		rf->schema->row_begin(ctx);
}

static void row_end(const struct resultfile *rf, struct partial *pr)
{
	if (rf->schema->row_end)
		rf->schema->row_end(pr->ctx);
}

/* ---- the scan's rows (resultfile_begin/next) ---- */

enum column {
	COL_HOST,
	COL_PORT,
	COL_PROTO,
	COL_STATE,
	COL_SERVICE,
	COL_REASON,
	COL_RTT,
	COL_HOSTNAME, /* optional: older versions wrote seven columns */
	COL_BANNER, /* optional, --banners: read, not kept (merge has none) */
	COL_PRODUCT,
	COL_VERSION,
	NCOLS,
};

/* The row being built: state is settled last, once reason is known. */
struct scan_row {
	struct resultfile_row *row;
	enum output_state state;
};

static bool all_digits(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static const char *set_port(const char *s, size_t n, uint16_t *port)
{
	unsigned v = 0;

	if (n > 5 || !all_digits(s, n))
		goto out_bad;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(s[i] - '0');
	if (v < 1 || v > 65535)
		goto out_bad;
	*port = (uint16_t)v;
	return NULL;
out_bad:
	return "port is not a number from 1 to 65535";
}

/*
 * Milliseconds with up to three decimals -> microseconds, exactly: the
 * inverse of output.c's format_rtt.  Twelve integer digits keep the
 * product far from overflow.  NULL (JSON null) or empty: unknown.
 */
static const char *set_rtt(const char *s, size_t n, int64_t *rtt_us)
{
	const char *dot = s ? memchr(s, '.', n) : NULL;
	size_t ni = dot ? (size_t)(dot - s) : n;
	size_t nf = dot ? n - ni - 1 : 0;
	int64_t us = 0;
	size_t i;

	if (!s || !n) {
		*rtt_us = -1;
		return NULL;
	}
	if (ni > 12 || !all_digits(s, ni) || (dot && !nf) || nf > 3 ||
	    (nf && !all_digits(dot + 1, nf)))
		return "rtt_ms is not milliseconds with at most 3 decimals (like 1.234)";
	for (i = 0; i < ni; i++)
		us = us * 10 + (s[i] - '0');
	for (i = 0; i < 3; i++)
		us = us * 10 + (i < nf ? dot[1 + i] - '0' : 0);
	*rtt_us = us;
	return NULL;
}

static const char *scan_set(void *ctx, unsigned col, const char *s, size_t n)
{
	struct scan_row *sr = ctx;
	struct resultfile_row *row = sr->row;

	switch ((enum column)col) {
	case COL_HOST:
		if (n >= RS_ADDR_STRLEN || addr_parse(s, &row->addr))
			return "host is not an IP address";
		return NULL;
	case COL_PORT:
		return set_port(s, n, &row->port);
	case COL_PROTO:
		if (!strcmp(s, "tcp"))
			row->proto = RS_TCP;
		else if (!strcmp(s, "udp"))
			row->proto = RS_UDP;
		else
			return "proto is not tcp or udp";
		return NULL;
	case COL_STATE:
		if (!strcmp(s, "open"))
			sr->state = OUT_OPEN;
		else if (!strcmp(s, "closed"))
			sr->state = OUT_CLOSED;
		else if (!strcmp(s, "filtered") ||
			 !strcmp(s, "open|filtered") ||
			 !strcmp(s, "closed|filtered"))
			sr->state = OUT_FILTERED; /* the latter: UDP silence */
		else
			return "state is not open, closed or filtered (or open|filtered, closed|filtered)";
		return NULL;
	case COL_SERVICE:
		return NULL; /* named again from the port when written */
	case COL_REASON:
		if (n >= sizeof(row->reason))
			return "reason too long";
		memcpy(row->reason, s, n + 1);
		return NULL;
	case COL_RTT:
		return set_rtt(s, n, &row->rtt_us);
	case COL_HOSTNAME:
		if (!s)
			return NULL; /* JSON null: no name */
		if (n >= sizeof(row->hostname))
			return "hostname too long";
		memcpy(row->hostname, s, n + 1);
		return NULL;
	case COL_BANNER:
	case COL_PRODUCT:
	case COL_VERSION:
	case NCOLS:
		break;
	}
	return NULL;
}

static void scan_row_begin(void *ctx)
{
	struct scan_row *sr = ctx;

	memset(sr->row, 0, sizeof(*sr->row));
	sr->row->rtt_us = -1;
	sr->state = OUT_FILTERED;
}

/* output.c writes OUT_FILTERED and OUT_UNREACH both as "filtered". */
static void scan_row_end(void *ctx)
{
	struct scan_row *sr = ctx;
	const char *r = sr->row->reason;

	if (sr->state == OUT_FILTERED && r[0] && strcmp(r, "no-response"))
		sr->state = OUT_UNREACH;
	sr->row->state = sr->state;
}

static const struct resultfile_column scan_cols[NCOLS] = {
	{ "host", RESULTFILE_STRING, true, NULL, "no \"host\" key" },
	{ "port", RESULTFILE_NUMBER, true, "port must be a number",
	  "no \"port\" key" },
	{ "proto", RESULTFILE_STRING, true, NULL, "no \"proto\" key" },
	{ "state", RESULTFILE_STRING, true, NULL, "no \"state\" key" },
	{ "service", 0, false, NULL, NULL },
	{ "reason", RESULTFILE_STRING, false, NULL, NULL },
	{ "rtt_ms", RESULTFILE_NUMBER | RESULTFILE_NULL, false,
	  "rtt_ms must be a number or null", NULL },
	{ "hostname", RESULTFILE_STRING | RESULTFILE_NULL, false,
	  "hostname must be a string or null", NULL },
	{ "banner", 0, false, NULL, NULL },
	{ "product", 0, false, NULL, NULL },
	{ "version", 0, false, NULL, NULL },
};

static const struct resultfile_schema scan_schema = {
	.csv_header = "host,port,proto,state,service,reason,rtt_ms",
	.csv_header_opt = ",hostname",
	.cols = scan_cols,
	.ncols = NCOLS,
	.ncols_opt = 1,
	.csv_header_opt2 = ",banner,product,version",
	.ncols_opt2 = 3,
	.too_few_opt2 = "too few fields (a row has 11)",
	.too_many_opt2 = "too many fields (a row has 11)",
	.neither =
		"neither a ringscan CSV (its first line must be host,port,proto,state,service,reason,rtt_ms[,hostname[,banner,product,version]]) nor JSON lines",
	.too_few = "too few fields (a row has 7)",
	.too_many = "too many fields (a row has 7)",
	.too_few_opt = "too few fields (a row has 8)",
	.too_many_opt = "too many fields (a row has 8)",
	.set = scan_set,
	.row_begin = scan_row_begin,
	.row_end = scan_row_end,
};

/* ---- CSV ---- */

/* Where a field may end: a comma, or the record's end. */
static bool csv_at_delim(const struct resultfile *rf)
{
	return peek(rf, 0) == ',' || at_eol(rf);
}

static int csv_quoted(struct resultfile *rf, struct field *f,
		      struct rs_error *err)
{
	unsigned long first_line = rf->line;
	int c, ret;

	rf->pos++; /* the opening quote */
	for (;;) {
		c = peek(rf, 0);
		if (c < 0) {
			rf->line = first_line;
			return fail(rf, err, f->src,
				    (size_t)(rf->buf + rf->len - f->src),
				    "quoted field never closed");
		}
		if (c == '"') {
			if (peek(rf, 1) != '"') {
				rf->pos++;
				break;
			}
			rf->pos++; /* a doubled quote stands for one */
		} else if (c == '\n') {
			rf->line++;
		}
		rf->pos++;
		if ((ret = field_put(rf, err, f, (char)c)))
			return ret;
	}
	if (!csv_at_delim(rf))
		return fail_here(rf, err,
				 "text after a closing quote (RFC 4180)");
	return 0;
}

static int csv_field(struct resultfile *rf, struct field *f,
		     struct rs_error *err)
{
	int ret;

	f->n = 0;
	f->src = rf->buf + rf->pos;
	if (peek(rf, 0) == '"') {
		if ((ret = csv_quoted(rf, f, err)))
			return ret;
	} else {
		while (!csv_at_delim(rf)) {
			char c = rf->buf[rf->pos];

			if (c == '"')
				return fail_here(
					rf, err,
					"quote inside an unquoted field (RFC 4180 quotes whole fields)");
			if (c == '\r') /* a CRLF is a delimiter */
				return fail_here(rf, err,
						 "stray carriage return");
			if ((ret = field_put(rf, err, f, c)))
				return ret;
			rf->pos++;
		}
	}
	f->s[f->n] = '\0';
	return 0;
}

static int csv_row(struct resultfile *rf, void *ctx, struct rs_error *err)
{
	const struct resultfile_schema *sc = rf->schema;
	unsigned ncols = rf->ncols;
	bool opt2 = sc->ncols_opt2 && ncols == sc->ncols;
	bool opt = !opt2 && sc->ncols_opt &&
		   ncols == sc->ncols - sc->ncols_opt2;
	const char *few = opt2 ? sc->too_few_opt2 :
			  opt  ? sc->too_few_opt :
				 sc->too_few;
	const char *many = opt2 ? sc->too_many_opt2 :
			   opt	? sc->too_many_opt :
				  sc->too_many;
	struct partial pr;
	struct field f;
	int ret;

	row_begin(rf, &pr, ctx);
	for (unsigned col = 0; col < ncols; col++) {
		if ((ret = csv_field(rf, &f, err)))
			return ret;
		if ((ret = set_column(rf, err, col, &f, &pr)))
			return ret;
		if (col + 1 < ncols) {
			if (peek(rf, 0) != ',')
				return fail(rf, err, f.src,
					    line_span(rf, f.src), few);
			rf->pos++;
		} else if (peek(rf, 0) == ',') {
			return fail_here(rf, err, many);
		}
	}
	eat_eol(rf);
	row_end(rf, &pr);
	return 1;
}

/* ---- JSON lines ---- */

enum jtype { J_STRING, J_NUMBER, J_LITERAL_NULL, J_LITERAL_BOOL };

static void json_ws(struct resultfile *rf)
{
	int c;

	while ((c = peek(rf, 0)) == ' ' || c == '\t' || c == '\r')
		rf->pos++;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "\uXXXX" at the cursor -> its value, or -1 (nothing consumed). */
static long json_u4(const struct resultfile *rf, size_t off)
{
	long v = 0;

	if (peek(rf, off) != '\\' || peek(rf, off + 1) != 'u')
		return -1;
	for (size_t i = 0; i < 4; i++) {
		int h = hexval(peek(rf, off + 2 + i));

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static int put_utf8(struct resultfile *rf, struct rs_error *err,
		    struct field *f, unsigned long cp)
{
	char b[4];
	size_t n;
	int ret;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (size_t i = 0; i < n; i++)
		if ((ret = field_put(rf, err, f, b[i])))
			return ret;
	return 0;
}

static int json_escape(struct resultfile *rf, struct field *f,
		       struct rs_error *err)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	int c = peek(rf, 1);
	const char *k;
	long cp, lo;

	if (c > 0 && c != 'u' && (k = strchr(from, c))) {
		rf->pos += 2;
		return field_put(rf, err, f, to[k - from]);
	}
	if (c != 'u')
		return fail_here(rf, err, "bad escape in a string");
	cp = json_u4(rf, 0);
	if (cp < 0)
		return fail_here(rf, err, "bad \\u escape (four hex digits)");
	if (cp == 0)
		return fail_here(rf, err, "\\u0000 in a string");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail_here(rf, err, "lone low surrogate in a string");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		lo = json_u4(rf, 6);
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail_here(rf, err,
					 "lone high surrogate in a string");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		rf->pos += 6;
	}
	rf->pos += 6;
	return put_utf8(rf, err, f, (unsigned long)cp);
}

static int json_string(struct resultfile *rf, struct field *f,
		       struct rs_error *err)
{
	int c, ret;

	f->n = 0;
	f->src = rf->buf + rf->pos;
	rf->pos++; /* the opening quote */
	for (;;) {
		c = peek(rf, 0);
		if (c < 0 || c == '\n')
			return fail(rf, err, f->src, line_span(rf, f->src),
				    "string never closed");
		if (c == '"') {
			rf->pos++;
			break;
		}
		if (c < 0x20)
			return fail_here(rf, err,
					 "control character in a string");
		if (c == '\\') {
			if ((ret = json_escape(rf, f, err)))
				return ret;
			continue;
		}
		if ((ret = field_put(rf, err, f, (char)c)))
			return ret;
		rf->pos++;
	}
	f->s[f->n] = '\0';
	return 0;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(struct resultfile *rf, struct field *f,
		       struct rs_error *err)
{
	size_t start = rf->pos;
	int ret;

	f->n = 0;
	f->src = rf->buf + start;
	if (peek(rf, 0) == '-')
		rf->pos++;
	if (peek(rf, 0) == '0') {
		rf->pos++;
	} else if (is_digit(peek(rf, 0))) {
		while (is_digit(peek(rf, 0)))
			rf->pos++;
	} else {
		goto out_bad;
	}
	if (peek(rf, 0) == '.') {
		rf->pos++;
		if (!is_digit(peek(rf, 0)))
			goto out_bad;
		while (is_digit(peek(rf, 0)))
			rf->pos++;
	}
	if (peek(rf, 0) == 'e' || peek(rf, 0) == 'E') {
		rf->pos++;
		if (peek(rf, 0) == '+' || peek(rf, 0) == '-')
			rf->pos++;
		if (!is_digit(peek(rf, 0)))
			goto out_bad;
		while (is_digit(peek(rf, 0)))
			rf->pos++;
	}
	for (size_t i = start; i < rf->pos; i++)
		if ((ret = field_put(rf, err, f, rf->buf[i])))
			return ret;
	f->s[f->n] = '\0';
	return 0;
out_bad:
	rf->pos = start;
	return fail_here(rf, err, "not a JSON number");
}

static bool json_literal(struct resultfile *rf, const char *word)
{
	size_t n = strlen(word);

	if (rf->len - rf->pos < n || memcmp(rf->buf + rf->pos, word, n))
		return false;
	rf->pos += n;
	return true;
}

static int json_value(struct resultfile *rf, struct field *f, enum jtype *type,
		      struct rs_error *err)
{
	int c = peek(rf, 0);

	f->n = 0;
	f->s[0] = '\0';
	f->src = rf->buf + rf->pos;
	if (c == '"') {
		*type = J_STRING;
		return json_string(rf, f, err);
	}
	if (c == '-' || is_digit(c)) {
		*type = J_NUMBER;
		return json_number(rf, f, err);
	}
	if (json_literal(rf, "null")) {
		*type = J_LITERAL_NULL;
		return 0;
	}
	if (json_literal(rf, "true") || json_literal(rf, "false")) {
		*type = J_LITERAL_BOOL;
		return 0;
	}
	if (c == '{' || c == '[')
		return fail_here(rf, err,
				 "nested value (ringscan's rows are flat)");
	return fail_here(rf, err, "expected a JSON value");
}

static int json_member(struct resultfile *rf, struct partial *pr,
		       struct rs_error *err)
{
	const struct resultfile_schema *sc = rf->schema;
	const struct resultfile_column *c;
	struct field key, val;
	enum jtype type;
	unsigned col, types;
	int ret;

	if (peek(rf, 0) != '"')
		return fail_here(rf, err, "expected a key in quotes");
	if ((ret = json_string(rf, &key, err)))
		return ret;
	json_ws(rf);
	if (peek(rf, 0) != ':')
		return fail_here(rf, err, "expected ':' after a key");
	rf->pos++;
	json_ws(rf);
	if ((ret = json_value(rf, &val, &type, err)))
		return ret;

	for (col = 0; col < sc->ncols; col++)
		if (!strcmp(key.s, sc->cols[col].name))
			break;
	if (col == sc->ncols || !sc->cols[col].types)
		return 0; /* checked for syntax, not kept */
	c = &sc->cols[col];
	if (pr->seen & (1u << col))
		return fail_field(rf, err, &key, "key given twice");
	pr->seen |= 1u << col;
	types = type == J_STRING       ? RESULTFILE_STRING :
		type == J_NUMBER       ? RESULTFILE_NUMBER :
		type == J_LITERAL_NULL ? RESULTFILE_NULL :
					 0;
	if (!(c->types & types)) {
		if (c->types & RESULTFILE_STRING)
			return fail_field(rf, err, &key,
					  "value must be a string");
		return fail_field(rf, err, &val, c->type_error);
	}
	return set_column(rf, err, col, type == J_LITERAL_NULL ? NULL : &val,
			  pr);
}

static int json_row(struct resultfile *rf, void *ctx, struct rs_error *err)
{
	const struct resultfile_schema *sc = rf->schema;
	const char *start;
	struct partial pr;
	int ret;

	row_begin(rf, &pr, ctx);
	json_ws(rf);
	start = rf->buf + rf->pos;
	if (peek(rf, 0) != '{')
		return fail_here(rf, err,
				 "expected '{' (one JSON object per line)");
	rf->pos++;
	json_ws(rf);
	if (peek(rf, 0) == '}') {
		rf->pos++;
	} else {
		for (;;) {
			json_ws(rf);
			if ((ret = json_member(rf, &pr, err)))
				return ret;
			json_ws(rf);
			if (peek(rf, 0) == ',') {
				rf->pos++;
				continue;
			}
			if (peek(rf, 0) == '}') {
				rf->pos++;
				break;
			}
			return fail_here(rf, err, "expected ',' or '}'");
		}
	}
	json_ws(rf);
	if (!at_eol(rf))
		return fail_here(rf, err,
				 "text after the object (one object per line)");
	for (unsigned col = 0; col < sc->ncols; col++)
		if (sc->cols[col].required && !(pr.seen & (1u << col)))
			return fail(rf, err, start, line_span(rf, start),
				    sc->cols[col].missing);
	eat_eol(rf);
	row_end(rf, &pr);
	return 1;
}

/* ---- entry points ---- */

int resultfile_begin_schema(struct resultfile *rf,
			    const struct resultfile_schema *schema,
			    const void *buf, size_t len, struct rs_error *err)
{
	static const char bom[] = "\xef\xbb\xbf";
	size_t hl = strlen(schema->csv_header);
	struct resultfile probe;

	memset(rf, 0, sizeof(*rf));
	rf->schema = schema;
	rf->buf = buf;
	rf->len = len;
	rf->line = 1;
	if (len >= 3 && !memcmp(buf, bom, 3))
		rf->pos = 3;

	/* A look ahead on a copy: blank lines count in the rows' numbers. */
	probe = *rf;
	if (skip_blank_lines(&probe))
		json_ws(&probe);
	if (peek(&probe, 0) < 0 || peek(&probe, 0) == '{') {
		rf->format = RESULTFILE_JSON;
		return 0;
	}
	rf->format = RESULTFILE_CSV;
	if (rf->len - rf->pos < hl ||
	    memcmp(rf->buf + rf->pos, schema->csv_header, hl)) {
		const char *p = rf->buf + rf->pos;

		return fail(rf, err, p, line_span(rf, p), schema->neither);
	}
	rf->pos += hl;
	/* The optional last columns: each row then has the header's count. */
	rf->ncols = schema->ncols - schema->ncols_opt - schema->ncols_opt2;
	if (schema->csv_header_opt) {
		size_t ol = strlen(schema->csv_header_opt);

		if (rf->len - rf->pos >= ol &&
		    !memcmp(rf->buf + rf->pos, schema->csv_header_opt, ol)) {
			rf->pos += ol;
			rf->ncols += schema->ncols_opt;
			ol = schema->csv_header_opt2 ?
				     strlen(schema->csv_header_opt2) :
				     0;
			if (ol && rf->len - rf->pos >= ol &&
			    !memcmp(rf->buf + rf->pos, schema->csv_header_opt2,
				    ol)) {
				rf->pos += ol;
				rf->ncols += schema->ncols_opt2;
			}
		}
	}
	if (!at_eol(rf))
		return fail_here(rf, err, "text after the CSV header");
	eat_eol(rf);
	return 0;
}

int resultfile_record(struct resultfile *rf, void *ctx, struct rs_error *err)
{
	if (!skip_blank_lines(rf))
		return 0;
	if (rf->format == RESULTFILE_CSV)
		return csv_row(rf, ctx, err);
	return json_row(rf, ctx, err);
}

int resultfile_begin(struct resultfile *rf, const void *buf, size_t len,
		     struct rs_error *err)
{
	return resultfile_begin_schema(rf, &scan_schema, buf, len, err);
}

int resultfile_next(struct resultfile *rf, struct resultfile_row *row,
		    struct rs_error *err)
{
	struct scan_row sr = { .row = row };

	return resultfile_record(rf, &sr, err);
}
