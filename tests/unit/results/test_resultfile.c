/*
 * test_resultfile.c - reading ringscan's CSV and JSON-lines results back.
 *
 * Two tables drive most of it: inputs that parse, with every row they must
 * give, and inputs that must be refused, with the line and the words of the
 * refusal.  Each table runs twice: once from an ordinary buffer and once
 * with the input placed to end exactly at a PROT_NONE page (picohttpparser's
 * trick; no NUL follows it either), so a parser that reads one byte past the
 * end crashes instead of passing.  Every prefix of two valid files and a
 * stream of pseudo-random hostile inputs then go through the guarded parser
 * (a file cut anywhere must be refused or read, never over-read).  Last, the
 * writer's own output (output.c) is read back row for row, so the parser
 * and the writer cannot drift apart.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "guard.h"
#include "output.h"
#include "resultfile.h"

#define HDR "host,port,proto,state,service,reason,rtt_ms\n"
#define MAX_ROWS 8

struct want_row {
	const char *host;
	uint16_t port;
	enum rs_proto proto;
	enum output_state state;
	const char *reason;
	int64_t rtt_us;
};

struct good_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	enum resultfile_format format;
	size_t nrows;
	struct want_row rows[MAX_ROWS];
};

struct bad_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	unsigned long line;
	const char *reason; /* substring of err.reason */
	const char *token; /* substring of err.token, or NULL */
};

#define TCP RS_TCP
#define UDP RS_UDP

static const struct good_case good[] = {
	{ "csv basic",
	  HDR "127.0.0.1,22,tcp,open,ssh,syn-ack,0.042\n"
	      "127.0.0.1,23,tcp,closed,telnet,conn-refused,\n"
	      "127.0.0.2,80,tcp,filtered,http,no-response,\n"
	      "127.0.0.3,81,tcp,filtered,unknown,host-unreach,12.5\n",
	  0,
	  RESULTFILE_CSV,
	  4,
	  { { "127.0.0.1", 22, TCP, OUT_OPEN, "syn-ack", 42 },
	    { "127.0.0.1", 23, TCP, OUT_CLOSED, "conn-refused", -1 },
	    { "127.0.0.2", 80, TCP, OUT_FILTERED, "no-response", -1 },
	    { "127.0.0.3", 81, TCP, OUT_UNREACH, "host-unreach", 12500 } } },
	{ "csv header only", HDR, 0, RESULTFILE_CSV, 0, { { 0 } } },
	{ "csv header without newline",
	  "host,port,proto,state,service,reason,rtt_ms",
	  0,
	  RESULTFILE_CSV,
	  0,
	  { { 0 } } },
	{ "csv crlf, bom, blank lines, no final newline",
	  "\xef\xbb\xbfhost,port,proto,state,service,reason,rtt_ms\r\n"
	  "\r\n"
	  "::1,443,tcp,open,https,syn-ack,1\r\n"
	  "   \n"
	  "2001:db8::7,65535,udp,closed,,conn-refused,123456.789",
	  0,
	  RESULTFILE_CSV,
	  2,
	  { { "::1", 443, TCP, OUT_OPEN, "syn-ack", 1000 },
	    { "2001:db8::7", 65535, UDP, OUT_CLOSED, "conn-refused",
	      123456789 } } },
	{ "csv quoting",
	  HDR "127.0.0.1,1,tcp,open,\"a,b\",\"x\"\"y\",\n"
	      "\"127.0.0.1\",2,tcp,filtered,\"multi\nline\",\"\",\n"
	      "127.0.0.1,3,tcp,filtered,x,\"a,\nb\",0.5\n",
	  0,
	  RESULTFILE_CSV,
	  3,
	  { { "127.0.0.1", 1, TCP, OUT_OPEN, "x\"y", -1 },
	    { "127.0.0.1", 2, TCP, OUT_FILTERED, "", -1 },
	    { "127.0.0.1", 3, TCP, OUT_UNREACH, "a,\nb", 500 } } },
	{ "json basic",
	  "{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
	  "\"state\":\"open\",\"service\":\"ssh\",\"reason\":\"syn-ack\","
	  "\"rtt_ms\":0.042}\n"
	  "{\"host\":\"::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"filtered\","
	  "\"service\":\"tcpmux\",\"reason\":\"no-response\",\"rtt_ms\":null}\n",
	  0,
	  RESULTFILE_JSON,
	  2,
	  { { "127.0.0.1", 22, TCP, OUT_OPEN, "syn-ack", 42 },
	    { "::1", 1, TCP, OUT_FILTERED, "no-response", -1 } } },
	{ "json spaces",
	  "\n"
	  "  { \"host\" : \"127.0.0.1\" , \"port\" : 5 ,\"proto\":\"tcp\","
	  "\t\"state\":\"open\" }  \n",
	  0,
	  RESULTFILE_JSON,
	  1,
	  { { "127.0.0.1", 5, TCP, OUT_OPEN, "", -1 } } },
	{ "json empty file", "", 0, RESULTFILE_JSON, 0, { { 0 } } },
	{ "json blank file", "\n \r\n\t\n", 0, RESULTFILE_JSON, 0, { { 0 } } },
	{ "json reordered",
	  "{\"rtt_ms\":12,\"state\":\"filtered\",\"reason\":\"net\\u002dunreach\","
	  "\"extra\":true,\"more\":-1.5e3,\"none\":null,\"service\":null,"
	  "\"proto\":\"udp\",\"port\":9,\"host\":\"192.0.2.1\"}\r\n"
	  "{\"host\":\"192.0.2.2\",\"port\":10,\"proto\":\"tcp\","
	  "\"state\":\"closed\",\"reason\":\"\\ud83d\\ude00\\\"\\\\\\/\\t\"}",
	  0,
	  RESULTFILE_JSON,
	  2,
	  { { "192.0.2.1", 9, UDP, OUT_UNREACH, "net-unreach", 12000 },
	    { "192.0.2.2", 10, TCP, OUT_CLOSED, "\xf0\x9f\x98\x80\"\\/\t",
	      -1 } } },
};

