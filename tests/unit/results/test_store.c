/*
 * test_store.c - cell packing, first-write-wins, iteration, lazy memory.
 *
 * Iteration is checked two ways: hand-picked cells around page and byte
 * boundaries with hand-computed answers, and a random pattern against a
 * plain byte-per-probe reference for many random [from, to) windows.  The
 * large-store test is the module's reason to exist: a 4.3e9-probe store must
 * cost a few pages, measured both by the store's own accounting and by the
 * process's resident set.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

#define CPP 16384ULL /* cells per 4 KiB page */

/* xorshift64*: a deterministic pattern for the reference comparisons. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

static void test_new_free_sizes(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 5, 16383, 16385 };
	size_t i;

	(void)state;
	store_free(NULL);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct store *s;

		assert_int_equal(store_new(&s, sizes[i]), 0);
		assert_int_equal(store_nprobes(s), sizes[i]);
		assert_int_equal(store_bytes_virtual(s), (sizes[i] + 3) / 4);
		assert_int_equal(store_bytes_touched(s), 0);
		assert_int_equal(store_count(s, STORE_NONE), sizes[i]);
		assert_int_equal(store_next_set(s, 0, sizes[i]), sizes[i]);
		if (sizes[i] > 0) {
			/* The very last cell (a partial byte when n % 4). */
			assert_int_equal(
				store_set(s, sizes[i] - 1, STORE_CLOSED), 1);
			assert_int_equal(store_get(s, sizes[i] - 1),
					 STORE_CLOSED);
			assert_int_equal(store_next_set(s, 0, sizes[i]),
					 sizes[i] - 1);
		}
		store_free(s);
	}
}

static void test_too_large(void **state)
{
	struct store *s = NULL;

	(void)state;
	/* 2^64 cells is 4 EiB of address space: no machine maps that. */
	assert_int_equal(store_new(&s, UINT64_MAX), -ENOMEM);
	assert_null(s);
}

static void test_packing(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_new(&s, 8), 0);
	/* Four states in one byte; neighbours must not bleed. */
	assert_int_equal(store_set(s, 0, STORE_OPEN), 1);
	assert_int_equal(store_set(s, 1, STORE_CLOSED), 1);
	assert_int_equal(store_set(s, 2, STORE_UNREACH), 1);
	assert_int_equal(store_set(s, 4, STORE_UNREACH), 1);
	assert_int_equal(store_set(s, 7, STORE_OPEN), 1);
	assert_int_equal(store_get(s, 0), STORE_OPEN);
	assert_int_equal(store_get(s, 1), STORE_CLOSED);
	assert_int_equal(store_get(s, 2), STORE_UNREACH);
	assert_int_equal(store_get(s, 3), STORE_NONE);
	assert_int_equal(store_get(s, 4), STORE_UNREACH);
	assert_int_equal(store_get(s, 5), STORE_NONE);
	assert_int_equal(store_get(s, 6), STORE_NONE);
	assert_int_equal(store_get(s, 7), STORE_OPEN);
	store_free(s);
}

static void test_set_get_boundaries(void **state)
{
	const uint64_t n = 3 * CPP + 7;
	const uint64_t probes[] = { 0,		 1,	3,	 4,
				    CPP - 1,	 CPP,	CPP + 1, 2 * CPP - 4,
				    2 * CPP + 3, n - 2, n - 1 };
	const size_t np = sizeof(probes) / sizeof(probes[0]);
	struct store *s;
	uint64_t p;
	size_t i;

	(void)state;
	assert_int_equal(store_new(&s, n), 0);
	for (i = 0; i < np; i++)
		assert_int_equal(store_set(s, probes[i], 1 + i % 3), 1);
	for (p = 0, i = 0; p < n; p++) {
		if (i < np && probes[i] == p) {
			assert_int_equal(store_get(s, p), 1 + i % 3);
			i++;
		} else {
			assert_int_equal(store_get(s, p), STORE_NONE);
		}
	}
	store_free(s);
}

