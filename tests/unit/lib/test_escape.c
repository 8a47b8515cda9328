/*
 * test_escape.c - outside text in every format ringscan writes.
 *
 * Terminal text: escape sequences, DEL, C1 controls (raw and UTF-8
 * encoded), invalid and overlong UTF-8 and surrogates become '?';
 * printable ASCII and real UTF-8 pass; a copy that does not fit is cut at
 * a character boundary.  CSV, JSON, XML, grepable fields and table tokens
 * get hostile input - quotes, separators, markup, every kind of control
 * byte, invalid UTF-8 - and the exact bytes each writer must produce.  The
 * JSON cases that must stay valid JSON whatever the input are the ones the
 * audit's -oJ of a process name depends on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "escape.h"

static void check(const char *in, const char *want)
{
	char out[64];

	escape_text_copy(out, sizeof(out), in);
	assert_string_equal(out, want);
}

static void test_copy(void **state)
{
	(void)state;
	check("127.0.0.1", "127.0.0.1");
	check("\033[2J\xff", "?[2J?");
	check("a\tb\nc\rd\x7f", "a?b?c?d?");
	check("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", "h\xc3\xa9llo "
							    "\xe2\x82\xac "
							    "\xf0\x9f\x98\x80");
	check("\xc2\x9b"
	      "31m",
	      "??31m"); /* U+009B, CSI */
	check("\x9b"
	      "31m",
	      "?31m");
	check("\xc0\xaf", "??"); /* overlong '/' */
	check("\xed\xa0\x80", "???"); /* a surrogate */
	check("\xe2\x82", "??"); /* cut short */
	check("", "");
}

static void test_span_and_fit(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(escape_text_span("ab\033c"), 2);
	assert_int_equal(escape_text_span("\xc3\xa9x\xff"), 3);
	assert_int_equal(escape_text_span(""), 0);
	/* "é" does not fit after "ab" in 4 bytes: never half a character. */
	escape_text_copy(out, sizeof(out), "ab\xc3\xa9");
	assert_string_equal(out, "ab");
	escape_text_copy(out, sizeof(out), "\033\033\033\033\033");
	assert_string_equal(out, "???");
	assert_int_equal(escape_utf8_len((const unsigned char *)"\xf4\x90"
								"\x80\x80"),
			 0); /* above U+10FFFF */
}

/* A sink into a bounded buffer; the test fails if it would overflow. */
struct sink {
	char buf[512];
	size_t len;
};

static void sink_put(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;

	assert_true(k->len + n < sizeof(k->buf));
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->buf[k->len] = '\0';
}

static void check_fn(void (*fn)(escape_put_fn *, void *, const char *),
		     const char *in, const char *want)
{
	struct sink k = { .len = 0 };

	k.buf[0] = '\0';
	fn(sink_put, &k, in);
	if (strcmp(k.buf, want))
		fail_msg("in '%s': got '%s', want '%s'", in, k.buf, want);
}

static void test_csv(void **state)
{
	(void)state;
	check_fn(escape_csv, "sshd", "sshd");
	check_fn(escape_csv, "", "");
	check_fn(escape_csv, "a,b", "\"a,b\"");
	check_fn(escape_csv, "say \"hi\"", "\"say \"\"hi\"\"\"");
	check_fn(escape_csv, "\"", "\"\"\"\"");
	check_fn(escape_csv, "two\nlines\r", "\"two\nlines\r\"");
	/* No encoding in CSV: bytes, even invalid UTF-8, pass as they are. */
	check_fn(escape_csv, "x\xffy\tz", "x\xffy\tz");
}

