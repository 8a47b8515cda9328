/*
 * test_srcaddr.c - the --source-ip list against values worked out by hand.
 *
 * Every spelling the target syntax has (address, a-b, short range, CIDR,
 * nmap octets, IPv6) and commas between them must give exactly the
 * addresses written out here, sorted, merged, split by family; host names,
 * empty items, more than SRCADDR_MAX and addresses no socket can send
 * from are refused with the token named.  srcaddr_next must take the
 * sources strictly in turn.  The bind test accepts loopback and refuses an address of
 * TEST-NET-1 (192.0.2.0/24, never assigned to a machine).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "srcaddr.h"

static struct srcaddr *parse(const char *list, int want_ret)
{
	struct rs_error err = { 0 };
	struct srcaddr *s;
	int ret;

	assert_int_equal(srcaddr_new(&s), 0);
	ret = srcaddr_add(s, list, &err);
	if (!ret)
		ret = srcaddr_finalize(s, &err);
	assert_int_equal(ret, want_ret);
	return s;
}

static const char *nth(const struct srcaddr *s, int family, uint32_t i)
{
	static char buf[RS_ADDR_STRLEN];

	return addr_format(srcaddr_get(s, family, i), buf, sizeof(buf));
}

static void test_forms(void **state)
{
	struct srcaddr *s;

	(void)state;
	s = parse("198.51.100.10-12,198.51.100.11,2001:db8::1-2001:db8::2,"
		  "192.0.2.8/31,203.0.113.7",
		  0);
	assert_int_equal(srcaddr_count(s, AF_INET), 6);
	assert_int_equal(srcaddr_count(s, AF_INET6), 2);
	assert_int_equal(srcaddr_count(s, 0), 8);
	assert_string_equal(nth(s, AF_INET, 0), "192.0.2.8");
	assert_string_equal(nth(s, AF_INET, 1), "192.0.2.9");
	assert_string_equal(nth(s, AF_INET, 2), "198.51.100.10");
	assert_string_equal(nth(s, AF_INET, 3), "198.51.100.11");
	assert_string_equal(nth(s, AF_INET, 4), "198.51.100.12");
	assert_string_equal(nth(s, AF_INET, 5), "203.0.113.7");
	assert_string_equal(nth(s, AF_INET6, 0), "2001:db8::1");
	assert_string_equal(nth(s, AF_INET6, 1), "2001:db8::2");
	srcaddr_free(s);

	/* One address: one source, the other family none. */
	s = parse("198.18.0.5", 0);
	assert_int_equal(srcaddr_count(s, AF_INET), 1);
	assert_int_equal(srcaddr_count(s, AF_INET6), 0);
	srcaddr_free(s);

	/* Exactly SRCADDR_MAX is fine; one more is not. */
	s = parse("198.18.0.0/20", 0);
	assert_int_equal(srcaddr_count(s, AF_INET), SRCADDR_MAX);
	srcaddr_free(s);
	srcaddr_free(parse("198.18.0.0/20,198.18.16.0", -E2BIG));
	srcaddr_free(parse("2001:2::/48", -E2BIG));
}

static void test_octet_range(void **state)
{
	struct srcaddr *s;

	(void)state;
	/* nmap octets: 203.0.1-2.7 is 203.0.1.7 and 203.0.2.7. */
	s = parse("203.0.1-2.7", 0);
	assert_int_equal(srcaddr_count(s, AF_INET), 2);
	assert_string_equal(nth(s, AF_INET, 0), "203.0.1.7");
	assert_string_equal(nth(s, AF_INET, 1), "203.0.2.7");
	srcaddr_free(s);
}

static void refused(const char *list, const char *token, const char *why)
{
	struct rs_error err = { 0 };
	struct srcaddr *s;
	int ret;

	assert_int_equal(srcaddr_new(&s), 0);
	ret = srcaddr_add(s, list, &err);
	if (!ret)
		ret = srcaddr_finalize(s, &err);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(err.token, token);
	assert_non_null(err.reason);
	assert_non_null(strstr(err.reason, why));
	srcaddr_free(s);
}