static void test_counts_and_first_write_wins(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_new(&s, 1000), 0);
	assert_int_equal(store_set(s, 10, STORE_OPEN), 1);
	assert_int_equal(store_set(s, 11, STORE_CLOSED), 1);
	assert_int_equal(store_set(s, 12, STORE_CLOSED), 1);
	assert_int_equal(store_set(s, 13, STORE_UNREACH), 1);
	/* Later answers, same or different: ignored, not counted. */
	assert_int_equal(store_set(s, 10, STORE_CLOSED), 0);
	assert_int_equal(store_set(s, 10, STORE_OPEN), 0);
	assert_int_equal(store_set(s, 11, STORE_OPEN), 0);
	assert_int_equal(store_set(s, 13, STORE_CLOSED), 0);
	assert_int_equal(store_get(s, 10), STORE_OPEN);
	assert_int_equal(store_get(s, 11), STORE_CLOSED);
	assert_int_equal(store_get(s, 13), STORE_UNREACH);
	assert_int_equal(store_count(s, STORE_OPEN), 1);
	assert_int_equal(store_count(s, STORE_CLOSED), 2);
	assert_int_equal(store_count(s, STORE_UNREACH), 1);
	assert_int_equal(store_count(s, STORE_NONE), 996);
	store_free(s);
}

static void test_none_is_noop(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_new(&s, 5 * CPP), 0);
	assert_int_equal(store_set(s, 3 * CPP + 5, STORE_NONE), 0);
	assert_int_equal(store_bytes_touched(s), 0);
	assert_int_equal(store_get(s, 3 * CPP + 5), STORE_NONE);
	/* NONE cannot erase a final state either. */
	assert_int_equal(store_set(s, 7, STORE_OPEN), 1);
	assert_int_equal(store_set(s, 7, STORE_NONE), 0);
	assert_int_equal(store_get(s, 7), STORE_OPEN);
	assert_int_equal(store_count(s, STORE_OPEN), 1);
	assert_int_equal(store_bytes_touched(s), 4096);
	store_free(s);
}

static void test_bytes_touched(void **state)
{
	struct store *s;

	(void)state;
	assert_int_equal(store_new(&s, 10 * CPP), 0);
	assert_int_equal(store_bytes_virtual(s), 10 * 4096);
	store_set(s, 0, STORE_OPEN);
	store_set(s, CPP - 1, STORE_OPEN);
	assert_int_equal(store_bytes_touched(s), 4096);
	store_set(s, CPP, STORE_OPEN);
	assert_int_equal(store_bytes_touched(s), 2 * 4096);
	store_set(s, 9 * CPP + 100, STORE_CLOSED);
	store_set(s, 9 * CPP + 101, STORE_CLOSED);
	assert_int_equal(store_bytes_touched(s), 3 * 4096);
	/* A read never touches. */
	assert_int_equal(store_get(s, 5 * CPP), STORE_NONE);
	assert_int_equal(store_next_set(s, 3 * CPP, 9 * CPP), 9 * CPP);
	assert_int_equal(store_bytes_touched(s), 3 * 4096);
	store_free(s);
}

