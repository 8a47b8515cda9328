/*
 * test_bannerprobe.c - the HTTP request --banners sends and the port kinds
 * that decide when it is sent.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bannerprobe.h"

static void test_kind(void **state)
{
	(void)state;
	assert_int_equal(bannerprobe_kind(80), BANNERPROBE_HTTP);
	assert_int_equal(bannerprobe_kind(8080), BANNERPROBE_HTTP);
	assert_int_equal(bannerprobe_kind(443), BANNERPROBE_TLS);
	assert_int_equal(bannerprobe_kind(22), BANNERPROBE_SPEAKS_FIRST);
	assert_int_equal(bannerprobe_kind(6379), BANNERPROBE_SPEAKS_FIRST);
	assert_int_equal(bannerprobe_kind(0), BANNERPROBE_SPEAKS_FIRST);
}

static void test_http(void **state)
{
	char buf[128];
	int n;

	(void)state;
	n = bannerprobe_http("198.18.0.2", 80, buf, sizeof(buf));
	assert_string_equal(buf, "HEAD / HTTP/1.0\r\nHost: 198.18.0.2\r\n\r\n");
	assert_int_equal(n, (int)strlen(buf));
	bannerprobe_http("2001:2::1", 8080, buf, sizeof(buf));
	assert_string_equal(
		buf, "HEAD / HTTP/1.0\r\nHost: [2001:2::1]:8080\r\n\r\n");
	/* exactly fitting, and one byte short */
	n = bannerprobe_http("127.0.0.1", 80, buf, sizeof(buf));
	assert_int_equal(bannerprobe_http("127.0.0.1", 80, buf, (size_t)n + 1),
			 n);
	assert_int_equal(bannerprobe_http("127.0.0.1", 80, buf, (size_t)n),
			 -ENOSPC);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