static const struct bad_case bad[] = {
	{ "not a result file", "hello\nworld\n", 0, 1, "neither", "hello" },
	{ "csv header misspelt", "host,port,proto,state,service,reason,rtt\n",
	  0, 1, "neither", NULL },
	{ "csv header with more",
	  "host,port,proto,state,service,reason,rtt_ms,x\n", 0, 1,
	  "after the CSV header", NULL },
	{ "bad host",
	  HDR "127.0.0.1,22,tcp,open,ssh,syn-ack,\n"
	      "127.0.0.256,22,tcp,open,ssh,syn-ack,\n",
	  0, 3, "not an IP address", "127.0.0.256" },
	{ "host name", HDR "localhost,22,tcp,open,ssh,syn-ack,\n", 0, 2,
	  "not an IP address", "localhost" },
	{ "port 0", HDR "127.0.0.1,0,tcp,open,,syn-ack,\n", 0, 2, "1 to 65535",
	  NULL },
	{ "port 65536", HDR "127.0.0.1,65536,tcp,open,,syn-ack,\n", 0, 2,
	  "1 to 65535", "65536" },
	{ "port word", HDR "127.0.0.1,8a,tcp,open,,syn-ack,\n", 0, 2,
	  "1 to 65535", "8a" },
	{ "port empty", HDR "127.0.0.1,,tcp,open,,syn-ack,\n", 0, 2,
	  "1 to 65535", NULL },
	{ "proto", HDR "127.0.0.1,1,sctp,open,,syn-ack,\n", 0, 2, "tcp or udp",
	  "sctp" },
	{ "state", HDR "127.0.0.1,1,tcp,up,,syn-ack,\n", 0, 2,
	  "open, closed or filtered", "up" },
	{ "six fields", HDR "127.0.0.1,1,tcp,open,,syn-ack\n", 0, 2,
	  "too few fields", "syn-ack" },
	{ "eight fields", HDR "127.0.0.1,1,tcp,open,,syn-ack,,x\n", 0, 2,
	  "too many fields", NULL },
	{ "one field", HDR "\n\n127.0.0.1\n", 0, 4, "too few fields",
	  "127.0.0.1" },
	{ "quote inside", HDR "127.0.0.1,1,tcp,open,a\"b,syn-ack,\n", 0, 2,
	  "quote inside", NULL },
	{ "quote never closed", HDR "127.0.0.1,1,tcp,open,\"ab,syn-ack,\nx\n",
	  0, 2, "never closed", NULL },
	{ "text after quote", HDR "127.0.0.1,1,tcp,open,\"ab\"c,syn-ack,\n", 0,
	  2, "after a closing quote", NULL },
	{ "line count through quotes",
	  HDR
	  "127.0.0.1,1,tcp,open,\"a\n\nb\",syn-ack,\n127.0.0.1,x,tcp,open,,,\n",
	  0, 5, "1 to 65535", NULL },
	{ "stray cr", HDR "127.0.0.1,1,tcp,open,a\rb,syn-ack,\n", 0, 2,
	  "stray carriage return", NULL },
	{ "rtt four decimals", HDR "127.0.0.1,1,tcp,open,,syn-ack,1.2345\n", 0,
	  2, "3 decimals", "1.2345" },
	{ "rtt negative", HDR "127.0.0.1,1,tcp,open,,syn-ack,-1\n", 0, 2,
	  "3 decimals", NULL },
	{ "rtt dot", HDR "127.0.0.1,1,tcp,open,,syn-ack,1.\n", 0, 2,
	  "3 decimals", NULL },
	{ "rtt leading dot", HDR "127.0.0.1,1,tcp,open,,syn-ack,.5\n", 0, 2,
	  "3 decimals", NULL },
	{ "rtt huge", HDR "127.0.0.1,1,tcp,open,,syn-ack,9999999999999\n", 0, 2,
	  "3 decimals", NULL },
	{ "reason too long",
	  HDR "127.0.0.1,1,tcp,open,,0123456789012345678901234567890123,\n", 0,
	  2, "reason too long", NULL },
	{ "nul in field", HDR "127.0.0.1,1,tcp,op\0en,,syn-ack,\n",
	  sizeof(HDR "127.0.0.1,1,tcp,op\0en,,syn-ack,\n") - 1, 2, "NUL byte",
	  NULL },
	{ "json missing port",
	  "{\"host\":\"127.0.0.1\",\"proto\":\"tcp\",\"state\":\"open\"}\n", 0,
	  1, "no \"port\"", NULL },
	{ "json missing host", "\n{}\n", 0, 2, "no \"host\"", NULL },
	{ "json port string",
	  "{\"host\":\"127.0.0.1\",\"port\":\"22\",\"proto\":\"tcp\","
	  "\"state\":\"open\"}\n",
	  0, 1, "port must be a number", "22" },
	{ "json port fraction",
	  "{\"host\":\"127.0.0.1\",\"port\":22.0,\"proto\":\"tcp\","
	  "\"state\":\"open\"}\n",
	  0, 1, "1 to 65535", "22.0" },
	{ "json host number", "{\"host\":1}\n", 0, 1, "must be a string",
	  "host" },
	{ "json rtt string", "{\"rtt_ms\":\"1\"}\n", 0, 1, "number or null",
	  NULL },
	{ "json rtt exponent", "{\"rtt_ms\":1e3}\n", 0, 1, "3 decimals", NULL },
	{ "json nested host", "{\"host\":{\"a\":1}}\n", 0, 1, "nested", NULL },
	{ "json not an object",
	  "{\"host\":\"::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\"}"
	  "\n[1]\n",
	  0, 2, "expected '{'", NULL },
	{ "json duplicate", "{\"port\":1,\"port\":2}\n", 0, 1, "given twice",
	  "port" },
	{ "json two objects",
	  "{\"host\":\"::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\"}"
	  "{}\n",
	  0, 1, "text after the object", NULL },
	{ "json unterminated string", "{\"host\":\"::1\n\"}\n", 0, 1,
	  "never closed", NULL },
	{ "json string at end", "{\"host\":\"::1", 0, 1, "never closed", NULL },
	{ "json control char", "{\"reason\":\"a\tb\"}\n", 0, 1,
	  "control character", NULL },
	{ "json bad escape", "{\"reason\":\"\\x\"}\n", 0, 1, "bad escape",
	  NULL },
	{ "json short u escape", "{\"reason\":\"\\u12\"}\n", 0, 1,
	  "four hex digits", NULL },
	{ "json u escape at end", "{\"reason\":\"\\u12", 0, 1,
	  "four hex digits", NULL },
	{ "json backslash at end", "{\"reason\":\"\\", 0, 1, "bad escape",
	  NULL },
	{ "json u0000", "{\"reason\":\"\\u0000\"}\n", 0, 1, "\\u0000", NULL },
	{ "json lone high surrogate", "{\"reason\":\"\\ud83dx\"}\n", 0, 1,
	  "lone high surrogate", NULL },
	{ "json high surrogate then bmp", "{\"reason\":\"\\ud83d\\u0041\"}\n",
	  0, 1, "lone high surrogate", NULL },
	{ "json lone low surrogate", "{\"reason\":\"\\ude00\"}\n", 0, 1,
	  "lone low surrogate", NULL },
	{ "json bad number", "{\"port\":-}\n", 0, 1, "not a JSON number",
	  NULL },
	{ "json leading zero", "{\"rtt_ms\":01}\n", 0, 1, "expected ','",
	  NULL },
	{ "json truncated literal", "{\"rtt_ms\":nul", 0, 1,
	  "expected a JSON value", NULL },
	{ "json no colon", "{\"port\" 1}\n", 0, 1, "expected ':'", NULL },
	{ "json bare key", "{port:1}\n", 0, 1, "key in quotes", NULL },
	{ "json open object at end", "{\"port\":1,", 0, 1, "key in quotes",
	  NULL },
	{ "json object at end", "{\"port\":1", 0, 1, "expected ','", NULL },
	{ "json third line",
	  "{\"host\":\"::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"open\"}\n"
	  "\n"
	  "{\"host\":\"::1\",\"port\":1,\"proto\":\"tcp\",\"state\":\"shut\"}\n",
	  0, 3, "open, closed or filtered", "shut" },
};