static void test_next_set_hand_picked(void **state)
{
	const uint64_t n = 10 * CPP + 5;
	const uint64_t set[] = { 3, CPP - 1, CPP, 5 * CPP + 17, n - 1 };
	struct store *s;
	uint64_t p;
	size_t i;

	(void)state;
	assert_int_equal(store_new(&s, n), 0);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		store_set(s, set[i], STORE_OPEN);

	/* Full iteration yields exactly the set cells, in order. */
	for (p = store_next_set(s, 0, n), i = 0; p < n;
	     p = store_next_set(s, p + 1, n), i++) {
		assert_true(i < sizeof(set) / sizeof(set[0]));
		assert_int_equal(p, set[i]);
	}
	assert_int_equal(i, sizeof(set) / sizeof(set[0]));

	/* Unaligned windows; to is exclusive and returned when empty. */
	assert_int_equal(store_next_set(s, 0, 3), 3);
	assert_int_equal(store_next_set(s, 0, 4), 3);
	assert_int_equal(store_next_set(s, 4, CPP - 1), CPP - 1);
	assert_int_equal(store_next_set(s, 4, CPP), CPP - 1);
	assert_int_equal(store_next_set(s, CPP + 1, 5 * CPP + 17),
			 5 * CPP + 17);
	assert_int_equal(store_next_set(s, CPP + 1, 5 * CPP + 18),
			 5 * CPP + 17);
	assert_int_equal(store_next_set(s, 5 * CPP + 17, 5 * CPP + 18),
			 5 * CPP + 17);
	assert_int_equal(store_next_set(s, 5 * CPP + 18, 5 * CPP + 100),
			 5 * CPP + 100);
	assert_int_equal(store_next_set(s, 6 * CPP + 1, n - 1), n - 1);
	assert_int_equal(store_next_set(s, 6 * CPP + 1, n), n - 1);
	/* Empty or inverted windows, and to beyond the end. */
	assert_int_equal(store_next_set(s, 7, 7), 7);
	assert_int_equal(store_next_set(s, 9, 2), 2);
	assert_int_equal(store_next_set(s, n - 1, UINT64_MAX), n - 1);
	assert_int_equal(store_next_set(s, n, UINT64_MAX), UINT64_MAX);
	store_free(s);
}

/* Random cells and random windows against a byte-per-probe reference. */
static void test_next_set_vs_reference(void **state)
{
	const uint64_t n = 200 * CPP + 3; /* > 64 pages: several words */
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct store *s;
	uint8_t *ref;
	int i;

	(void)state;
	ref = calloc(n, 1);
	assert_non_null(ref);
	assert_int_equal(store_new(&s, n), 0);
	/* Clusters in a few pages, plus isolated cells far apart. */
	for (i = 0; i < 3000; i++) {
		uint64_t p = (i % 3 == 0) ? rnd(&x) % n :
					    (rnd(&x) % 7) * 29 * CPP +
						    rnd(&x) % (2 * CPP);
		enum store_state st = 1 + rnd(&x) % 3;

		if (p >= n)
			continue;
		assert_int_equal(store_set(s, p, st), ref[p] == 0);
		if (!ref[p])
			ref[p] = (uint8_t)st;
	}
	for (i = 0; i < 3000; i++) {
		uint64_t from = rnd(&x) % (n + 10);
		uint64_t to = from + rnd(&x) % (i % 2 ? 64 : 40 * CPP);
		uint64_t want = from, end = to < n ? to : n;

		while (want < end && !ref[want])
			want++;
		if (want >= end)
			want = to;
		assert_int_equal(store_next_set(s, from, to), want);
	}
	free(ref);
	store_free(s);
}

static uint64_t rss_bytes(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &resident), 2);
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void test_large_store_is_lazy(void **state)
{
	const uint64_t n = 65536ULL * 65535; /* a /16, every port */
	const uint64_t set[] = {
		0,    1, n / 2, 65535ULL * 40000 + 80, 65535ULL * 40000 + 443,
		n - 1
	};
	uint64_t before, after, p;
	struct store *s;
	size_t i;

	(void)state;
	before = rss_bytes();
	assert_int_equal(store_new(&s, n), 0);
	assert_int_equal(store_bytes_virtual(s), (n + 3) / 4);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		assert_int_equal(store_set(s, set[i], STORE_OPEN), 1);
	/* 0 and 1 share a page, so do the two ports of host 40000. */
	assert_int_equal(store_bytes_touched(s), 4 * 4096);
	assert_int_equal(store_count(s, STORE_OPEN), 6);
	assert_int_equal(store_get(s, n / 2 + 1), STORE_NONE);
	assert_int_equal(store_get(s, 12345678901ULL % n), STORE_NONE);

	/* Iterating 4.3e9 cells finds the six without reading the rest. */
	for (p = store_next_set(s, 0, n), i = 0; p < n;
	     p = store_next_set(s, p + 1, n), i++)
		assert_int_equal(p, set[i]);
	assert_int_equal(i, 6);

	after = rss_bytes();
	assert_true(after < before + (64ULL << 20));
	store_free(s);
}

