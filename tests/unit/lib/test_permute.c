/*
 * test_permute.c - the permutation is a bijection, seeded, and spreads hosts.
 *
 * The bijection is checked exhaustively with a bitmap: every output below n,
 * none seen twice (n outputs with no repeat cover [0, n) exactly).  Small n
 * are all checked (they exercise the odd bit counts and the cycle walk at its
 * worst ratio); larger ones straddle powers of two.  The locality test is the
 * reason the module exists: the first probes of a subnet x ports scan must
 * not hammer one host.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "permute.h"

static const uint64_t seeds[] = { 0, 1, 0xdeadbeefcafef00dULL };

/* Walk the whole permutation; fails on a value >= n or a repeat. */
static void check_bijection(uint64_t n, uint64_t seed)
{
	struct permute p;
	uint64_t *seen;
	uint64_t i;

	assert_int_equal(permute_init(&p, n, seed), 0);
	seen = calloc((n + 63) / 64, sizeof(*seen));
	assert_non_null(seen);
	for (i = 0; i < n; i++) {
		uint64_t v = permute_at(&p, i);

		assert_true(v < n);
		assert_false(seen[v / 64] & (1ULL << (v % 64)));
		seen[v / 64] |= 1ULL << (v % 64);
	}
	free(seen);
}

static void test_init_rejects_bad_n(void **state)
{
	struct permute p;

	(void)state;
	assert_int_equal(permute_init(&p, 0, 1), -EINVAL);
	assert_int_equal(permute_init(&p, (1ULL << 62) + 1, 1), -EINVAL);
	assert_int_equal(permute_init(&p, UINT64_MAX, 1), -EINVAL);
	assert_int_equal(permute_init(&p, 1ULL << 62, 1), 0);
	assert_int_equal(permute_init(&p, 1, 1), 0);
}

static void test_half_bits(void **state)
{
	struct permute p;

	(void)state;
	/* Domain 2^(2*half) is the smallest even power of two >= n. */
	assert_int_equal(permute_init(&p, 1, 0), 0);
	assert_int_equal(p.half_bits, 1);
	assert_int_equal(permute_init(&p, 4, 0), 0);
	assert_int_equal(p.half_bits, 1);
	assert_int_equal(permute_init(&p, 5, 0), 0);
	assert_int_equal(p.half_bits, 2);
	assert_int_equal(permute_init(&p, 65536, 0), 0);
	assert_int_equal(p.half_bits, 8);
	assert_int_equal(permute_init(&p, 65537, 0), 0);
	assert_int_equal(p.half_bits, 9);
	assert_int_equal(permute_init(&p, 1ULL << 62, 0), 0);
	assert_int_equal(p.half_bits, 31);
	assert_int_equal(p.half_mask, (1ULL << 31) - 1);
}

static void test_tiny(void **state)
{
	struct permute p;
	uint64_t seed;

	(void)state;
	for (seed = 0; seed < 64; seed++) {
		uint64_t a, b;

		assert_int_equal(permute_init(&p, 1, seed), 0);
		assert_int_equal(permute_at(&p, 0), 0);

		assert_int_equal(permute_init(&p, 2, seed), 0);
		a = permute_at(&p, 0);
		b = permute_at(&p, 1);
		assert_true(a < 2 && b < 2 && a != b);
	}
}

static void test_bijection_small_exhaustive(void **state)
{
	uint64_t n;
	size_t s;

	(void)state;
	for (n = 1; n <= 2000; n++)
		for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
			check_bijection(n, seeds[s] + n);
}

static void test_bijection_large(void **state)
{
	static const uint64_t ns[] = { 65535,	     65536,	65537,
				       1 << 20,	     3 * 65535, 1000003,
				       (1 << 21) + 1 };
	size_t i, s;

	(void)state;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++)
			check_bijection(ns[i], seeds[s]);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_huge_n_in_range(void **state)
{
	static const uint64_t ns[] = { 1ULL << 62, (1ULL << 62) - 1,
				       (1ULL << 61) + 1, 65536ULL * 65535 };
	struct permute p;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
		uint64_t out[2000];
		size_t i;

		assert_int_equal(permute_init(&p, ns[k], 42), 0);
		/* The last indices and the first: all in range, no repeat. */
		for (i = 0; i < 2000; i++) {
			uint64_t idx = i < 1000 ? i : ns[k] - 1 - (i - 1000);

			out[i] = permute_at(&p, idx);
			assert_true(out[i] < ns[k]);
		}
		qsort(out, 2000, sizeof(out[0]), cmp_u64);
		for (i = 1; i < 2000; i++)
			assert_true(out[i] != out[i - 1]);
	}
}