static size_t text_len(const char *text, size_t len)
{
	return len ? len : strlen(text);
}

/* ---- guarded buffers ---- */

/* The guard is real: the byte after an unterminated buffer faults. */
static void test_guard_traps(void **state)
{
	struct guarded g;
	const char *s;

	(void)state;
	s = guard_copy(&g, "{}", 2, false);
	assert_true(guard_faults(s + 2));
	guard_free(&g);
}

/* ---- the tables ---- */

static void check_row(const char *name, size_t i,
		      const struct resultfile_row *got,
		      const struct want_row *want)
{
	struct rs_addr a;

	assert_int_equal(addr_parse(want->host, &a), 0);
	if (memcmp(&a, &got->addr, sizeof(a)))
		fail_msg("%s: row %zu: wrong host", name, i);
	if (got->port != want->port || got->proto != want->proto ||
	    got->state != want->state || got->rtt_us != want->rtt_us ||
	    strcmp(got->reason, want->reason))
		fail_msg("%s: row %zu: got %u/%d state %d reason '%s' rtt %lld",
			 name, i, got->port, got->proto, got->state,
			 got->reason, (long long)got->rtt_us);
}

static void run_good(const struct good_case *c, const char *text)
{
	struct resultfile rf;
	struct resultfile_row row;
	struct rs_error err;
	size_t n = 0;
	int ret;

	memset(&err, 0, sizeof(err));
	ret = resultfile_begin(&rf, text, text_len(c->text, c->len), &err);
	if (ret)
		fail_msg("%s: begin: %s (line %lu, '%s')", c->name, err.reason,
			 err.line, err.token);
	assert_int_equal(rf.format, c->format);
	while ((ret = resultfile_next(&rf, &row, &err)) == 1) {
		if (n >= c->nrows)
			fail_msg("%s: more than %zu rows", c->name, c->nrows);
		check_row(c->name, n, &row, &c->rows[n]);
		n++;
	}
	if (ret)
		fail_msg("%s: %s (line %lu, '%s')", c->name, err.reason,
			 err.line, err.token);
	if (n != c->nrows)
		fail_msg("%s: %zu rows, want %zu", c->name, n, c->nrows);
	/* The end stays the end. */
	assert_int_equal(resultfile_next(&rf, &row, &err), 0);
}