static void test_json(void **state)
{
	(void)state;
	check_fn(escape_json, "", "\"\"");
	check_fn(escape_json, "sshd", "\"sshd\"");
	check_fn(escape_json, "a\"b\\c", "\"a\\\"b\\\\c\"");
	check_fn(escape_json, "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	check_fn(escape_json, "\x01\x1f\x7f\033[2J",
		 "\"\\u0001\\u001f\\u007f\\u001b[2J\"");
	/* Valid UTF-8 passes whole; each invalid byte is U+FFFD. */
	check_fn(escape_json, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		 "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	check_fn(escape_json, "nginx\xff", "\"nginx\\ufffd\"");
	check_fn(escape_json, "\xc0\xaf", "\"\\ufffd\\ufffd\"");
	check_fn(escape_json, "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	/* comm cut mid-character: the lead byte alone is invalid. */
	check_fn(escape_json, "abc\xe2\x82", "\"abc\\ufffd\\ufffd\"");
	check_fn(escape_json, "\xf4\x90\x80\x80",
		 "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_xml(void **state)
{
	(void)state;
	check_fn(escape_xml, "", "");
	check_fn(escape_xml, "<a href='x'>&\"</a>",
		 "&lt;a href=&apos;x&apos;&gt;&amp;&quot;&lt;/a&gt;");
	check_fn(escape_xml, "a\tb\nc\rd\x7f", "a&#9;b&#10;c&#13;d&#127;");
	/* "--" may not appear in a comment. */
	check_fn(escape_xml, "ringscan --open -p-", "ringscan -&#45;open -p-");
	check_fn(escape_xml, "---", "-&#45;&#45;");
	/* Not XML characters, or not UTF-8: U+FFFD. */
	check_fn(escape_xml, "\x01\033x", "\xef\xbf\xbd\xef\xbf\xbdx");
	check_fn(escape_xml,
		 "a\xff"
		 "b",
		 "a\xef\xbf\xbd"
		 "b");
	check_fn(escape_xml, "\xef\xbf\xbe\xef\xbf\xbf",
		 "\xef\xbf\xbd\xef\xbf\xbd");
	check_fn(escape_xml, "caf\xc3\xa9", "caf\xc3\xa9");
}

static void test_grep_text_token(void **state)
{
	char out[16];

	(void)state;
	check_fn(escape_grep, "http/alt,x", "http|alt|x");
	check_fn(escape_grep, "a\tb\nc\x7f", "a?b?c?");
	check_fn(escape_text, "\033[31mred\xff\xc2\x9b", "?[31mred???");
	check_fn(escape_text, "ok \xc3\xa9", "ok \xc3\xa9");
	assert_string_equal(escape_token_copy(out, sizeof(out), "a b\tc\xff"),
			    "a_b_c_");
	assert_string_equal(escape_token_copy(out, sizeof(out), ""), "-");
	assert_string_equal(escape_token_copy(out, 4, "abcdef"), "abc");
}

static void check_banner(const void *in, size_t len, size_t size,
			 const char *want)
{
	char out[64];

	assert_true(size <= sizeof(out));
	memset(out, 'Z', sizeof(out));
	assert_int_equal(escape_banner_copy(out, size, in, len), strlen(want));
	assert_string_equal(out, want);
	/* nothing written past size */
	if (size < sizeof(out))
		assert_int_equal(out[size], 'Z');
}

/* Edges: trailing white space, cuts at size, never half an escape. */
static void test_banner_edges(void **state)
{
	(void)state;
	check_banner("SSH-2.0-OpenSSH_9.2p1\r\n", 23, 64,
		     "SSH-2.0-OpenSSH_9.2p1");
	check_banner("220 a\r\n220 b\r\n\v\f", 16, 64, "220 a\\x0D\\x0A220 b");
	check_banner("\x00\xff\x7f\x1b[2J", 7, 64, "\\x00\\xFF\\x7F\\x1B[2J");
	/* the backslash is escaped too, so the form reads back exactly */
	check_banner("a\\b", 3, 64, "a\\x5Cb");
	check_banner("", 0, 64, "");
	check_banner(NULL, 0, 1, "");
	check_banner("\r\n \r\n", 5, 64, "");
	check_banner("ab\x01", 3, 6, "ab");
	check_banner("ab\x01", 3, 7, "ab\\x01");
	check_banner("abcdef", 6, 4, "abc");
	check_banner("\x01", 1, 1, "");
}

static void test_banner(void **state)
{
	static const unsigned char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian\r\n";
	static const unsigned char junk[] = {
		0x1b, '[', '2', 'J', 0xff, 0xc3, 0xa9, 0, '\\', '"', '<', 0x7f
	};
	static const unsigned char nul_tail[] = { 'o', 'k', '\r', '\n', 0, 0 };
	char out[ESCAPE_BANNER_MAX(sizeof(junk))];
	size_t n;

	(void)state;
	n = escape_banner_copy(out, sizeof(out), ssh, sizeof(ssh) - 1);
	assert_string_equal(out, "SSH-2.0-OpenSSH_9.2p1 Debian");
	assert_int_equal(n, strlen(out));
	/* every unsafe byte as \xNN, valid UTF-8 too: pure ASCII out */
	escape_banner_copy(out, sizeof(out), junk, sizeof(junk));
	assert_string_equal(out, "\\x1B[2J\\xFF\\xC3\\xA9\\x00\\x5C\"<\\x7F");
	assert_true(strlen(out) <= 4 * sizeof(junk));
	escape_banner_copy(out, sizeof(out), nul_tail, sizeof(nul_tail));
	assert_string_equal(out, "ok");
	/* a whole escape or nothing when space runs out */
	n = escape_banner_copy(out, 7, junk, sizeof(junk));
	assert_string_equal(out, "\\x1B[2");
	assert_int_equal(n, 6);
	n = escape_banner_copy(out, 4, junk, sizeof(junk));
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
	assert_int_equal(escape_banner_copy(out, sizeof(out), ssh, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_span_and_fit),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_grep_text_token),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_banner_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
