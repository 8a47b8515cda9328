/*
 * test_textsafe.c - what may reach a terminal, and what becomes '?'.
 *
 * Escape sequences, DEL, C1 controls (raw and UTF-8 encoded), invalid and
 * overlong UTF-8 and surrogates become '?'; printable ASCII and real UTF-8
 * pass; a copy that does not fit is cut at a character boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "textsafe.h"

static void check(const char *in, const char *want)
{
	char out[64];

	textsafe_copy(out, sizeof(out), in);
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
	assert_int_equal(textsafe_span("ab\033c"), 2);
	assert_int_equal(textsafe_span("\xc3\xa9x\xff"), 3);
	assert_int_equal(textsafe_span(""), 0);
	/* "é" does not fit after "ab" in 4 bytes: never half a character. */
	textsafe_copy(out, sizeof(out), "ab\xc3\xa9");
	assert_string_equal(out, "ab");
	textsafe_copy(out, sizeof(out), "\033\033\033\033\033");
	assert_string_equal(out, "???");
	assert_int_equal(textsafe_utf8_len((const unsigned char *)"\xf4\x90"
								  "\x80\x80"),
			 0); /* above U+10FFFF */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_span_and_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