/* Parse to the first error; returns it (0 if none) with err filled. */
static int parse_all(const char *text, size_t len, struct rs_error *err,
		     size_t *nrows)
{
	struct resultfile rf;
	struct resultfile_row row;
	int ret;

	*nrows = 0;
	memset(err, 0, sizeof(*err));
	ret = resultfile_begin(&rf, text, len, err);
	if (ret)
		return ret;
	while ((ret = resultfile_next(&rf, &row, err)) == 1)
		(*nrows)++;
	return ret;
}

static void run_bad(const struct bad_case *c, const char *text)
{
	struct rs_error err;
	size_t n;
	int ret = parse_all(text, text_len(c->text, c->len), &err, &n);

	if (ret != -EINVAL)
		fail_msg("%s: returned %d after %zu rows, want -EINVAL",
			 c->name, ret, n);
	if (!err.reason || !strstr(err.reason, c->reason))
		fail_msg("%s: reason '%s', want '%s'", c->name,
			 err.reason ? err.reason : "(null)", c->reason);
	if (err.line != c->line)
		fail_msg("%s: line %lu, want %lu", c->name, err.line, c->line);
	if (c->token && !strstr(err.token, c->token))
		fail_msg("%s: token '%s', want '%s'", c->name, err.token,
			 c->token);
}