static void test_same_seed_same_order(void **state)
{
	struct permute a, b;
	uint64_t i;

	(void)state;
	assert_int_equal(permute_init(&a, 100000, 7), 0);
	assert_int_equal(permute_init(&b, 100000, 7), 0);
	assert_int_equal(a.half_bits, b.half_bits);
	assert_memory_equal(a.key, b.key, sizeof(a.key));
	for (i = 0; i < 100000; i += 7)
		assert_int_equal(permute_at(&a, i), permute_at(&b, i));
}

static void test_different_seed_different_order(void **state)
{
	struct permute a, b;
	uint64_t i, same = 0;

	(void)state;
	assert_int_equal(permute_init(&a, 100000, 7), 0);
	assert_int_equal(permute_init(&b, 100000, 8), 0);
	for (i = 0; i < 10000; i++)
		same += permute_at(&a, i) == permute_at(&b, i);
	/* Two random orders agree at a position with probability 1/n. */
	assert_true(same < 10);
}

static void test_not_identity(void **state)
{
	struct permute p;
	uint64_t i, fixed = 0, ascending = 0;

	(void)state;
	assert_int_equal(permute_init(&p, 10000, 3), 0);
	for (i = 0; i < 10000; i++) {
		fixed += permute_at(&p, i) == i;
		if (i > 0)
			ascending += permute_at(&p, i) > permute_at(&p, i - 1);
	}
	/* A random permutation has ~1 fixed point and ~n/2 ascents. */
	assert_true(fixed < 10);
	assert_true(ascending > 4500 && ascending < 5500);
}

/* 256 hosts x 1000 ports: the first 1000 probes spread over the hosts. */
static void test_locality(void **state)
{
	enum { HOSTS = 256, PORTS = 1000 };
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		unsigned hits[HOSTS] = { 0 };
		unsigned max = 0, distinct = 0, h;
		struct permute p;
		uint64_t i;

		assert_int_equal(permute_init(&p, HOSTS * PORTS, seeds[s]), 0);
		for (i = 0; i < 1000; i++)
			hits[permute_at(&p, i) / PORTS]++;
		for (h = 0; h < HOSTS; h++) {
			if (hits[h] > max)
				max = hits[h];
			distinct += hits[h] != 0;
		}
		/* Expected ~3.9 per host; 20 would be a burst. */
		assert_true(max <= 20);
		assert_true(distinct > 200);
	}
}

/*
 * Masscan-style self check on a size with no exhaustive test above: the sum
 * and the xor of all outputs must equal those of 0..n-1.
 */
static void test_sum_xor_self_check(void **state)
{
	const uint64_t n = 3000017;
	uint64_t i, sum = 0, x = 0, want_x = 0;
	struct permute p;

	(void)state;
	assert_int_equal(permute_init(&p, n, 99), 0);
	for (i = 0; i < n; i++) {
		uint64_t v = permute_at(&p, i);

		sum += v;
		x ^= v;
		want_x ^= i;
	}
	assert_int_equal(sum, n * (n - 1) / 2);
	assert_int_equal(x, want_x);
}

/* -r: the identity, whatever the seed, and the same n's bounds. */
static void test_sequential(void **state)
{
	struct permute p;
	uint64_t i;

	(void)state;
	assert_int_equal(permute_init_order(&p, 0, 1, true), -EINVAL);
	assert_int_equal(permute_init_order(&p, 1000, 12345, true), 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(permute_at(&p, i), i);
	/* a shard takes every nshards-th, as in the permutation */
	assert_int_equal(permute_shard_at(&p, 1, 3, 5), 16);
	/* and without it, the seeded permutation as permute_init gives */
	assert_int_equal(permute_init_order(&p, 1000, 12345, false), 0);
	for (i = 0; i < 1000 && permute_at(&p, i) == i; i++)
		;
	assert_true(i < 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_n),
		cmocka_unit_test(test_half_bits),
		cmocka_unit_test(test_tiny),
		cmocka_unit_test(test_bijection_small_exhaustive),
		cmocka_unit_test(test_bijection_large),
		cmocka_unit_test(test_huge_n_in_range),
		cmocka_unit_test(test_same_seed_same_order),
		cmocka_unit_test(test_different_seed_different_order),
		cmocka_unit_test(test_not_identity),
		cmocka_unit_test(test_locality),
		cmocka_unit_test(test_sum_xor_self_check),
		cmocka_unit_test(test_sequential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
