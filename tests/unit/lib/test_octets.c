/*
 * test_octets.c - nmap octet specs: the grammar, and that the expansion
 * is exactly the set the spec describes.
 *
 * The expansion is checked against brute force: for specs confined to one
 * /16, every one of its 65,536 addresses is tested for membership twice -
 * by reading the spec's own octet maps, and by searching the expanded
 * ranges - and the two must agree, with the ranges ascending, disjoint and
 * as many as octets_count promised.  Specs that reach the whole space are
 * checked by their first and last ranges and their count.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "octets.h"

#define MAX_RANGES 70000

struct collect {
	uint32_t lo[MAX_RANGES], hi[MAX_RANGES];
	uint64_t n;
	uint64_t stop_after; /* 0: never */
};

static int collect(void *ctx, uint32_t lo, uint32_t hi)
{
	struct collect *c = ctx;

	assert_true(c->n < MAX_RANGES);
	assert_true(lo <= hi);
	c->lo[c->n] = lo;
	c->hi[c->n] = hi;
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static uint32_t quad(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

static void test_quad(void **state)
{
	const char *why = NULL;
	uint32_t v;

	(void)state;
	assert_int_equal(octets_parse_quad("192.0.2.1", &v, &why), 0);
	assert_int_equal(v, quad(192, 0, 2, 1));
	/* Leading zeros are decimal, never octal (as nmap). */
	assert_int_equal(octets_parse_quad("010.002.0.9", &v, &why), 0);
	assert_int_equal(v, quad(10, 2, 0, 9));

	assert_int_equal(octets_parse_quad("1.2.3", &v, &why), -EINVAL);
	assert_string_equal(why, "IPv4 address needs four dotted octets");
	assert_int_equal(octets_parse_quad("1.2.3.4.5", &v, &why), -EINVAL);
	assert_string_equal(why, "IPv4 address needs four dotted octets");
	assert_int_equal(octets_parse_quad("256.1.1.1", &v, &why), -EINVAL);
	assert_string_equal(why, "IPv4 octet out of range (0-255)");
	assert_int_equal(octets_parse_quad("1000.1.1.1", &v, &why), -EINVAL);
	assert_string_equal(why, "IPv4 octet out of range (0-255)");
	assert_int_equal(octets_parse_quad("1..2.3", &v, &why), -EINVAL);
	assert_string_equal(why, "invalid IPv4 octet");
}

static void test_spec_errors(void **state)
{
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "1..2.3", "empty IPv4 octet" },
		{ "1.2.3.", "empty IPv4 octet" },
		{ "1,,2.0.0.1", "empty item in octet list" },
		{ ",1.0.0.1", "empty item in octet list" },
		{ "1,.0.0.1", "empty item in octet list" },
		{ "5-3.0.0.1", "range is reversed (start > end)" },
		{ "1.2.3", "IPv4 address needs four dotted octets" },
		{ "1.2.3.4.5", "IPv4 address needs four dotted octets" },
		{ "1.2.3.4--5", "invalid octet range" },
		{ "1.2.3.x", "invalid IPv4 octet" },
		{ "1.2.300.4", "IPv4 octet out of range (0-255)" },
		{ "1.2.3.4-256", "IPv4 octet out of range (0-255)" },
	};
	struct octets o;
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		assert_int_equal(octets_parse(&o, bad[i].spec, &why), -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
	}
}

static bool in_maps(const struct octets *o, uint32_t a)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = (a >> (24 - 8 * i)) & 0xff;

		if (!(o->map[i][v / 8] & (1u << (v % 8))))
			return false;
	}
	return true;
}

static bool in_ranges(const struct collect *c, uint32_t a)
{
	uint64_t lo = 0, hi = c->n;

	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;

		if (c->hi[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->lo[lo] <= a;
}

/* Expand spec (inside 1.2.0.0/16) and compare with brute force. */
static void check_exact(const char *spec, uint64_t want_count)
{
	struct collect *c = calloc(1, sizeof(*c));
	const char *why = NULL;
	struct octets o;

	assert_non_null(c);
	assert_int_equal(octets_parse(&o, spec, &why), 0);
	assert_int_equal(octets_count(&o), want_count);
	assert_int_equal(octets_expand(&o, collect, c), 0);
	assert_int_equal(c->n, want_count);
	for (uint64_t i = 1; i < c->n; i++)
		assert_true(c->hi[i - 1] < c->lo[i]); /* ascending, disjoint */
	for (uint32_t a = quad(1, 2, 0, 0); a <= quad(1, 2, 255, 255); a++)
		assert_int_equal(in_ranges(c, a), in_maps(&o, a));
	assert_true(c->lo[0] >= quad(1, 2, 0, 0));
	assert_true(c->hi[c->n - 1] <= quad(1, 2, 255, 255));
	free(c);
}

static void test_expand_exact(void **state)
{
	(void)state;
	check_exact("1.2.3.4", 1);
	check_exact("1.2.3.1-40", 1);
	check_exact("1.2.3-5,7.*", 2); /* runs 3-5 and 7, last octet folds */
	check_exact("1.2.*.*", 1);
	check_exact("1.2.0-3,7.0-9,250-", 5 * 2);
	check_exact("1.2.-.1", 256);
	check_exact("1.2.1,3,5,2-4.-9,20,11-19", 5 * 2);
	check_exact("1.2.200-.*", 1);
	check_exact("1.2.9,8,7.7,5,3,1", 3 * 4);
}

static void test_expand_wide(void **state)
{
	struct collect *c = calloc(1, sizeof(*c));
	const char *why = NULL;
	struct octets o;

	(void)state;
	assert_non_null(c);
	assert_int_equal(octets_parse(&o, "*.*.*.*", &why), 0);
	assert_int_equal(octets_count(&o), 1);
	assert_int_equal(octets_expand(&o, collect, c), 0);
	assert_int_equal(c->n, 1);
	assert_int_equal(c->lo[0], 0);
	assert_int_equal(c->hi[0], 0xffffffffu);

	/* Two full octets before a partial one are enumerated. */
	c->n = 0;
	assert_int_equal(octets_parse(&o, "10.0-255.-.1", &why), 0);
	assert_int_equal(octets_count(&o), 65536);
	assert_int_equal(octets_expand(&o, collect, c), 0);
	assert_int_equal(c->n, 65536);
	assert_int_equal(c->lo[0], quad(10, 0, 0, 1));
	assert_int_equal(c->hi[0], quad(10, 0, 0, 1));
	assert_int_equal(c->lo[65535], quad(10, 255, 255, 1));
	for (uint64_t i = 1; i < c->n; i++)
		assert_true(c->hi[i - 1] < c->lo[i]);

	/* Counted, not built: the caller can refuse this before expanding. */
	assert_int_equal(octets_parse(&o, "1-254.1-254.1-254.1", &why), 0);
	assert_int_equal(octets_count(&o), 254ULL * 254 * 254);

	/* A non-zero return from fn stops the expansion and comes back. */
	c->n = 0;
	c->stop_after = 3;
	assert_int_equal(octets_parse(&o, "10.0-255.-.1", &why), 0);
	assert_int_equal(octets_expand(&o, collect, c), 42);
	assert_int_equal(c->n, 3);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quad),
		cmocka_unit_test(test_spec_errors),
		cmocka_unit_test(test_expand_exact),
		cmocka_unit_test(test_expand_wide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