static void test_good_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		run_good(&good[i], good[i].text);
}

static void test_good_table_guarded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct guarded g;
		size_t len = text_len(good[i].text, good[i].len);

		run_good(&good[i], guard_copy(&g, good[i].text, len, false));
		guard_free(&g);
	}
}

static void test_bad_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		run_bad(&bad[i], bad[i].text);
}

static void test_bad_table_guarded(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct guarded g;
		size_t len = text_len(bad[i].text, bad[i].len);

		run_bad(&bad[i], guard_copy(&g, bad[i].text, len, false));
		guard_free(&g);
	}
}

/*
 * Every prefix of a valid file (its lines joined), guarded: read or
 * refused, never over-read; a prefix that ends between lines reads exactly
 * the rows before it (lines[0] is the CSV header or "").
 */
static void prefixes(const char *const *lines, size_t nlines)
{
	char text[1024];
	size_t bound[16], len = 0;

	assert_true(nlines <= 16);
	for (size_t i = 0; i < nlines; i++) {
		size_t n = strlen(lines[i]);

		assert_true(len + n < sizeof(text));
		memcpy(text + len, lines[i], n);
		len += n;
		bound[i] = len;
	}
	for (size_t cut = 0; cut <= len; cut++) {
		struct guarded g;
		struct rs_error err;
		size_t n, want = SIZE_MAX;
		int ret;

		for (size_t i = 0; i < nlines; i++)
			if (bound[i] == cut)
				want = i; /* rows in lines 1..i */
		ret = parse_all(guard_copy(&g, text, cut, false), cut, &err,
				&n);
		assert_true(ret == 0 || ret == -EINVAL);
		assert_true(n < nlines);
		if (ret)
			assert_non_null(err.reason);
		if (want != SIZE_MAX && (ret || n != want))
			fail_msg("prefix %zu of %zu: %zu rows, want %zu: %s",
				 cut, len, n, want, ret ? err.reason : "-");
		guard_free(&g);
	}
}