/*
 * Reasons against a plain per-probe reference: thousands of UNREACH cells
 * with random codes across a large store (so the table doubles several
 * times), cells in other states that must refuse a reason, first reason
 * winning, and iteration giving back exactly the recorded set.
 */
static void test_reasons_vs_reference(void **state)
{
	const uint64_t n = 1ULL << 24;
	const unsigned ncodes = store_reason_codes();
	struct store *s;
	uint8_t *ref = calloc(n, 1); /* code + 1; 0 = none */
	uint64_t x = 0x1234567, pos = 0, probe, seen = 0, want = 0;
	unsigned code;

	(void)state;
	assert_non_null(ref);
	assert_int_equal(store_new(&s, n), 0);
	assert_int_equal(store_reason(s, 5), STORE_REASON_HOST_UNREACH);
	for (int i = 0; i < 20000; i++) {
		uint64_t p = rnd(&x) % n;
		unsigned c = (unsigned)(rnd(&x) % ncodes);
		int kind = (int)(rnd(&x) % 4);

		if (kind == 0) {
			store_set(s, p, STORE_OPEN);
			assert_int_equal(store_set_reason(s, p, c), 0);
			continue;
		}
		store_set(s, p, STORE_UNREACH);
		assert_int_equal(store_set_reason(s, p, c), 0);
		if (store_get(s, p) == STORE_UNREACH && !ref[p] && c)
			ref[p] = (uint8_t)(c + 1);
		/* a second reason does not replace a recorded first one;
		 * a cell with none recorded (the default) takes it */
		c = (c + 1) % ncodes;
		assert_int_equal(store_set_reason(s, p, c), 0);
		if (store_get(s, p) == STORE_UNREACH && !ref[p] && c)
			ref[p] = (uint8_t)(c + 1);
	}
	for (uint64_t p = 0; p < n; p++) {
		if (ref[p])
			want++;
		if (store_get(s, p) != STORE_UNREACH)
			continue;
		assert_int_equal(store_reason(s, p),
				 ref[p] ? ref[p] - 1u :
					  STORE_REASON_HOST_UNREACH);
	}
	assert_true(want > 1000); /* the table grew past its first size */
	assert_int_equal(store_reason_count(s), want);
	while (store_reason_next(s, &pos, &probe, &code)) {
		assert_true(probe < n);
		assert_int_equal(ref[probe], code + 1);
		seen++;
	}
	assert_int_equal(seen, want);
	store_free(s);
	free(ref);
}

static void test_reason_names_round_trip(void **state)
{
	(void)state;
	for (unsigned c = 0; c < store_reason_codes(); c++)
		assert_int_equal(store_reason_code(store_reason_name(c)), c);
	assert_string_equal(store_reason_name(STORE_REASON_HOST_UNREACH),
			    "host-unreach");
	assert_string_equal(store_reason_name(999), "unreach");
	assert_string_equal(store_reason_name(store_reason_code("no-such")),
			    "unreach");
	assert_int_equal(store_reason_code("admin-prohibited"),
			 store_reason_code("admin-prohibited"));
	assert_string_equal(
		store_reason_name(store_reason_code("admin-prohibited")),
		"admin-prohibited");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free_sizes),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_packing),
		cmocka_unit_test(test_set_get_boundaries),
		cmocka_unit_test(test_counts_and_first_write_wins),
		cmocka_unit_test(test_none_is_noop),
		cmocka_unit_test(test_bytes_touched),
		cmocka_unit_test(test_next_set_hand_picked),
		cmocka_unit_test(test_next_set_vs_reference),
		cmocka_unit_test(test_large_store_is_lazy),
		cmocka_unit_test(test_reasons_vs_reference),
		cmocka_unit_test(test_reason_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
