/*
 * test_addr.c - the address helpers against values worked out by hand.
 *
 * The integer form must be big-endian in the bytes (1.2.3.4 is 0x01020304)
 * or every range computation elsewhere is wrong, so conversions are checked
 * against literal numbers, both directions, at the edges of both families.
 * Parsing must be the strict inet_pton kind: inet_aton shorthand is refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"

static rs_u128 u128(uint64_t hi, uint64_t lo)
{
	return (rs_u128)hi << 64 | lo;
}

static void test_parse_ok(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
					0,    0,    0,	  0,	0, 0, 0, 1 };
	struct rs_addr a;

	(void)state;
	assert_int_equal(addr_parse("1.2.3.4", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_memory_equal(a.bytes, "\x01\x02\x03\x04", 4);

	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_memory_equal(a.bytes, v6, 16);

	assert_int_equal(addr_parse("::ffff:127.0.0.1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.bytes[10], 0xff);
	assert_int_equal(a.bytes[12], 127);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",	     "1.2.3",	   "256.0.0.1",
		"1.2.3.4.5", "0x7f.0.0.1", " 1.2.3.4",
		"1.2.3.4 ",  "::g",	   "1:2:3:4:5:6:7:8:9",
		"1..2.3",    "localhost",  "1.2.3.4/24",
		"::1-::2",
	};
	struct rs_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(addr_parse(bad[i], &a), -EINVAL);
		/* A failed parse leaves no half-filled address behind. */
		assert_int_equal(a.family, 0);
	}
	assert_int_equal(addr_parse(NULL, &a), -EINVAL);
}

static void test_u128(void **state)
{
	struct rs_addr a, b;

	(void)state;
	assert_int_equal(addr_parse("1.2.3.4", &a), 0);
	assert_true(addr_to_u128(&a) == 0x01020304);
	assert_int_equal(addr_parse("255.255.255.255", &a), 0);
	assert_true(addr_to_u128(&a) == 0xffffffffu);
	assert_int_equal(addr_parse("::1", &a), 0);
	assert_true(addr_to_u128(&a) == 1);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_true(addr_to_u128(&a) == u128(0x20010db800000000ULL, 1));
	assert_int_equal(
		addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a), 0);
	assert_true(addr_to_u128(&a) == ~(rs_u128)0);

	/* Back again: bytes, family, and nothing stale past IPv4's four. */
	memset(&b, 0xee, sizeof(b));
	addr_from_u128(&b, AF_INET, 0x0a000001);
	assert_int_equal(b.family, AF_INET);
	assert_memory_equal(b.bytes, "\x0a\x00\x00\x01", 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(b.bytes[i], 0);

	addr_from_u128(&b, AF_INET6, u128(0x20010db800000000ULL, 1));
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_memory_equal(a.bytes, b.bytes, 16);

	addr_from_u128(&b, AF_INET6, ~(rs_u128)0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(b.bytes[i], 0xff);
}

static void test_format(void **state)
{
	char buf[RS_ADDR_STRLEN], small[4];
	struct rs_addr a;

	(void)state;
	addr_from_u128(&a, AF_INET, 0x7f000001);
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "127.0.0.1");
	addr_from_u128(&a, AF_INET6, u128(0x20010db800000000ULL, 0xff));
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "2001:db8::ff");
	assert_int_equal(addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:"
				    "255.255.255.255",
				    &a),
			 0);
	/* The longest text form fits RS_ADDR_STRLEN. */
	assert_ptr_equal(addr_format(&a, buf, sizeof(buf)), buf);
	assert_true(strlen(buf) < RS_ADDR_STRLEN);

	/* Too small a buffer: a NUL-terminated placeholder, no overflow. */
	assert_string_equal(addr_format(&a, small, sizeof(small)), "?");
	a.family = 99;
	assert_string_equal(addr_format(&a, buf, sizeof(buf)), "?");
}

static void test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct rs_addr a;
	socklen_t len;

	(void)state;
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	len = addr_to_sockaddr(&a, 8080, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	memcpy(&sin, &ss, sizeof(sin));
	assert_int_equal(sin.sin_family, AF_INET);
	assert_int_equal(sin.sin_port, htons(8080));
	assert_int_equal(sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

	assert_int_equal(addr_parse("::1", &a), 0);
	len = addr_to_sockaddr(&a, 443, &ss);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
	memcpy(&sin6, &ss, sizeof(sin6));
	assert_int_equal(sin6.sin6_family, AF_INET6);
	assert_int_equal(sin6.sin6_port, htons(443));
	assert_memory_equal(&sin6.sin6_addr, &in6addr_loopback, 16);
	assert_int_equal(sin6.sin6_scope_id, 0);
	assert_int_equal(sin6.sin6_flowinfo, 0);
}

static void test_cmp(void **state)
{
	struct rs_addr a, b;

	(void)state;
	/* IPv4 sorts before IPv6 whatever the value. */
	assert_int_equal(addr_parse("255.255.255.255", &a), 0);
	assert_int_equal(addr_parse("::", &b), 0);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);

	/* Numeric order, not text order: 9.x < 10.x. */
	assert_int_equal(addr_parse("9.255.255.255", &a), 0);
	assert_int_equal(addr_parse("10.0.0.0", &b), 0);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
	assert_int_equal(addr_cmp(&a, &a), 0);

	assert_int_equal(addr_parse("2001:db8::2", &a), 0);
	assert_int_equal(addr_parse("2001:db8::10", &b), 0);
	assert_true(addr_cmp(&a, &b) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_u128),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