static void test_prefixes_guarded(void **state)
{
	static const char *const csv[] = {
		HDR,
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042\n",
		"\"::1\",\"23\",tcp,closed,\"a,\"\"b\",\"x\ny\",\n",
		"2001:db8::1,65535,tcp,filtered,,host-unreach,123.4\n",
	};
	static const char *const json[] = {
		"",
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"service\":\"ssh\",\"reason\":"
		"\"syn-ack\",\"rtt_ms\":0.042}\n",
		"{ \"reason\" : \"\\ud83d\\ude00\\u00e9\\n\", \"x\":-1.5e+3,"
		"\"y\":true,\"z\":false,\"rtt_ms\":null,\"host\":\"::1\","
		"\"port\":1,\"proto\":\"udp\",\"state\":\"filtered\"}\n",
	};

	(void)state;
	prefixes(csv, sizeof(csv) / sizeof(csv[0]));
	prefixes(json, sizeof(json) / sizeof(json[0]));
}

/* xorshift64*: the same hostile inputs on every run. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/*
 * Random text over the bytes that matter to the grammars, after a CSV
 * header or an opening brace: refused or read, never over-read, and every
 * refusal has a reason and a line inside the input.
 */
static void test_hostile_guarded(void **state)
{
	static const char alpha[] =
		"\"\",,,\\\\{}[]:.-+eE0123456789uUd8ab"
		"\n\n\r\t 'tcpopenfilteredclosednul\x80\xff";
	static const char *const starts[] = {
		HDR, HDR "127.0.0.1,", "{", "{\"host\":\"", "{\"reason\":\"\\u",
		"",  "\xef\xbb\xbf",
	};
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char buf[512];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		const char *start = starts[rnd(&seed) % (sizeof(starts) /
							 sizeof(starts[0]))];
		size_t n = strlen(start);
		size_t len = n + rnd(&seed) % (sizeof(buf) - n);
		unsigned long lines = 1;
		struct guarded g;
		struct rs_error err;
		size_t rows;
		int ret;

		memcpy(buf, start, n);
		for (size_t i = n; i < len; i++)
			buf[i] = alpha[rnd(&seed) % (sizeof(alpha) - 1)];
		for (size_t i = 0; i < len; i++)
			lines += buf[i] == '\n';
		ret = parse_all(guard_copy(&g, buf, len, false), len, &err,
				&rows);
		assert_true(ret == 0 || ret == -EINVAL);
		if (ret) {
			assert_non_null(err.reason);
			assert_true(err.line >= 1 && err.line <= lines);
		}
		guard_free(&g);
	}
}

/* Long fields: refused as too long, not overflowed. */
static int long_case(const char *before, const char *field, const char *after,
		     struct rs_error *err, size_t *rows)
{
	static char buf[4 * RESULTFILE_FIELD_MAX];
	struct guarded g;
	int len, ret;

	len = snprintf(buf, sizeof(buf), "%s%s%s", before, field, after);
	assert_true(len > 0 && (size_t)len < sizeof(buf));
	ret = parse_all(guard_copy(&g, buf, (size_t)len, false), (size_t)len,
			err, rows);
	guard_free(&g);
	return ret;
}

static void test_long_fields_guarded(void **state)
{
	static const char *const forms[][2] = {
		{ HDR "127.0.0.1,1,tcp,open,", ",x,\n" },
		{ HDR "127.0.0.1,1,tcp,open,\"", "\",x,\n" },
		{ "{\"service\":\"", "\"}\n" },
		{ "{\"k", "\":1}\n" },
		{ "{\"port\":1", "}\n" },
	};
	char field[2 * RESULTFILE_FIELD_MAX];
	struct rs_error err;
	size_t rows;

	(void)state;
	memset(field, '7', sizeof(field) - 1);
	field[sizeof(field) - 1] = '\0';
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(long_case(forms[i][0], field, forms[i][1],
					   &err, &rows),
				 -EINVAL);
		assert_string_equal(err.reason, "field too long");
	}
	/* One byte under the limit is still a field. */
	field[RESULTFILE_FIELD_MAX - 1] = '\0';
	assert_int_equal(
		long_case(forms[0][0], field, forms[0][1], &err, &rows), 0);
	assert_int_equal(rows, 1);
}

