/*
 * test_icmpreason.c - ICMP destination unreachable codes as reasons.
 *
 * The table is what a user reads in the reason column of every scan type,
 * so each named code is pinned, the fall-back for codes without a name,
 * and the one code that is no verdict (IPv4 fragmentation needed), which
 * the engines must not turn into a port state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "icmpreason.h"

static void test_ipv4(void **state)
{
	(void)state;
	assert_string_equal(icmp_unreach_reason(AF_INET, 0), "net-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET, 1), "host-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET, 2), "proto-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET, 3), "port-unreach");
	assert_null(icmp_unreach_reason(AF_INET, 4));
	assert_string_equal(icmp_unreach_reason(AF_INET, 9), "net-prohibited");
	assert_string_equal(icmp_unreach_reason(AF_INET, 10),
			    "host-prohibited");
	assert_string_equal(icmp_unreach_reason(AF_INET, 13),
			    "admin-prohibited");
	/* Codes without a name of their own (5 source route failed, 255). */
	assert_string_equal(icmp_unreach_reason(AF_INET, 5), "dest-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET, 255), "dest-unreach");
}

static void test_ipv6(void **state)
{
	(void)state;
	assert_string_equal(icmp_unreach_reason(AF_INET6, 0), "no-route");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 1),
			    "admin-prohibited");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 2), "beyond-scope");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 3), "host-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 4), "port-unreach");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 5),
			    "admin-prohibited");
	assert_string_equal(icmp_unreach_reason(AF_INET6, 6), "reject-route");
	/* IPv6 has no fragmentation-needed code here (it is a type of its
	 * own): code 4 is the port's refusal, and no code is NULL. */
	for (unsigned c = 0; c < 256; c++)
		assert_non_null(icmp_unreach_reason(AF_INET6, (uint8_t)c));
	assert_string_equal(icmp_unreach_reason(AF_INET6, 7), "dest-unreach");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