static void test_refused(void **state)
{
	(void)state;
	refused("localhost", "localhost", "host names");
	refused("198.18.0.1,example.org", "example.org", "host names");
	refused("198.18.0.1,,198.18.0.2", "198.18.0.1,,198.18.0.2",
		"empty item");
	refused("", "", "empty list");
	refused("198.18.0.1,", "198.18.0.1,", "empty item");
	refused("0.0.0.0", "0.0.0.0", "not a unicast");
	refused("224.0.0.1", "224.0.0.1", "not a unicast");
	refused("255.255.255.255", "255.255.255.255", "not a unicast");
	refused("::", "::", "not a unicast");
	refused("ff02::1", "ff02::1", "not a unicast");
	refused("::ffff:198.18.0.1", "::ffff:198.18.0.1", "not a unicast");
	refused("198.18.0.300", "198.18.0.300", "");
}

static void test_pick(void **state)
{
	enum { NSENDS = 1000, NSRC = 16 };
	uint32_t turn = 0, last[NSRC];

	(void)state;
	/* In turn: every window of NSRC consecutive sends uses each source
	 * once, so no source is asked twice before the others once. */
	for (unsigned i = 0; i < NSRC; i++)
		last[i] = UINT32_MAX;
	for (uint32_t k = 0; k < NSENDS; k++) {
		uint32_t i = srcaddr_next(NSRC, &turn);

		assert_true(i < NSRC);
		if (last[i] != UINT32_MAX)
			assert_int_equal(k - last[i], NSRC);
		last[i] = k;
	}
	/* One source; and a turn left over from a longer list. */
	turn = 0;
	assert_int_equal(srcaddr_next(1, &turn), 0);
	assert_int_equal(srcaddr_next(1, &turn), 0);
	turn = 40;
	assert_int_equal(srcaddr_next(3, &turn), 0);
	assert_int_equal(srcaddr_next(3, &turn), 1);
}

static void test_sockaddrs(void **state)
{
	struct sockaddr_storage *ss;
	struct sockaddr_in6 *in6;
	struct sockaddr_in *in;
	struct srcaddr *s;
	uint32_t n;

	(void)state;
	s = parse("198.18.0.7-8", 0);
	assert_int_equal(srcaddr_sockaddrs(s, AF_INET, &ss, &n), 0);
	assert_int_equal(n, 2);
	in = (struct sockaddr_in *)&ss[1];
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(in->sin_port, 0);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0xc6120008);
	free(ss);
	assert_int_equal(srcaddr_sockaddrs(s, AF_INET6, &ss, &n), 0);
	assert_null(ss);
	assert_int_equal(n, 0);
	srcaddr_free(s);

	s = parse("2001:2::1", 0);
	assert_int_equal(srcaddr_sockaddrs(s, AF_INET6, &ss, &n), 0);
	assert_int_equal(n, 1);
	in6 = (struct sockaddr_in6 *)&ss[0];
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(in6->sin6_port, 0);
	assert_int_equal(in6->sin6_addr.s6_addr[15], 1);
	assert_int_equal(in6->sin6_addr.s6_addr[1], 1);
	free(ss);
	srcaddr_free(s);
}

static void test_check_local(void **state)
{
	struct rs_addr bad = { 0 };
	struct srcaddr *s;
	char buf[RS_ADDR_STRLEN];

	(void)state;
	s = parse("127.0.0.1,127.0.0.2", 0);
	assert_int_equal(srcaddr_check_local(s, &bad), 0);
	srcaddr_free(s);

	s = parse("127.0.0.1,192.0.2.1", 0);
	assert_int_equal(srcaddr_check_local(s, &bad), -EADDRNOTAVAIL);
	assert_string_equal(addr_format(&bad, buf, sizeof(buf)), "192.0.2.1");
	srcaddr_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_octet_range),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_sockaddrs),
		cmocka_unit_test(test_check_local),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