/* ---- what output.c writes, read back ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_round_trip(void **state)
{
	static const struct want_row rows[] = {
		{ "127.0.0.1", 22, TCP, OUT_OPEN, "syn-ack", 42 },
		{ "127.0.0.1", 23, TCP, OUT_CLOSED, "conn-refused", 0 },
		{ "2001:db8::1", 80, TCP, OUT_FILTERED, "no-response", -1 },
		{ "::ffff:192.0.2.1", 81, TCP, OUT_UNREACH, "host-unreach",
		  999999 },
		{ "192.0.2.9", 65535, TCP, OUT_UNREACH, "a,\"b\"\nc\\d\x01",
		  123456789012LL },
		{ "192.0.2.9", 1, UDP, OUT_OPEN, "\xc3\xa9", 1 },
	};
	char dir[] = "/tmp/test_resultfile.XXXXXX";
	char csv[64], json[64];
	struct output_config cfg;
	struct output *out;
	struct rs_error err;
	size_t nrows = sizeof(rows) / sizeof(rows[0]);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(csv, sizeof(csv), "%s/r.csv", dir);
	snprintf(json, sizeof(json), "%s/r.jsonl", dir);
	memset(&cfg, 0, sizeof(cfg));
	cfg.csv_path = csv;
	cfg.json_path = json;
	cfg.states = OUTPUT_ST_OPEN | OUTPUT_ST_CLOSED | OUTPUT_ST_FILTERED;
	cfg.version = "test";
	cfg.command_line = "test";
	memset(&err, 0, sizeof(err));
	assert_int_equal(output_open(&out, &cfg, NULL, &err), 0);
	for (size_t i = 0; i < nrows; i++) {
		struct rs_addr a;
		struct output_result r;

		assert_int_equal(addr_parse(rows[i].host, &a), 0);
		r = (struct output_result){
			.addr = &a,
			.port = rows[i].port,
			.proto = rows[i].proto,
			.state = rows[i].state,
			.reason = rows[i].reason,
			.rtt_us = rows[i].rtt_us,
		};
		assert_int_equal(output_result(out, &r), 0);
	}
	assert_int_equal(output_finish(out, NULL), 0);
	assert_int_equal(output_close(out), 0);

	for (int k = 0; k < 2; k++) {
		struct resultfile rf;
		struct resultfile_row row;
		size_t len, n = 0;
		char *buf = slurp(k ? json : csv, &len);
		int ret;

		assert_int_equal(resultfile_begin(&rf, buf, len, &err), 0);
		assert_int_equal(rf.format,
				 k ? RESULTFILE_JSON : RESULTFILE_CSV);
		while ((ret = resultfile_next(&rf, &row, &err)) == 1) {
			assert_true(n < nrows);
			check_row(k ? "json" : "csv", n, &row, &rows[n]);
			n++;
		}
		if (ret)
			fail_msg("%s: %s (line %lu, '%s')", k ? json : csv,
				 err.reason, err.line, err.token);
		assert_int_equal(n, nrows);
		free(buf);
	}
	unlink(csv);
	unlink(json);
	rmdir(dir);
}

/*
 * The hostname column: read from the eight-column CSV (quoted, empty) and
 * the JSON key (string, null, absent); a seven-column file has none; an
 * eight-column header with seven-field rows is refused.
 */
static void test_hostname_column(void **state)
{
	static const char csv[] =
		"host,port,proto,state,service,reason,rtt_ms,hostname\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,localhost\n"
		"127.0.0.2,22,tcp,open,ssh,syn-ack,,\n"
		"127.0.0.3,22,tcp,open,ssh,syn-ack,,\"a,b\"\n";
	static const char json[] =
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"hostname\":\"localhost\"}\n"
		"{\"host\":\"127.0.0.2\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"hostname\":null}\n"
		"{\"host\":\"127.0.0.3\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\"}\n";
	static const char old[] = HDR "127.0.0.1,22,tcp,open,ssh,syn-ack,\n";
	static const char short_row[] =
		"host,port,proto,state,service,reason,rtt_ms,hostname\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042\n";
	const char *want[] = { "localhost", "", "a,b" };
	const char *want_json[] = { "localhost", "", "" };
	struct resultfile_row row;
	struct resultfile rf;
	struct rs_error err;
	int i;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(resultfile_begin(&rf, csv, strlen(csv), &err), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(resultfile_next(&rf, &row, &err), 1);
		assert_string_equal(row.hostname, want[i]);
	}
	assert_int_equal(resultfile_next(&rf, &row, &err), 0);

	assert_int_equal(resultfile_begin(&rf, json, strlen(json), &err), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(resultfile_next(&rf, &row, &err), 1);
		assert_string_equal(row.hostname, want_json[i]);
	}
	assert_int_equal(resultfile_next(&rf, &row, &err), 0);

	assert_int_equal(resultfile_begin(&rf, old, strlen(old), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), 1);
	assert_string_equal(row.hostname, "");
	assert_int_equal(row.port, 22);

	assert_int_equal(
		resultfile_begin(&rf, short_row, strlen(short_row), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), -EINVAL);
	assert_string_equal(err.reason, "too few fields (a row has 8)");
}

/* --banners CSVs and JSON: read (merge takes their rows), banners not kept. */
static void test_banner_columns(void **state)
{
	static const char csv[] =
		"host,port,proto,state,service,reason,rtt_ms,hostname,banner,product,version\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,,\"SSH-2.0-x\\x0D,y\",OpenSSH,9.2p1\n"
		"127.0.0.1,23,tcp,closed,telnet,conn-refused,,,,,\n";
	static const char json[] =
		"{\"host\":\"127.0.0.1\",\"port\":22,\"proto\":\"tcp\","
		"\"state\":\"open\",\"banner\":\"SSH-2.0-x\",\"version\":\"1\"}\n";
	static const char short_row[] =
		"host,port,proto,state,service,reason,rtt_ms,hostname,banner,product,version\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,\n";
	static const char long_row[] =
		"host,port,proto,state,service,reason,rtt_ms,hostname,banner,product,version\n"
		"127.0.0.1,22,tcp,open,ssh,syn-ack,0.042,,,,,x\n";
	struct resultfile_row row;
	struct resultfile rf;
	struct rs_error err;

	(void)state;
	memset(&err, 0, sizeof(err));
	assert_int_equal(resultfile_begin(&rf, csv, strlen(csv), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), 1);
	assert_int_equal(row.port, 22);
	assert_int_equal(row.state, OUT_OPEN);
	assert_int_equal(row.rtt_us, 42);
	assert_int_equal(resultfile_next(&rf, &row, &err), 1);
	assert_int_equal(row.state, OUT_CLOSED);
	assert_int_equal(resultfile_next(&rf, &row, &err), 0);

	assert_int_equal(resultfile_begin(&rf, json, strlen(json), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), 1);
	assert_int_equal(row.port, 22);
	assert_int_equal(resultfile_next(&rf, &row, &err), 0);

	assert_int_equal(
		resultfile_begin(&rf, short_row, strlen(short_row), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), -EINVAL);
	assert_string_equal(err.reason, "too few fields (a row has 11)");
	assert_int_equal(
		resultfile_begin(&rf, long_row, strlen(long_row), &err), 0);
	assert_int_equal(resultfile_next(&rf, &row, &err), -EINVAL);
	assert_string_equal(err.reason, "too many fields (a row has 11)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_banner_columns),
		cmocka_unit_test(test_guard_traps),
		cmocka_unit_test(test_good_table),
		cmocka_unit_test(test_good_table_guarded),
		cmocka_unit_test(test_bad_table),
		cmocka_unit_test(test_bad_table_guarded),
		cmocka_unit_test(test_prefixes_guarded),
		cmocka_unit_test(test_hostile_guarded),
		cmocka_unit_test(test_long_fields_guarded),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_hostname_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
